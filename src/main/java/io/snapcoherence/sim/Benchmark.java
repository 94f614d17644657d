package io.snapcoherence.sim;

import io.snapcoherence.coherence.Role;
import io.snapcoherence.coherence.RolloutState;

import java.time.Instant;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.ToLongFunction;

/**
 * The scale benchmark (a program, not a test): one rollout of new revisions across CP control-plane and W worker
 * units with the real charm, from a settled model (see {@link SimulatedModel#addSettledUnits}) until every unit is
 * on the new revisions and the leader marked the plan complete. Prints one markdown table row per size.
 * {@code java -cp target/snap-coherence.jar io.snapcoherence.sim.Benchmark [CP:W:m ...]} (bench/simulator.sh).
 */
public final class Benchmark {

    private Benchmark() {
    }

    public static void main(String[] args) {
        List<String> sizes = new java.util.ArrayList<>();
        Set<Hostility> hostility = EnumSet.allOf(Hostility.class);
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--tame") && i + 1 < args.length) {
                for (String name : args[++i].split(",")) {
                    hostility.remove(Hostility.ofOption(name).orElseThrow(
                            () -> new IllegalArgumentException("no hostile behaviour " + name)));
                }
            } else {
                sizes.add(args[i]);
            }
        }
        if (sizes.isEmpty()) {
            sizes.addAll(List.of("3:100:10", "3:1000:50"));
        }
        if (!hostility.containsAll(EnumSet.allOf(Hostility.class))) {
            System.out.println("tamed: " + EnumSet.complementOf(EnumSet.copyOf(hostility)));
        }
        System.out.println("| units (CP+W) | m | wall s | hook runs | hook runs/unit (mean, max) | own writes/unit "
                + "(mean, max) | rollout rounds | lower bound (batches) | pending hooks at end |");
        System.out.println("|---|---|---|---|---|---|---|---|---|");
        for (String size : sizes) {
            String[] parts = size.split(":");
            run(Integer.parseInt(parts[0]), Integer.parseInt(parts[1]), Integer.parseInt(parts[2]), hostility);
        }
    }

    static void run(int controlPlane, int workers, int maxUnavailable, Set<Hostility> hostility) {
        long started = System.nanoTime();
        SimulatedStore store = new SimulatedStore("snap-proxy-store");
        Rehearsal.OLD.forEach((snap, revision) -> store.publish(snap, Rehearsal.CHANNEL, revision));
        SimClock clock = new SimClock(Instant.parse("2026-11-25T10:00:00Z"));
        SimulatedProxy proxy = new SimulatedProxy(store);
        Map<String, Object> config = Map.of("max-unavailable", maxUnavailable);
        SimulatedModel model = new SimulatedModel(new SimulatedModel.Settings(1, config, 10, 0, 50, hostility), clock,
                store,
                HookRunner.charm(proxy, clock),
                (role, machine) -> (role == Role.CONTROL_PLANE ? Rehearsal.CONTROL_PLANE_SNAPS : Rehearsal.WORKER_SNAPS)
                        .forEach(snap -> machine.install(snap, Rehearsal.CHANNEL, Rehearsal.OLD.get(snap))));
        Invariants invariants = new Invariants(EnumSet.complementOf(EnumSet.of(Invariants.Id.I3, Invariants.Id.I8)));
        Rehearsal.Timeline timeline = new Rehearsal.Timeline();
        model.observe(invariants).observe(timeline);
        model.addSettledUnits(controlPlane, workers);
        model.settleQuietly(10_000);
        Map<String, Long> hooksBefore = snapshot(model, SimUnit::hookRuns);
        Map<String, Long> writesBefore = snapshot(model, SimUnit::ownWrites);
        long totalBefore = model.hookRuns();
        timeline.start(model);
        Rehearsal.NEW.forEach((snap, revision) -> store.publish(snap, Rehearsal.CHANNEL, revision));
        long rounds = 0;
        String beforePlan = "";
        while (rounds++ < 100_000 && !(timeline.rolloutRounds() >= 0 && planComplete(model))) {
            model.runRound();
            if (beforePlan.isEmpty() && timeline.planRound() >= 0) {
                beforePlan = proxyChange(model, hooksBefore, writesBefore, timeline);
            }
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        int units = controlPlane + workers;
        long[] hooks = delta(model, SimUnit::hookRuns, hooksBefore);
        long[] writes = delta(model, SimUnit::ownWrites, writesBefore);
        long pending = model.pendingRelationHooks();
        long lower = ceil(controlPlane, maxUnavailable) + ceil(workers, maxUnavailable);
        System.out.printf("| %d+%d | %d | %.1f | %d | %.1f, %d | %.2f, %d | %d | %d | %d |%n", controlPlane, workers,
                maxUnavailable, seconds, model.hookRuns() - totalBefore, (double) hooks[0] / units, hooks[1],
                (double) writes[0] / units, writes[1], timeline.rolloutRounds(), lower, pending);
        System.out.println("  " + beforePlan);
    }

    /**
     * What a change of the proxy costs before the rollout: from the new revisions to the leader's plan, the rounds,
     * hook runs and own writes (units reporting what they saw, the leader merging and asking), and how many units
     * wrote.
     */
    private static String proxyChange(SimulatedModel model, Map<String, Long> hooksBefore,
                                      Map<String, Long> writesBefore, Rehearsal.Timeline timeline) {
        long[] hooks = delta(model, SimUnit::hookRuns, hooksBefore);
        long[] writes = delta(model, SimUnit::ownWrites, writesBefore);
        long writers = model.units().stream()
                .filter(u -> u.ownWrites() > writesBefore.getOrDefault(u.name(), 0L)).count();
        return "proxy change to plan: " + (timeline.planRound() - timeline.startRound()) + " rounds, " + hooks[0]
                + " hook runs, " + writes[0] + " own writes by " + writers + " units";
    }

    private static boolean planComplete(SimulatedModel model) {
        Optional<RolloutState> rollout = Rehearsal.rollout(model);
        return rollout.flatMap(RolloutState::plan).map(p -> p.complete()).orElse(false);
    }

    private static Map<String, Long> snapshot(SimulatedModel model, ToLongFunction<SimUnit> counter) {
        Map<String, Long> values = new HashMap<>();
        model.units().forEach(u -> values.put(u.name(), counter.applyAsLong(u)));
        return values;
    }

    /** {sum, max} of a counter's growth since the snapshot. */
    private static long[] delta(SimulatedModel model, ToLongFunction<SimUnit> counter, Map<String, Long> before) {
        long sum = 0;
        long max = 0;
        for (SimUnit unit : model.units()) {
            long d = counter.applyAsLong(unit) - before.getOrDefault(unit.name(), 0L);
            sum += d;
            max = Math.max(max, d);
        }
        return new long[] {sum, max};
    }

    private static long ceil(long a, long b) {
        return (a + b - 1) / b;
    }
}
