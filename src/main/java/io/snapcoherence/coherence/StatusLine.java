package io.snapcoherence.coherence;

import io.snapcoherence.juju.Status;
import io.snapcoherence.juju.WorkloadStatus;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A unit's workload status as a wire format: the line an operator reads in {@code juju status} also tells the
 * leader, which reads every unit's status afresh with {@code status-get --application}, how this unit's attempt
 * at a plan stands. Only four forms say anything, each anchored at the start of the message and naming the plan
 * (the first three its attempt too):
 * <ul>
 *   <li>{@code active: on plan 7 (attempt 1, verified)}, optionally followed by {@code ; <note>}: every change of
 *   the attempt ended {@code Done} and the targets are verified (or the plan has nothing for this machine);</li>
 *   <li>{@code blocked: kubelet 3154 failed (plan 7, attempt 1): <snapd's error>}: the attempt failed (or was
 *   reverted) on this unit;</li>
 *   <li>{@code maintenance: refreshing kubelet 3154 and 1 more (plan 7, attempt 1): ...} (or {@code reverting
 *   ...}, or {@code checking health of kubelet ...}: changes done, the node's health gate not passed yet): not
 *   done;</li>
 *   <li>{@code waiting: queued for plan 7}, optionally followed by {@code  (<tally>)}: a unit the plan has not
 *   granted found its machine off the plan's targets in its last hook. Every attempt of a plan has the same targets,
 *   so it names none.</li>
 * </ul>
 * Parsing is strict: another status kind, another wording, numbers out of range, a unit of the previous version
 * ({@code on plan 7}), Juju's own statuses ({@code error}, {@code waiting: agent initialising}) are no news, never a
 * guess.
 */
public sealed interface StatusLine {

    long plan();

    /** The attempt the line is about; 0 for a line that names none (about every attempt of its plan). */
    int attempt();

    /** Whether this line is about the plan's current attempt (a line naming no attempt: about the plan). */
    default boolean about(Plan plan) {
        return plan() == plan.id() && (attempt() == 0 || attempt() == plan.attempt());
    }

    record Done(long plan, int attempt) implements StatusLine {
    }

    record Failed(long plan, int attempt, Failure failure) implements StatusLine {
    }

    record Refreshing(long plan, int attempt) implements StatusLine {
    }

    /** A unit the plan has not granted, off its targets when its last hook read its machine. */
    record Queued(long plan) implements StatusLine {
        @Override
        public int attempt() {
            return 0;
        }
    }

    private static String of(Plan plan) {
        return "plan " + plan.id() + ", attempt " + plan.attempt();
    }

    /** This unit verified its refresh for the plan's current attempt (or the plan has nothing for its machine). */
    static Status done(Plan plan) {
        return Status.active("on plan " + plan.id() + " (attempt " + plan.attempt() + ", verified)");
    }

    /**
     * The status of a unit whose {@code done} of the plan's current attempt stands: verified ({@link #done(Plan)}) when
     * the done covered every snap of the plan's targets; otherwise a line that is no news to the leader, which then
     * counts the unit by its report, covering what the leader's own {@code snaps} say (a leader whose config holds
     * a snap this unit's did not must not count it done on its status).
     */
    static Status done(Plan plan, Progress done) {
        if (done.coversAll(plan)) {
            return done(plan);
        }
        String left = plan.targets().stream().map(Target::snap).filter(s -> !done.covers().get().contains(s))
                .distinct().collect(java.util.stream.Collectors.joining(", "));
        return Status.active("on plan " + plan.id() + " (attempt " + plan.attempt() + ") for the snaps it manages; "
                + "not " + left);
    }

    /** This unit's attempt failed. */
    static Status failed(Plan plan, Failure failure) {
        return failed(plan.id(), plan.attempt(), failure);
    }

    /** This unit's attempt of plan {@code plan} failed. */
    static Status failed(long plan, int attempt, Failure failure) {
        return Status.blocked(failure.snap() + " " + failure.revision() + " failed (plan " + plan + ", attempt "
                + attempt + "): " + failure.error());
    }

    /**
     * This unit is not granted and its machine is off the plan's targets: it waits for its grant. {@code progress} is
     * the leader's tally, for the operator ({@code workers 9/12 done}).
     */
    static Status queued(Plan plan, Optional<String> progress) {
        return Status.waiting("queued for plan " + plan.id() + progress.map(t -> " (" + t + ")").orElse(""));
    }

    /** Changes run; {@code what} is {@code refreshing kubelet 3154 and 1 more} or {@code reverting kubelet}. */
    static Status running(Plan plan, String what, String detail) {
        return Status.maintenance(what + " (" + of(plan) + ")" + (detail.isEmpty() ? "" : ": " + detail));
    }

    /**
     * The readings with what the statuses say about {@code plan} (active or completed) applied: a unit whose
     * status says its refresh for the plan's current attempt is verified done runs the plan's targets of its
     * architecture, whatever its databag, read through Juju's relation cache, still shows; its reading becomes the
     * report that status stands for (those revisions, the attempt done). A unit whose architecture is not known
     * (the previous version), or whose data the leader cannot read, is left as it is.
     *
     * <p>Likewise a unit whose status says an attempt of the plan failed, while the report the leader holds says no
     * later attempt of it: the status is set in every hook and the report only at its commit, so that report is one
     * the unit has since gone back on (a canary done, then broken while it soaked). Its reading keeps the failure:
     * the unit is not done, and must verify again after a resume, so the leader grants it rather than take it for
     * through on the stale report (seed 168599: a soak restarted after a resume waited for a check from a canary it
     * had freed, which cannot check before it verified again). So too a status that says the halted plan this one
     * replaced failed, while the report says nothing of this plan: the failure stands here ({@link UnitReport#done}),
     * and the unit is granted first, to verify for this plan before anyone else of its tier moves (seed 207035).
     */
    static List<UnitReading> applied(List<UnitReading> readings, Map<String, StatusLine> lines, Optional<Plan> plan) {
        if (lines.isEmpty() || plan.isEmpty()) {
            return readings;
        }
        Plan p = plan.get();
        List<UnitReading> out = new java.util.ArrayList<>(readings.size());
        for (UnitReading reading : readings) {
            if (reading instanceof UnitReading.Reported r && lines.get(r.unit()) instanceof Done d && d.about(p)
                    && !r.report().arch().equals(UnitReport.UNKNOWN_ARCH)) {
                UnitReport was = r.report();
                Map<String, InstalledRevision> installed = new java.util.TreeMap<>(was.installed());
                p.coveredOn(was.arch(), was.installed()).forEach(t -> installed.put(t.snap(),
                        new InstalledRevision(t.channel(), t.revision())));
                out.add(new UnitReading.Reported(new UnitReport(was.unit(), was.role(), installed,
                        Optional.of(Progress.done(p)), was.witnessed(), was.arch(), was.view(), was.principal(),
                        Optional.empty(), was.managed())));
            } else if (reading instanceof UnitReading.Reported r && lines.get(r.unit()) instanceof Failed f
                    && (f.plan() == p.id() && f.attempt() <= p.attempt()
                    || p.replaces().equals(Optional.of(f.plan())) && nothingOf(r.report(), p))
                    && goneBackOn(r.report(), f)) {
                UnitReport was = r.report();
                out.add(new UnitReading.Reported(new UnitReport(was.unit(), was.role(), was.installed(),
                        Optional.of(new Progress(f.plan(), f.attempt(), Phase.FAILED, Optional.of(f.failure()))),
                        was.witnessed(), was.arch(), was.view(), was.principal(), was.soakCheck(), was.managed())));
            } else {
                out.add(reading);
            }
        }
        return out;
    }

    /** Whether a report says nothing of this plan (its outcome is of an earlier one, or there is none). */
    private static boolean nothingOf(UnitReport report, Plan plan) {
        return report.progress().map(p -> p.plan() < plan.id()).orElse(true);
    }

    /** Whether a report says nothing of the plan later than the failure a status tells of, nor that failure. */
    private static boolean goneBackOn(UnitReport report, Failed status) {
        return report.progress().map(p -> p.plan() != status.plan() || p.attempt() < status.attempt()
                || (p.attempt() == status.attempt() && !p.phase().failed())).orElse(true);
    }

    /** What a unit's workload status says, if it is one of the four forms; anything else is no news. */
    static Optional<StatusLine> parse(WorkloadStatus status) {
        // Read by hand, not by regular expressions: the leader reads thousands of lines per hook, interpreted.
        Reader in = new Reader(status.message());
        switch (status.status()) {
            case "active" -> {
                if (in.take("on plan ") && in.number(18) && in.take(" (attempt ") && in.number(9)
                        && in.take(", verified)") && (in.atEnd() || in.take("; "))) {
                    return Optional.of(new Done(in.numbers[0], (int) in.numbers[1]));
                }
            }
            case "blocked" -> {
                String message = status.message();
                int failed = message.indexOf(" failed (plan ");
                int space = message.indexOf(' ');
                if (failed <= 0 || space <= 0 || space >= failed) {
                    return Optional.empty();
                }
                String snap = message.substring(0, space);
                Reader revision = new Reader(message.substring(space + 1, failed));
                boolean negative = revision.take("-");
                in.at = failed;
                if ((revision.take("0") || revision.number(9)) && revision.atEnd() && !snap.isEmpty()
                        && in.take(" failed (plan ") && in.number(18) && in.take(", attempt ") && in.number(9)
                        && in.take("): ") && !in.atEnd()) {
                    int rev = revision.count == 0 ? 0 : (int) revision.numbers[0];
                    return Optional.of(new Failed(in.numbers[0], (int) in.numbers[1],
                            new Failure(snap, negative ? -rev : rev, message.substring(in.at))));
                }
            }
            case "maintenance" -> {
                String message = status.message();
                int open = message.indexOf('(');
                if ((in.take("refreshing ") || in.take("reverting ") || in.take("checking health of "))
                        && open > in.at
                        && message.substring(in.at, open).indexOf(')') < 0) {
                    in.at = open;
                    if (in.take("(plan ") && in.number(18) && in.take(", attempt ") && in.number(9) && in.take(")")
                            && (in.atEnd() || in.take(": "))) {
                        return Optional.of(new Refreshing(in.numbers[0], (int) in.numbers[1]));
                    }
                }
            }
            case "waiting" -> {
                if (in.take("queued for plan ") && in.number(18) && (in.atEnd() || in.take(" ("))) {
                    return Optional.of(new Queued(in.numbers[0]));
                }
            }
            default -> {
                return Optional.empty();
            }
        }
        return Optional.empty();
    }

    /** A cursor over a message: fixed words, and numbers as the charm writes them (no sign, no leading zero). */
    final class Reader {
        private final String text;
        private int at;
        private final long[] numbers = new long[2];
        private int count;

        private Reader(String text) {
            this.text = text;
        }

        boolean take(String word) {
            if (text.startsWith(word, at)) {
                at += word.length();
                return true;
            }
            return false;
        }

        boolean atEnd() {
            return at == text.length();
        }

        /** A positive number of at most {@code digits} digits, without a leading zero. */
        boolean number(int digits) {
            int start = at;
            while (at < text.length() && at - start < digits + 1 && text.charAt(at) >= '0' && text.charAt(at) <= '9') {
                at++;
            }
            int length = at - start;
            if (length == 0 || length > digits || text.charAt(start) == '0' || count == numbers.length) {
                return false;
            }
            numbers[count++] = Long.parseLong(text, start, at, 10);
            return true;
        }
    }
}
