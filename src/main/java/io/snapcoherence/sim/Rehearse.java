package io.snapcoherence.sim;

import io.snapcoherence.coherence.Role;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * {@code snap-coherence rehearse}: rehearses a rollout of new snap revisions across a simulated model with the
 * real charm, prints the timeline and a summary, and exits 0 when every invariant held, 1 when one broke
 * (with the seed and the trace), 2 on bad arguments.
 */
public final class Rehearse {
    static final String USAGE = """
            usage: snap-coherence rehearse [--control-plane N] [--workers N] [--seed N] [--max-unavailable N]
                     [--fail SNAP@UNIT]... [--fail-always SNAP@UNIT]... [--on-failure halt|revert] [--resume]
                     [--proxy-url URL | --no-proxy] [--slow ROUNDS] [--long-changes ROUNDS] [--chaos]
                     [--update-status-every ROUNDS] [--tame BEHAVIOUR[,BEHAVIOUR]]... [--trace STEPS] [--brief]
                     [--soak DURATION [--break-canary]] [--unhealthy UNIT[,UNIT]]... [--unhealthy-for CHECKS]
                     [--silent-node] [--still-unhealthy]
                   snap-coherence rehearse --status FILE [--config FILE] [--seed N] [--brief]
              UNIT is a principal unit (kubernetes-worker/4, or worker/4, control-plane/0) or a snap-coherence unit
              (snap-coherence/7). --fail makes the next refresh of SNAP on that unit fail, --fail-always every one.
              --proxy-url defaults to http://snap-proxy.internal (a simulated proxy; --no-proxy: none).
              --resume runs the resume action on the leader after a halt (faults cleared first).
              --slow: hooks that refresh snaps take this many rounds. --long-changes: each refresh outlives the
              hook's wait and snapd finishes it this many rounds later. --chaos: random leader changes, killed
              hooks, unit removal and addition, proxy outages, malformed peer data, and the hostile draws below.
              Juju's hostile behaviours are all on unless tamed with --tame: dying-leader-keeps-lease,
              lease-lost-in-long-hook, cached-remote-data (model), slow-hooks, kill-before-commit, machine-death,
              config-changes, operator-actions (--chaos draws). --trace: steps shown when an invariant breaks
              (default 60, at most 600). --brief: summary only. --soak: config soak (90s, 30m, 2h; a round is
              10 s of model time); --break-canary: the canary's services break while it soaks.
              --unhealthy: after its refresh, the unit's node answers /readyz and /healthz with 500 (--silent-node:
              no answer) until the operator fixes it before --resume (--unhealthy-for: only that many checks;
              --still-unhealthy: --resume leaves it sick, as a resume repairs no node).
              --status: rehearse on a real model's topology, from juju status --format=yaml (or json) output;
              --config: with the options set in juju config snap-coherence --format=yaml output.""";

    private Rehearse() {
    }

    public static int main(String[] args) {
        if (List.of(args).contains("--status")) {
            return mainOnStatus(args, System.out, System.err);
        }
        Rehearsal.Options options;
        boolean brief = false;
        int traceSteps = 60;
        try {
            options = parse(args);
            brief = List.of(args).contains("--brief");
            int at = List.of(args).indexOf("--trace");
            traceSteps = at < 0 ? traceSteps : number(args, at + 1, "--trace", 1);
        } catch (IllegalArgumentException e) {
            System.err.println("rehearse: " + e.getMessage());
            System.err.println(USAGE);
            return 2;
        }
        long started = System.nanoTime();
        Rehearsal.Result result;
        try {
            result = Rehearsal.run(options);
        } catch (IllegalArgumentException e) {
            System.err.println("rehearse: " + e.getMessage());
            return 2;
        }
        print(result, brief, traceSteps, (System.nanoTime() - started) / 1_000_000, System.out);
        return result.held() ? 0 : 1;
    }

