package io.snapcoherence.sim;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The real charm rehearsed over many seeds with mixed faults (refresh failures once or persistent, slow refreshes,
 * leader changes, unit removal and addition, killed hooks, proxy outages, data from another schema, snapd's own
 * timer), every invariant checked after every step and at the end. 200 seeds by default; more on demand:
 * {@code mvn -B test -Dtest=RandomizedRolloutTest -Dsim.seeds=5000 [-Dsim.firstSeed=N]}. A failure names its
 * seed; {@code rehearse --seed N} with the printed options replays it.
 */
class RandomizedRolloutTest {

    @Test
    void everyInvariantHoldsOverManySeedsWithFaults() {
        holdsOver(Integer.getInteger("sim.seeds", 200), Long.getLong("sim.firstSeed", 1), false);
    }

    /**
     * Wider tiers than max-unavailable several times over, so that units wait in line behind the grants and pace
     * themselves by their predecessors' reports under the same faults. 20 seeds by default;
     * {@code -Dsim.wideSeeds=N} for more.
     */
    @Test
    void everyInvariantHoldsInWiderModelsWithFaults() {
        holdsOver(Integer.getInteger("sim.wideSeeds", 20), Long.getLong("sim.firstSeed", 1), true);
    }

    private static void holdsOver(int seeds, long first, boolean wide) {
        List<String> failures = new ArrayList<>();
        long hooks = 0;
        for (long seed = first; seed < first + seeds; seed++) {
            Rehearsal.Options options = optionsFor(seed, wide);
            Rehearsal.Result result = Rehearsal.run(options);
            hooks += result.model().hookRuns();
            if (!result.held()) {
                String why = result.violation().map(Throwable::getMessage).orElse("not quiet after "
                        + options.maxRounds() + " rounds");
                failures.add("seed " + seed + " " + describe(options) + ": " + why + "\n    last steps:\n      "
                        + String.join("\n      ", tail(result.model().trace(), 25)));
                System.out.println("FAILED seed " + seed + ": " + why);
            }
        }
        System.out.printf("randomized rollouts%s: %d seeds from %d, %d hook runs, %d failed%n",
                wide ? " (wide)" : "", seeds, first, hooks, failures.size());
        assertThat(failures).as("seeds whose rollout broke an invariant").isEmpty();
    }

    /**
     * Seeds of long runs that once broke an invariant (each fixed since, see docs/simulator.md): a cheap pin that
     * they keep holding, outside the default range.
     */
    @Test
    void seedsThatOnceBrokeAnInvariantHold() {
        List<String> failures = new ArrayList<>();
        for (long seed : new long[] {799, 2480, 2780, 2997, 3200, 3790, 4520, 5130, 6371, 6454, 7056, 7717, 8417, 9245, 9898,
                17988, 19503, 20303, 25906, 26632, 29163, 38301, 49241, 49865, 58190, 61051, 372, 542,
                1426, 2542, 4271, 4567, 434, 532, 1302, 1429, 1901, 2020, 2586, 100038,
                1335, 3941, 4286, 100365, 104221, 186974,
                103158, 104617, 107321, 108523, 103151, 131505, 131509, 137465,
                145486, 146993, 147758, 148731, 155041, 108521, 164371, 162402,
                147263, 155690, 157070, 162896, 167863, 169500, 165547, 2383, 168599, 169544, 169936, 165826,
                169680, 169940, 173854, 175215, 180048, 184822, 2611, 172240, 183416, 176757, 185957,
                187465, 191899,
                198069, 199179, 207035, 212241, 225422, 237137, 248268, 262783, 269195, 329382, 334233, 344832, 365670, 468610}) {
            failures.addAll(failureOf(optionsFor(seed, false)));
        }
        for (long seed : new long[] {50204, 81, 56, 25, 165613, 165849, 167573, 169016, 169890, 173266, 178268, 180251, 186105, 193887}) {
            failures.addAll(failureOf(optionsFor(seed, true)));
        }
        assertThat(failures).isEmpty();
    }

    private static List<String> failureOf(Rehearsal.Options options) {
        Rehearsal.Result result = Rehearsal.run(options);
        return result.held() ? List.of()
                : List.of(describe(options) + ": " + result.violation().map(Throwable::getMessage).orElse("not quiet"));
    }

    /**
     * How many rounds a seed may take to go quiet (per settling: the first, and one after each resume) before it
     * counts as a failure, "not quiet". Measured on wide seeds 1-200 (docs/simulator.md): 63 to 436 rounds, median
     * 131, the liveness hour (360 rounds) included where a rollout stood; small seeds take fewer. 3,000 leaves a
     * margin of about 7 over the longest, and a seed that is not quiet costs seconds, not minutes.
     */
    static final int ROUND_CAP = 3_000;

