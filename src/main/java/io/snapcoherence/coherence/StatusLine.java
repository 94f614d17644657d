package io.snapcoherence.coherence;

import io.snapcoherence.juju.Status;
import io.snapcoherence.juju.WorkloadStatus;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A unit's workload status as a wire format: the line an operator reads in {@code juju status} also tells the
 * leader, which reads every unit's status afresh with {@code status-get --application}, how this unit's attempt
 * at a plan stands. Only three forms say anything, each anchored at the start of the message and naming plan and
 * attempt:
 * <ul>
 *   <li>{@code active: on plan 7 (attempt 1, verified)}, optionally followed by {@code ; <note>}: every change of
 *   the attempt ended {@code Done} and the targets are verified (or the plan has nothing for this machine);</li>
 *   <li>{@code blocked: kubelet 3154 failed (plan 7, attempt 1): <snapd's error>}: the attempt failed (or was
 *   reverted) on this unit;</li>
 *   <li>{@code maintenance: refreshing kubelet 3154 and 1 more (plan 7, attempt 1): ...} (or {@code reverting
 *   ...}): changes run.</li>
 * </ul>
 * Parsing is strict: another status kind, another wording, numbers out of range, a unit of the previous version
 * ({@code on plan 7}), Juju's own statuses ({@code error}, {@code waiting: agent initialising}) are no news, never a
 * guess.
 */
public sealed interface StatusLine {

    long plan();

    int attempt();

    /** Whether this line is about the plan's current attempt. */
    default boolean about(Plan plan) {
        return plan() == plan.id() && attempt() == plan.attempt();
    }

    record Done(long plan, int attempt) implements StatusLine {
    }

    record Failed(long plan, int attempt, Failure failure) implements StatusLine {
    }

    record Refreshing(long plan, int attempt) implements StatusLine {
    }

    private static String of(Plan plan) {
        return "plan " + plan.id() + ", attempt " + plan.attempt();
    }

    /** This unit verified its refresh for the plan's current attempt (or the plan has nothing for its machine). */
    static Status done(Plan plan) {
        return Status.active("on plan " + plan.id() + " (attempt " + plan.attempt() + ", verified)");
    }

    /** This unit's attempt failed. */
    static Status failed(Plan plan, Failure failure) {
        return Status.blocked(failure.snap() + " " + failure.revision() + " failed (" + of(plan) + "): "
                + failure.error());
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
                        Optional.of(Progress.done(p)), was.witnessed(), was.arch(), was.view(), was.principal())));
            } else {
                out.add(reading);
            }
        }
        return out;
    }

    /** Numbers as the charm writes them: no sign, no leading zero, within range. */
    String PLAN = "([1-9][0-9]{0,17})";
    String ATTEMPT = "([1-9][0-9]{0,8})";
    Pattern DONE = Pattern.compile("on plan " + PLAN + " \\(attempt " + ATTEMPT + ", verified\\)(?:; .*)?",
            Pattern.DOTALL);
    Pattern FAILED = Pattern.compile("(\\S+) (0|-?[1-9][0-9]{0,8}) failed \\(plan " + PLAN + ", attempt " + ATTEMPT
            + "\\): (.+)", Pattern.DOTALL);
    Pattern RUNNING = Pattern.compile("(?:refreshing|reverting) [^()]*\\(plan " + PLAN + ", attempt " + ATTEMPT
            + "\\)(?:: .*)?", Pattern.DOTALL);

    /** What a unit's workload status says, if it is one of the three forms; anything else is no news. */
    static Optional<StatusLine> parse(WorkloadStatus status) {
        String message = status.message();
        try {
            switch (status.status()) {
                case "active" -> {
                    Matcher m = DONE.matcher(message);
                    if (m.matches()) {
                        return Optional.of(new Done(Long.parseLong(m.group(1)), Integer.parseInt(m.group(2))));
                    }
                }
                case "blocked" -> {
                    Matcher m = FAILED.matcher(message);
                    if (m.matches()) {
                        return Optional.of(new Failed(Long.parseLong(m.group(3)), Integer.parseInt(m.group(4)),
                                new Failure(m.group(1), Integer.parseInt(m.group(2)), m.group(5))));
                    }
                }
                case "maintenance" -> {
                    Matcher m = RUNNING.matcher(message);
                    if (m.matches()) {
                        return Optional.of(new Refreshing(Long.parseLong(m.group(1)), Integer.parseInt(m.group(2))));
                    }
                }
                default -> {
                    return Optional.empty();
                }
            }
        } catch (NumberFormatException e) {
            return Optional.empty(); // a number past the type's range: not one this charm wrote
        }
        return Optional.empty();
    }
}