    /**
     * {@code rehearse --status FILE [--config FILE] [--seed N] [--brief]}: exit 0 when the invariants held, 1 when
     * one broke, 2 on bad arguments or input the rehearsal cannot use (one line saying what is missing).
     */
    static int mainOnStatus(String[] args, PrintStream out, PrintStream err) {
        Optional<java.nio.file.Path> status = Optional.empty();
        Optional<java.nio.file.Path> config = Optional.empty();
        long seed = 1;
        boolean brief = false;
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--status" -> status = Optional.of(java.nio.file.Path.of(value(args, ++i, "--status")));
                    case "--config" -> config = Optional.of(java.nio.file.Path.of(value(args, ++i, "--config")));
                    case "--seed" -> seed = number(args, ++i, "--seed", 0);
                    case "--brief" -> brief = true;
                    default -> throw new IllegalArgumentException(args[i] + " does not go with --status (only --config,"
                            + " --seed, --brief)");
                }
            }
        } catch (IllegalArgumentException e) {
            err.println("rehearse: " + e.getMessage());
            err.println(USAGE);
            return 2;
        }
        RealModel real;
        try {
            real = RealModel.read(status.orElseThrow(), config);
        } catch (RealModel.Unreadable e) {
            err.println("rehearse: " + e.getMessage());
            return 2;
        }
        StatusRehearsal.Result result = StatusRehearsal.run(real, seed, Rehearsal.Options.defaults().maxRounds());
        StatusRehearsal.print(result, brief, out);
        return result.held() ? 0 : 1;
    }

    static Rehearsal.Options parse(String[] args) {
        Rehearsal.Options d = Rehearsal.Options.defaults();
        int controlPlane = d.controlPlane();
        int workers = d.workers();
        long seed = d.seed();
        int maxUnavailable = d.maxUnavailable();
        List<Rehearsal.FailSpec> fails = new ArrayList<>();
        Optional<String> proxyUrl = d.proxyUrl();
        String onFailure = d.onFailure();
        int slow = d.slowRefreshRounds();
        int longChanges = d.longChangeRounds();
        boolean chaos = false;
        boolean resume = false;
        String soak = "0";
        boolean breakCanary = false;
        List<String> unhealthy = new ArrayList<>();
        int unhealthyChecks = -1;
        boolean silentNode = false;
        boolean stillUnhealthy = false;
        int updateStatusEvery = d.updateStatusEvery();
        java.util.EnumSet<Hostility> hostility = java.util.EnumSet.allOf(Hostility.class);
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            switch (arg) {
                case "--control-plane" -> controlPlane = number(args, ++i, arg, 1);
                case "--workers" -> workers = number(args, ++i, arg, 0);
                case "--seed" -> seed = Long.parseLong(value(args, ++i, arg));
                case "--max-unavailable" -> maxUnavailable = number(args, ++i, arg, 1);
                case "--fail", "--fail-always" -> {
                    String spec = value(args, ++i, arg);
                    int at = spec.indexOf('@');
                    if (at <= 0 || at == spec.length() - 1) {
                        throw new IllegalArgumentException(arg + " wants SNAP@UNIT, got " + spec);
                    }
                    fails.add(new Rehearsal.FailSpec(spec.substring(0, at), spec.substring(at + 1),
                            arg.equals("--fail-always")));
                }
                case "--on-failure" -> onFailure = value(args, ++i, arg);
                case "--proxy-url" -> proxyUrl = Optional.of(value(args, ++i, arg));
                case "--no-proxy" -> proxyUrl = Optional.empty();
                case "--slow" -> slow = number(args, ++i, arg, 0);
                case "--long-changes" -> longChanges = number(args, ++i, arg, 0);
                case "--chaos" -> chaos = true;
                case "--resume" -> resume = true;
                case "--soak" -> {
                    soak = value(args, ++i, arg);
                    io.snapcoherence.coherence.Soak.parse(soak); // refused here, not as a blocked model
                }
                case "--break-canary" -> breakCanary = true;
                case "--unhealthy" -> {
                    for (String unit : value(args, ++i, arg).split(",")) {
                        if (!unit.isBlank()) {
                            unhealthy.add(unit.strip());
                        }
                    }
                }
                case "--unhealthy-for" -> unhealthyChecks = number(args, ++i, arg, 1);
                case "--silent-node" -> silentNode = true;
                case "--still-unhealthy" -> stillUnhealthy = true;
                case "--update-status-every" -> updateStatusEvery = number(args, ++i, arg, 1);
                case "--tame" -> {
                    for (String name : value(args, ++i, arg).split(",")) {
                        hostility.remove(Hostility.ofOption(name.strip()).orElseThrow(() ->
                                new IllegalArgumentException("--tame: no hostile behaviour " + name)));
                    }
                }
                case "--trace" -> number(args, ++i, arg, 1);
                case "--brief" -> { }
                default -> throw new IllegalArgumentException("unknown option " + arg);
            }
        }
        return d.toBuilder().controlPlane(controlPlane).workers(workers).seed(seed).maxUnavailable(maxUnavailable)
                .fails(fails).proxyUrl(proxyUrl).onFailure(onFailure).slowRefreshRounds(slow)
                .longChangeRounds(longChanges).chaos(chaos).resumeAfterHalt(resume).updateStatusEvery(updateStatusEvery).hostility(hostility)
                .soak(soak, breakCanary).unhealthy(unhealthy, unhealthyChecks, silentNode)
                .stillUnhealthy(stillUnhealthy).build();
    }

    static void print(Rehearsal.Result result, boolean brief, int traceSteps, long millis, PrintStream out) {
        Rehearsal.Options o = result.options();
        SimulatedModel model = result.model();
        out.printf("rehearsal: %d control-plane + %d worker units, max-unavailable %d, on-failure %s, proxy %s, "
                        + "seed %d%s%n", o.controlPlane(), o.workers(), o.maxUnavailable(), o.onFailure(),
                o.proxyUrl().orElse("none"), o.seed(), o.soak().equals("0") ? "" : ", soak " + o.soak());
        List<String> tamed = java.util.Arrays.stream(Hostility.values()).filter(h -> !o.hostility().contains(h))
                .map(Hostility::option).toList();
        if (!tamed.isEmpty()) {
            out.println("tamed: " + String.join(", ", tamed));
        }
        if (!brief) {
            out.println();
            out.println("timeline (r = scheduler round):");
            result.timeline().lines().forEach(line -> out.println("  " + line));
            out.println();
            out.println("final statuses:");
            out.println("  app " + SimulatedModel.APP + ": " + model.appStatus());
            for (SimUnit unit : model.liveUnits()) {
                out.printf("  %-20s %-28s %s%n", unit.name(), unit.principal(), unit.status());
            }
        }
        out.println();
        out.println("summary:");
        long units = model.liveUnits().size();
        long maxHooks = model.units().stream().mapToLong(SimUnit::hookRuns).max().orElse(0);
        long maxWrites = model.units().stream().mapToLong(SimUnit::ownWrites).max().orElse(0);
        out.printf("  hook runs during the rollout: %d (%.1f per unit; busiest unit %d over the whole run)%n",
                result.hookRuns(), units == 0 ? 0.0 : (double) result.hookRuns() / units, maxHooks);
        out.printf("  relation writes during the rollout: %d (most by one unit over the whole run: %d)%n",
                result.relationWrites(), maxWrites);
        long cp = model.liveUnits().stream().filter(u -> u.role() == Role.CONTROL_PLANE).count();
        long lower = ceil(cp, o.maxUnavailable()) + ceil(units - cp, o.maxUnavailable());
        Rehearsal.Timeline timeline = result.timeline();
        out.printf("  rollout length: %s rounds from the plan (r%d) to the last unit on target; lower bound %d "
                        + "batches of max-unavailable; control plane done at r%d, first worker refresh at r%d%n",
                timeline.rolloutRounds() < 0 ? "not finished," : String.valueOf(timeline.rolloutRounds()),
                timeline.planRound(), lower, timeline.controlPlaneDoneRound(), timeline.firstWorkerRound());
        if (result.resumes() > 0) {
            out.println("  resumed after a halt: " + result.resumes() + " time(s)");
        }
        out.printf("  simulated %d rounds, %d steps, %d hook runs in %d ms%n", model.round(), model.steps(),
                model.hookRuns(), millis);
        if (result.violation().isPresent()) {
            out.println("  INVARIANT BROKEN: " + result.violation().get().getMessage());
            out.println("  reproduce with --seed " + o.seed() + "; last steps:");
            model.trace().stream().skip(Math.max(0, model.trace().size() - traceSteps)).forEach(l -> out.println("    " + l));
        } else if (!result.quiet()) {
            out.println("  NOT QUIET after " + o.maxRounds() + " rounds (seed " + o.seed() + "); last steps:");
            model.trace().stream().skip(Math.max(0, model.trace().size() - traceSteps)).forEach(l -> out.println("    " + l));
        } else {
            out.println("  invariants held: " + Set.copyOf(o.checks()).stream().sorted().map(Enum::name).toList());
        }
    }

    private static long ceil(long a, long b) {
        return (a + b - 1) / b;
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[i];
    }

    private static int number(String[] args, int i, String option, int min) {
        String text = value(args, i, option);
        try {
            int n = Integer.parseInt(text);
            if (n < min) {
                throw new IllegalArgumentException(option + " must be at least " + min + ", got " + n);
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " wants a number, got " + text);
        }
    }
}