    /**
     * A model and a mix of faults, all drawn from the seed: small (1-3 control plane, 1-5 workers,
     * max-unavailable 1-2), or wide (2-5 control plane, 6-16 workers, max-unavailable 1-3); in one seed of four,
     * refreshes outlive the hook's wait by 1-4 rounds.
     */
    static Rehearsal.Options optionsFor(long seed, boolean wide) {
        Random random = new Random(seed * 7919);
        int controlPlane = wide ? 2 + random.nextInt(4) : 1 + random.nextInt(3);
        int workers = wide ? 6 + random.nextInt(11) : 1 + random.nextInt(5);
        int maxUnavailable = 1 + random.nextInt(wide ? 3 : 2);
        List<Rehearsal.FailSpec> fails = new ArrayList<>();
        if (random.nextInt(3) == 0) {
            boolean worker = random.nextBoolean();
            String unit = worker ? "worker/" + random.nextInt(workers) : "control-plane/" + random.nextInt(controlPlane);
            List<String> snaps = worker ? Rehearsal.WORKER_SNAPS : Rehearsal.CONTROL_PLANE_SNAPS;
            fails.add(new Rehearsal.FailSpec(snaps.get(random.nextInt(snaps.size())), unit, random.nextBoolean()));
        }
        String onFailure = random.nextInt(3) == 0 ? "revert" : "halt";
        int slow = random.nextInt(3);
        Optional<String> proxy = random.nextInt(3) == 0 ? Optional.empty() : Optional.of(Rehearsal.DEFAULT_PROXY);
        // Drawn last, so that seeds without long changes keep the models and faults they always had.
        int longChanges = random.nextInt(4) == 0 ? 1 + random.nextInt(4) : 0;
        // The soak, drawn after every other draw for the same reason: in one seed of four, 10 to 30 minutes of
        // model time, and in one of those three the canary's services break while it soaks.
        String soak = random.nextInt(4) == 0 ? (10 + random.nextInt(21)) + "m" : "0";
        boolean breakCanary = !soak.equals("0") && random.nextInt(3) == 0;
        // Unhealthy nodes, drawn after the soak for the same reason: in one seed of five, one unit's node answers
        // /readyz and /healthz unhealthy from its refresh on, in half of those only for 1 to 4 checks (a component
        // slow to come up), else until the operator fixes it before a resume; one time in four with no answer.
        List<String> unhealthy = List.of();
        int unhealthyChecks = -1;
        boolean silentNode = false;
        if (random.nextInt(5) == 0) {
            boolean worker = random.nextBoolean();
            unhealthy = List.of(worker ? "worker/" + random.nextInt(workers)
                    : "control-plane/" + random.nextInt(controlPlane));
            unhealthyChecks = random.nextBoolean() ? 1 + random.nextInt(4) : -1;
            silentNode = random.nextInt(4) == 0;
        }
        // Last of all, for the same reason: in half the seeds whose node stays unhealthy, the operator resumes
        // without fixing it (a resume repairs no node).
        boolean stillUnhealthy = !unhealthy.isEmpty() && unhealthyChecks < 0 && random.nextBoolean();
        return Rehearsal.Options.builder().controlPlane(controlPlane).workers(workers).seed(seed)
                .maxUnavailable(maxUnavailable).fails(fails).proxyUrl(proxy).onFailure(onFailure)
                .slowRefreshRounds(slow).longChangeRounds(longChanges).chaos(true).resumeAfterHalt(true)
                .updateStatusEvery(5).maxRounds(ROUND_CAP).checks(EnumSet.allOf(Invariants.Id.class))
                .hostility(hostility()).soak(soak, breakCanary).unhealthy(unhealthy, unhealthyChecks, silentNode)
                .stillUnhealthy(stillUnhealthy).build();
    }

    /**
     * Hostile behaviours that expose a hole of the protocol not fixed yet, each with the hole it waits for; the
     * suite runs with them off. None: every hostile behaviour is on. {@code -Dsim.tame=a,b} (rehearse names)
     * turns some off, {@code -Dsim.tame=none} every one on.
     */
    static final Map<Hostility, String> WAITING_FOR_A_FIX = Map.of();

    static Set<Hostility> hostility() {
        String tame = System.getProperty("sim.tame", "");
        Set<Hostility> on = EnumSet.allOf(Hostility.class);
        if (tame.isBlank()) {
            on.removeAll(WAITING_FOR_A_FIX.keySet());
        } else if (!tame.equals("none")) {
            for (String name : tame.split(",")) {
                on.remove(Hostility.ofOption(name.strip()).orElseThrow());
            }
        }
        return on;
    }

    static String describe(Rehearsal.Options o) {
        StringBuilder s = new StringBuilder("rehearse --control-plane " + o.controlPlane() + " --workers " + o.workers()
                + " --seed " + o.seed() + " --max-unavailable " + o.maxUnavailable() + " --on-failure " + o.onFailure()
                + " --slow " + o.slowRefreshRounds() + (o.longChangeRounds() > 0 ? " --long-changes "
                + o.longChangeRounds() : "") + " --chaos --resume --update-status-every " + o.updateStatusEvery()
                + (o.proxyUrl().isPresent() ? "" : " --no-proxy")
                + (o.soak().equals("0") ? "" : " --soak " + o.soak())
                + (o.breakCanaryWhileSoaking() ? " --break-canary" : "")
                + (o.unhealthy().isEmpty() ? "" : " --unhealthy " + String.join(",", o.unhealthy())
                + (o.unhealthyChecks() > 0 ? " --unhealthy-for " + o.unhealthyChecks() : "")
                + (o.unhealthySilent() ? " --silent-node" : "")
                + (o.stillUnhealthy() ? " --still-unhealthy" : "")));
        String tamed = String.join(",", java.util.Arrays.stream(Hostility.values())
                .filter(h -> !o.hostility().contains(h)).map(Hostility::option).toList());
        if (!tamed.isEmpty()) {
            s.append(" --tame ").append(tamed);
        }
        o.fails().forEach(f -> s.append(f.persistent() ? " --fail-always " : " --fail ").append(f.snap()).append('@')
                .append(f.unit()));
        return s.toString();
    }

    private static List<String> tail(List<String> lines, int n) {
        return lines.subList(Math.max(0, lines.size() - n), lines.size());
    }
}
