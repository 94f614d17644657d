package io.snapcoherence.sim;

import io.snapcoherence.coherence.PeerCodec;
import io.snapcoherence.coherence.Role;
import io.snapcoherence.coherence.RolloutState;
import io.snapcoherence.coherence.Soak;
import io.snapcoherence.snap.InstalledSnap;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One rehearsed rollout with the real charm: a model of Charmed Kubernetes units on channel 1.29/stable, settled;
 * then the proxy serves new revisions of every snap and the model runs until quiet, with the faults asked for.
 * Used by {@code rehearse}, the randomized suite and the scale benchmark.
 */
public final class Rehearsal {
    public static final String CHANNEL = "1.29/stable";
    public static final String DEFAULT_PROXY = "http://snap-proxy.internal";
    public static final Map<String, Integer> OLD = revisions(3100);
    public static final Map<String, Integer> NEW = revisions(3150);
    /** The architectures a rehearsal's machines have; each has its own builds, numbered apart. */
    public static final List<String> ARCHES = List.of("amd64", "arm64");
    /** How far the arm64 builds' revision numbers are from the amd64 ones. */
    static final int ARM64_APART = 1000;
    /** How far upstream is ahead of the proxy's overrides during a proxied rollout. */
    static final int UPSTREAM_AHEAD = 20;
    static final List<String> CONTROL_PLANE_SNAPS = List.of("kube-apiserver", "kube-controller-manager",
            "kube-scheduler", "kube-proxy", "kubelet", "kubectl");
    static final List<String> WORKER_SNAPS = List.of("kube-proxy", "kubelet", "kubectl");

    /** A refresh of {@code snap} fails on the unit (a principal or snap-coherence unit name), once or always. */
    public record FailSpec(String snap, String unit, boolean persistent) {
    }

    public record Options(int controlPlane, int workers, long seed, int maxUnavailable, List<FailSpec> fails,
                          Optional<String> proxyUrl, String onFailure, int slowRefreshRounds, int longChangeRounds,
                          boolean chaos,
                          boolean resumeAfterHalt, int updateStatusEvery, long maxRounds, Set<Invariants.Id> checks,
                          Set<Hostility> hostility, String soak, boolean breakCanaryWhileSoaking,
                          List<String> unhealthy, int unhealthyChecks, boolean unhealthySilent,
                          boolean stillUnhealthy) {
        public Options {
            fails = List.copyOf(fails);
            unhealthy = List.copyOf(unhealthy);
            checks = Set.copyOf(checks);
            hostility = Set.copyOf(hostility);
        }

        /** The defaults of {@link #builder()}: a mid-size model with every invariant and hostile behaviour on. */
        public static Options defaults() {
            return builder().build();
        }

        /**
         * 3 control-plane and 20 worker units, seed 1, max-unavailable 2, no forced failures, the default proxy,
         * on-failure halt, no slow refreshes or long changes, no chaos, no resume, update-status every 10 rounds,
         * 20,000 rounds at most, every invariant checked, every hostile behaviour on, no soak.
         */
        public static Builder builder() {
            return new Builder();
        }

        public Builder toBuilder() {
            return new Builder().controlPlane(controlPlane).workers(workers).seed(seed)
                    .maxUnavailable(maxUnavailable).fails(fails).proxyUrl(proxyUrl).onFailure(onFailure)
                    .slowRefreshRounds(slowRefreshRounds).longChangeRounds(longChangeRounds).chaos(chaos)
                    .resumeAfterHalt(resumeAfterHalt).updateStatusEvery(updateStatusEvery).maxRounds(maxRounds)
                    .checks(checks).hostility(hostility).soak(soak, breakCanaryWhileSoaking)
                    .unhealthy(unhealthy, unhealthyChecks, unhealthySilent).stillUnhealthy(stillUnhealthy);
        }

        public Options withHostility(Set<Hostility> hostility) {
            return toBuilder().hostility(hostility).build();
        }

        /**
         * With config {@code soak} (0: none) and, when {@code breakCanary}, the canary's kube-apiserver services
         * broken once while its soak runs (before its end).
         */
        public Options withSoak(String soak, boolean breakCanary) {
            return toBuilder().soak(soak, breakCanary).build();
        }

        public static final class Builder {
            private int controlPlane = 3;
            private int workers = 20;
            private long seed = 1;
            private int maxUnavailable = 2;
            private List<FailSpec> fails = List.of();
            private Optional<String> proxyUrl = Optional.of(DEFAULT_PROXY);
            private String onFailure = "halt";
            private int slowRefreshRounds;
            private int longChangeRounds;
            private boolean chaos;
            private boolean resumeAfterHalt;
            private int updateStatusEvery = 10;
            private long maxRounds = 20_000;
            private Set<Invariants.Id> checks = Set.of(Invariants.Id.values());
            private Set<Hostility> hostility = Set.of(Hostility.values());
            private String soak = "0";
            private boolean breakCanaryWhileSoaking;
            private List<String> unhealthy = List.of();
            private int unhealthyChecks = -1;
            private boolean unhealthySilent;
            private boolean stillUnhealthy;

            private Builder() {
            }

            public Builder controlPlane(int controlPlane) {
                this.controlPlane = controlPlane;
                return this;
            }

            public Builder workers(int workers) {
                this.workers = workers;
                return this;
            }

            public Builder seed(long seed) {
                this.seed = seed;
                return this;
            }

            public Builder maxUnavailable(int maxUnavailable) {
                this.maxUnavailable = maxUnavailable;
                return this;
            }

            public Builder fails(List<FailSpec> fails) {
                this.fails = fails;
                return this;
            }

            public Builder proxyUrl(Optional<String> proxyUrl) {
                this.proxyUrl = proxyUrl;
                return this;
            }

            public Builder onFailure(String onFailure) {
                this.onFailure = onFailure;
                return this;
            }

            public Builder slowRefreshRounds(int slowRefreshRounds) {
                this.slowRefreshRounds = slowRefreshRounds;
                return this;
            }

            public Builder longChangeRounds(int longChangeRounds) {
                this.longChangeRounds = longChangeRounds;
                return this;
            }

            public Builder chaos(boolean chaos) {
                this.chaos = chaos;
                return this;
            }

            public Builder resumeAfterHalt(boolean resumeAfterHalt) {
                this.resumeAfterHalt = resumeAfterHalt;
                return this;
            }

            public Builder updateStatusEvery(int updateStatusEvery) {
                this.updateStatusEvery = updateStatusEvery;
                return this;
            }

            public Builder maxRounds(long maxRounds) {
                this.maxRounds = maxRounds;
                return this;
            }

            public Builder checks(Set<Invariants.Id> checks) {
                this.checks = checks;
                return this;
            }

            public Builder hostility(Set<Hostility> hostility) {
                this.hostility = hostility;
                return this;
            }

            /** Config {@code soak} (0: none); see {@link Options#withSoak}. */
            public Builder soak(String soak, boolean breakCanary) {
                this.soak = soak;
                this.breakCanaryWhileSoaking = breakCanary;
                return this;
            }

            /**
             * The units (as {@link FailSpec#unit} names them) whose node answers unhealthy for kubelet and
             * kube-apiserver from their next refresh on: {@code checks} times (then healthy again), or until the
             * operator fixes it before a resume ({@code -1}); with {@code silent}, no answer instead of a 500.
             */
            public Builder unhealthy(List<String> units, int checks, boolean silent) {
                this.unhealthy = units;
                this.unhealthyChecks = checks;
                this.unhealthySilent = silent;
                return this;
            }

            /**
             * With {@code resumeAfterHalt}: the operator resumes without fixing the unhealthy nodes, which stay sick
             * (see {@link Rehearsal#run}).
             */
            public Builder stillUnhealthy(boolean stillUnhealthy) {
                this.stillUnhealthy = stillUnhealthy;
                return this;
            }

            public Options build() {
                return new Options(controlPlane, workers, seed, maxUnavailable, fails, proxyUrl, onFailure,
                        slowRefreshRounds, longChangeRounds, chaos, resumeAfterHalt, updateStatusEvery, maxRounds,
                        checks, hostility, soak, breakCanaryWhileSoaking, unhealthy, unhealthyChecks,
                        unhealthySilent, stillUnhealthy);
            }
        }
    }

    /** What happened after the new revisions were published. */
    public record Result(Options options, SimulatedModel model, Timeline timeline, boolean quiet,
                         Optional<InvariantViolation> violation, long hookRuns, long relationWrites,
                         int resumes) {
        public boolean held() {
            return violation.isEmpty() && quiet;
        }
    }

    private Rehearsal() {
    }

    public static Result run(Options options) {
        return run(options, (model, step) -> { });
    }

    /** As {@link #run(Options)}, with {@code watcher} seeing every step after the model's own observers. */
    public static Result run(Options options, StepObserver watcher) {
        SimulatedStore store = new SimulatedStore("snap-proxy-store", options.proxyUrl().orElse(DEFAULT_PROXY));
        ARCHES.forEach(arch -> old(arch).forEach((snap, revision) -> store.publish(arch, snap, CHANNEL, revision)));
        SimClock clock = new SimClock(Instant.parse("2026-11-25T10:00:00Z"));
        SimulatedProxy proxy = new SimulatedProxy(store);
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("max-unavailable", options.maxUnavailable());
        config.put("on-failure", options.onFailure());
        options.proxyUrl().ifPresent(url -> config.put("proxy-url", url));
        if (!options.soak().equals("0")) {
            config.put("soak", options.soak());
        }
        SimulatedModel.Settings settings = new SimulatedModel.Settings(options.seed(), config,
                options.updateStatusEvery(), options.chaos() ? 7 : 0, 600, options.hostility());
        MixedArches arches = new MixedArches(options);
        SimulatedModel model = new SimulatedModel(settings, clock, store, HookRunner.charm(proxy, clock),
                (role, machine) -> installKubernetes(role, machine.withArchitecture(arches.of(machine.name()))));
        Invariants invariants = new Invariants(options.checks());
        Timeline timeline = new Timeline();
        model.observe(invariants).observe(timeline);
        CanaryBreaker breaker = new CanaryBreaker();
        if (options.breakCanaryWhileSoaking()) {
            model.observe(breaker);
        }
        model.observe(watcher);
        for (int i = 0; i < options.controlPlane(); i++) {
            model.addUnit(Role.CONTROL_PLANE);
        }
        for (int i = 0; i < options.workers(); i++) {
            model.addUnit(Role.WORKER);
        }
        int resumes = 0;
        long hooksBefore = 0;
        long writesBefore = 0;
        boolean quiet = false;
        try {
            quiet = model.runUntilQuiet(options.maxRounds());
            hooksBefore = model.hookRuns();
            writesBefore = model.relationWrites();
            for (FailSpec fail : options.fails()) {
                resolve(model, fail.unit()).machine().failRefresh(fail.snap(), "simulated download failure",
                        fail.persistent());
            }
            for (String unit : options.unhealthy()) {
                SimulatedMachine machine = resolve(model, unit).machine();
                SimulatedMachine.Sickness sickness = new SimulatedMachine.Sickness(options.unhealthySilent(),
                        options.unhealthyChecks());
                List.of("kube-apiserver", "kubelet").forEach(snap -> machine.unhealthyAfterRefresh(snap, sickness));
            }
            if (options.slowRefreshRounds() > 0) {
                model.liveUnits().forEach(u -> model.setRefreshRounds(u.name(), options.slowRefreshRounds()));
            }
            if (options.longChangeRounds() > 0) {
                model.liveUnits().forEach(u -> model.setChangeRounds(u.name(), options.longChangeRounds()));
            }
            if (options.chaos()) {
                model.chaos(new Chaos(options, proxy));
            }
            timeline.start(model);
            publishNew(store, options.proxyUrl().isPresent());
            quiet = settle(model, options.maxRounds());
            while (quiet && options.resumeAfterHalt() && halted(model) && resumes < 3) {
                invariants.checkQuiescent(model);
                model.chaos((m, r) -> { });
                store.setOutage(false);
                proxy.setMode(SimulatedProxy.Mode.OK);
                model.units().forEach(u -> CONTROL_PLANE_SNAPS.forEach(s -> u.machine().clearRefreshFault(s)));
                breaker.repair(model);
                // ... and fixes the nodes whose Kubernetes answered unhealthy, unless told to resume without: a real
                // node answers unhealthy until someone repairs what broke it (etcd, the kubelet's config; Kubernetes'
                // healthz handler reports its checks as they stand, k8s.io/apiserver pkg/server/healthz), and
                // `resume` retries the rollout, it repairs nothing. An operator may resume first to see whether it
                // was transient.
                if (!options.stillUnhealthy()) {
                    model.units().forEach(u -> u.machine().healNodeHealth());
                }
                // The operator removes what the status named on machines that died, then resumes on the leader.
                model.units().stream().filter(u -> !u.gone() && !u.machineUp()).forEach(u -> model.forceRemove(u.name()));
                quiet = settle(model, options.maxRounds());
                if (!quiet || !halted(model)) {
                    break;
                }
                model.runAction(model.leader(), "resume", Map.of());
                resumes++;
                quiet = settle(model, options.maxRounds());
            }
            if (quiet) {
                invariants.checkQuiescent(model);
            }
            return new Result(options, model, timeline, quiet, Optional.empty(), model.hookRuns() - hooksBefore,
                    model.relationWrites() - writesBefore, resumes);
        } catch (InvariantViolation violation) {
            return new Result(options, model, timeline, quiet, Optional.of(violation),
                    model.hookRuns() - hooksBefore, model.relationWrites() - writesBefore, resumes);
        }
    }

    /**
     * What every machine runs before the rollout: the Kubernetes snaps of its role on the old revisions of its
     * architecture, and snapd's own.
     */
    static void installKubernetes(Role role, SimulatedMachine machine) {
        Map<String, Integer> old = old(machine.architecture());
        (role == Role.CONTROL_PLANE ? CONTROL_PLANE_SNAPS : WORKER_SNAPS)
                .forEach(snap -> machine.install(snap, CHANNEL, old.get(snap)));
        machine.install("snapd", "latest/stable", 21759).install("core20", "latest/stable", 2015);
    }

    /**
     * The rollout's trigger. Through a proxy, the new revisions are the proxy's overrides, and upstream has
     * already moved on past them: a machine that is not on the proxy sees other revisions. Without a proxy, a
     * release upstream.
     */
    static void publishNew(SimulatedStore store, boolean proxied) {
        for (String arch : ARCHES) {
            if (proxied) {
                next(arch).forEach((snap, revision) -> store.override(arch, snap, CHANNEL, revision)
                        .publishUpstream(arch, snap, CHANNEL, revision + UPSTREAM_AHEAD));
            } else {
                next(arch).forEach((snap, revision) -> store.publish(arch, snap, CHANNEL, revision));
            }
        }
    }

    /** The revisions of each snap's build for {@code arch} a rehearsal starts from. */
    public static Map<String, Integer> old(String arch) {
        return arch.equals("arm64") ? revisions(3100 + ARM64_APART) : OLD;
    }

    /** The revisions of each snap's build for {@code arch} the proxy serves once the rollout starts. */
    public static Map<String, Integer> next(String arch) {
        return arch.equals("arm64") ? revisions(3150 + ARM64_APART) : NEW;
    }

    /**
     * Which machines are arm64: under {@code --chaos}, half the runs mix architectures, a machine being arm64 one
     * time in three; drawn from the seed and the machine's name alone, so every other draw keeps its sequence.
     */
    static final class MixedArches {
        private final boolean mixed;
        private final long seed;

        MixedArches(Options options) {
            this.seed = options.seed();
            this.mixed = options.chaos() && new java.util.Random(seed * 6151 + 11).nextBoolean();
        }

        String of(String machine) {
            return mixed && new java.util.Random(seed * 31 + machine.hashCode()).nextInt(3) == 0 ? "arm64" : "amd64";
        }
    }

    /**
     * Model time a stalled rollout is given, once quiet, before liveness (I9) is judged: a charm may halt a
     * rollout on a unit that stays silent (a machine that died) only after a refresh could have taken place.
     */
    static final java.time.Duration LIVENESS_WAIT = java.time.Duration.ofMinutes(60);

    /**
     * Runs until quiet; then, while a plan stands neither complete, halted nor paused, or (with none standing) a
     * unit is not on what its store serves, lets up to {@link #LIVENESS_WAIT} of model time pass without new faults
     * (update-status keeps coming; a machine that died stays dead) for the charm to move on or halt. Quiet alone is
     * too soon for the second: a change of what the store serves is told by the unit whose view the leader holds,
     * or else by a unit that saw it on two update-status hooks (charm/StoreCheck), and a proxy-url changed or a
     * machine back on the proxy leaves the leader holding no view, so the news comes with the second look, an
     * update-status interval after a window of K+1 quiet rounds may have ended. With config {@code soak}, twice
     * the soak more: a rollout stands still by design while it soaks.
     */
    static boolean settle(SimulatedModel model, long maxRounds) {
        boolean quiet = model.runUntilQuiet(maxRounds);
        if (quiet && stalled(model)) {
            model.chaos((m, r) -> { });
        }
        // With config soak, a rollout stands still by design for two soaks (the canary's, the control plane's).
        java.time.Duration soak;
        try {
            soak = io.snapcoherence.charm.CharmConfig.parse(model.config()).soak();
        } catch (io.snapcoherence.charm.CharmConfig.InvalidConfigException e) {
            soak = java.time.Duration.ZERO;
        }
        long waitRounds = LIVENESS_WAIT.plus(soak.multipliedBy(2)).toSeconds() / SimulatedModel.ROUND_TIME.toSeconds();
        for (long i = 0; quiet && i < waitRounds && stalled(model); i++) {
            if (model.runRound()) {
                quiet = model.runUntilQuiet(maxRounds);
            }
        }
        return quiet;
    }

    private static boolean stalled(SimulatedModel model) {
        Optional<RolloutState> rollout = rollout(model);
        if (rollout.filter(r -> r.halt().isPresent() || r.paused()).isPresent()) {
            return false;
        }
        return rollout.flatMap(RolloutState::activePlan).isPresent() || behindTheStore(model);
    }

    /** Whether a unit alive on a running machine has a managed snap that is not what its store serves (I3). */
    private static boolean behindTheStore(SimulatedModel model) {
        io.snapcoherence.charm.CharmConfig config;
        try {
            config = io.snapcoherence.charm.CharmConfig.parse(model.config());
        } catch (io.snapcoherence.charm.CharmConfig.InvalidConfigException e) {
            return false;
        }
        SimulatedStore.View view = config.proxyUrl().isPresent() ? SimulatedStore.View.PROXY
                : SimulatedStore.View.UPSTREAM;
        for (SimUnit unit : model.liveUnits()) {
            if (!unit.machineUp()) {
                continue;
            }
            for (InstalledSnap snap : unit.machine().installedSnaps()) {
                Optional<Integer> head = model.store().revision(view, unit.machine().architecture(), snap.name(),
                        snap.tracking());
                if (config.snaps().contains(snap.name()) && head.isPresent() && head.get() != snap.revision()) {
                    return true;
                }
            }
        }
        return false;
    }

    static boolean halted(SimulatedModel model) {
        return PeerCodec.decodeApp("app", model.appData()) instanceof PeerCodec.AppReading.Read read
                && (read.state().halt().isPresent() || read.state().paused());
    }

    static Optional<RolloutState> rollout(SimulatedModel model) {
        return PeerCodec.decodeApp("app", model.appData()) instanceof PeerCodec.AppReading.Read read
                ? Optional.of(read.state()) : Optional.empty();
    }

    /**
     * A unit named as in {@code --fail}: a snap-coherence unit ({@code snap-coherence/3}), a principal unit
     * ({@code kubernetes-worker/4}) or its short form ({@code worker/4}, {@code control-plane/0}).
     */
    static SimUnit resolve(SimulatedModel model, String name) {
        String principal = name;
        if (name.startsWith("worker/")) {
            principal = SimulatedModel.WORKER_APP + name.substring("worker".length());
        } else if (name.startsWith("control-plane/")) {
            principal = SimulatedModel.CONTROL_PLANE_APP + name.substring("control-plane".length());
        }
        if (name.startsWith(SimulatedModel.APP + "/")) {
            return model.unit(name);
        }
        String wanted = principal;
        return model.unitOnPrincipal(wanted).orElseThrow(() -> new IllegalArgumentException("no unit " + name));
    }

    /** Whether every managed snap on the unit's machine is what its channel serves its architecture (proxy view). */
    static boolean onStoreRevisions(SimulatedModel model, SimUnit unit) {
        for (InstalledSnap snap : unit.machine().installedSnaps()) {
            Optional<Integer> head = model.store().revision(SimulatedStore.View.PROXY, unit.machine().architecture(),
                    snap.name(), snap.tracking());
            if (head.isPresent() && head.get() != snap.revision()) {
                return false;
            }
        }
        return true;
    }

    private static Map<String, Integer> revisions(int base) {
        Map<String, Integer> revisions = new LinkedHashMap<>();
        int i = 0;
        for (String snap : List.of("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy",
                "kubelet", "kubectl")) {
            revisions.put(snap, base + i++);
        }
        return Map.copyOf(revisions);
    }

    /**
     * Random disturbances during the rollout, drawn from the model's seeded random: leader changes, killed
     * hooks, unit removal and addition, proxy outages, and malformed data written into a peer databag by
     * "another version" (the unit's own next hook rewrites it); then, each behind its {@link Hostility} switch and
     * drawn from dice values the first ones never use (so that with a switch off, a seed runs as without it): hooks
     * that take time, hooks killed before their commit, machines that die (force-removed later), config changes and
     * operator actions; last, snapd misbehaving on one machine, drawn from a random of its own
     * ({@link #drawSnapdDisturbance}).
     */
    static final class Chaos implements SimulatedModel.Chaos {
        /** Dice values at and above this are the hostile draws'; below, the first draws'. */
        static final int HOSTILE_DICE = 32;
        private static final List<String> ACTIONS = List.of("refresh", "pause", "resume", "plan");
        private final Options options;
        private final SimulatedProxy proxy;
        /** snapd's disturbances draw from a random of their own, so the draws above keep their sequence. */
        private final java.util.Random snapdRandom;
        /** So do the machines taken off the proxy, after them. */
        private final java.util.Random offProxyRandom;
        private long offProxyUntil = -1;
        private int removals;
        private int additions;
        private int deaths;
        private int configChanges;
        private long outageUntil = -1;

        Chaos(Options options, SimulatedProxy proxy) {
            this.options = options;
            this.proxy = proxy;
            this.snapdRandom = new java.util.Random(options.seed() * 104729 + 17);
            this.offProxyRandom = new java.util.Random(options.seed() * 7907 + 29);
        }

        @Override
        public void beforeTurn(SimulatedModel model, java.util.Random random) {
            List<SimUnit> live = model.liveUnits();
            if (outageUntil >= 0) {
                model.touch(); // an outage is not quiet: the leader must get to retry after it
                if (model.round() >= outageUntil) {
                    model.store().setOutage(false);
                    proxy.setMode(SimulatedProxy.Mode.OK);
                    outageUntil = -1;
                }
            }
            int dice = random.nextInt(300 * live.size()); // the odds below are per round
            if (dice < 32) {
                model.touch();
            }
            if (dice < 15) {
                model.electLeader(Optional.of(live.get(random.nextInt(live.size())).name()));
            } else if (dice < 22) {
                model.killNextHook(live.get(random.nextInt(live.size())).name(), random.nextInt(8));
            } else if (dice < 24 && removals < 2) {
                Role role = random.nextBoolean() ? Role.CONTROL_PLANE : Role.WORKER;
                List<SimUnit> ofRole = live.stream().filter(u -> u.role() == role).toList();
                if (ofRole.size() > 1) {
                    model.removeUnit(ofRole.get(random.nextInt(ofRole.size())).name());
                    removals++;
                }
            } else if (dice < 26 && additions < 2) {
                SimUnit added = model.addUnit(random.nextInt(4) == 0 ? Role.CONTROL_PLANE : Role.WORKER);
                model.setRefreshRounds(added.name(), options.slowRefreshRounds());
                model.setChangeRounds(added.name(), options.longChangeRounds());
                additions++;
            } else if (dice < 29 && outageUntil < 0) {
                model.store().setOutage(true);
                proxy.setMode(random.nextBoolean() ? SimulatedProxy.Mode.DOWN : SimulatedProxy.Mode.SERVER_ERROR);
                outageUntil = model.round() + 1 + random.nextInt(5);
            } else if (dice < 32) {
                // data of a schema this version does not know, as a unit running another version writes it,
                // on any unit, one reporting a failure too: the unit keeps its report in its unit store as well.
                SimUnit victim = live.get(random.nextInt(live.size()));
                Map<String, String> foreign = new LinkedHashMap<>(model.unitData(victim.name()).orElse(Map.of()));
                foreign.put("schema", "2");
                foreign.put("installed", "{\"kubelet\": [3154]}");
                model.overwriteUnitData(victim.name(), foreign);
            } else if (dice >= HOSTILE_DICE) {
                hostile(model, random, live, dice - HOSTILE_DICE);
            }
            drawSnapdDisturbance(model, live);
            drawOffProxy(model, live);
        }

        /** The hostile draws, each behind its switch; {@code dice} counts from 0. */
        private void hostile(SimulatedModel model, java.util.Random random, List<SimUnit> live, int dice) {
            if (dice < 6) {
                slowHook(model, random, live);
            } else if (dice < 10) {
                killBeforeCommit(model, random, live);
            } else if (dice < 11) {
                machineDeath(model, random, live);
            } else if (dice < 13) {
                forceRemoveDeadMachine(model);
            } else if (dice < 16) {
                configChange(model, random);
            } else if (dice < 20) {
                operatorAction(model, random, live);
            }
        }

        /** A hook that reads the model now and acts and commits 1-4 rounds later. */
        private void slowHook(SimulatedModel model, java.util.Random random, List<SimUnit> live) {
            if (options.hostility().contains(Hostility.SLOW_HOOKS)) {
                model.touch();
                model.slowNextHook(live.get(random.nextInt(live.size())).name(), 1 + random.nextInt(4));
            }
        }

        /**
         * A hook killed after it ran and before its commit; half the time its next refresh also breaks its services
         * (the failed verification then dies with the hook).
         */
        private void killBeforeCommit(SimulatedModel model, java.util.Random random, List<SimUnit> live) {
            if (options.hostility().contains(Hostility.KILL_BEFORE_COMMIT)) {
                model.touch();
                SimUnit victim = live.get(random.nextInt(live.size()));
                model.killNextHookBeforeCommit(victim.name());
                if (random.nextBoolean()) {
                    List<String> snaps = victim.role() == Role.CONTROL_PLANE ? CONTROL_PLANE_SNAPS : WORKER_SNAPS;
                    victim.machine().breakServicesAfterRefresh(snaps.get(random.nextInt(snaps.size())));
                }
            }
        }

        /** At most one machine dies per run, never the last running one. */
        private void machineDeath(SimulatedModel model, java.util.Random random, List<SimUnit> live) {
            List<SimUnit> running = live.stream().filter(SimUnit::running).toList();
            if (options.hostility().contains(Hostility.MACHINE_DEATH) && deaths < 1 && running.size() > 1) {
                model.touch();
                model.killMachine(running.get(random.nextInt(running.size())).name());
                deaths++;
            }
        }

        /** The operator force-removes a unit whose machine died. */
        private void forceRemoveDeadMachine(SimulatedModel model) {
            if (options.hostility().contains(Hostility.MACHINE_DEATH)) {
                model.units().stream().filter(u -> !u.gone() && !u.machineUp()).findFirst().ifPresent(u -> {
                    model.touch();
                    model.forceRemove(u.name());
                });
            }
        }

        /** max-unavailable up or down, snaps narrowed or restored, hold, on-failure, proxy-url; three per run. */
        private void configChange(SimulatedModel model, java.util.Random random) {
            if (!options.hostility().contains(Hostility.CONFIG_CHANGES) || configChanges >= 3) {
                return;
            }
            model.touch();
            configChanges++;
            Map<String, Object> change = new LinkedHashMap<>();
            switch (random.nextInt(5)) {
                case 0 -> change.put("max-unavailable", 1 + random.nextInt(3));
                case 1 -> change.put("snaps", random.nextBoolean() ? null : String.join(" ",
                        CONTROL_PLANE_SNAPS.subList(0, CONTROL_PLANE_SNAPS.size() - 1 - random.nextInt(2))));
                case 2 -> change.put("hold", !Boolean.FALSE.equals(model.config().get("hold")) ? false : true);
                case 3 -> change.put("on-failure", "revert".equals(model.config().get("on-failure")) ? "halt" : "revert");
                default -> change.put("proxy-url", model.config().containsKey("proxy-url") ? null
                        : options.proxyUrl().orElse(DEFAULT_PROXY));
            }
            model.setConfig(change);
        }

        /** refresh, pause, resume or plan, on the leader (one time in four on another unit, which refuses). */
        private void operatorAction(SimulatedModel model, java.util.Random random, List<SimUnit> live) {
            if (options.hostility().contains(Hostility.OPERATOR_ACTIONS)) {
                model.touch();
                String action = ACTIONS.get(random.nextInt(ACTIONS.size()));
                String unit = random.nextInt(4) == 0 ? live.get(random.nextInt(live.size())).name() : model.leader();
                model.queueAction(unit, action, Map.of());
            }
        }

        /** One in about a hundred rounds each: snapd on one machine misbehaves as a real one can. */
        private void drawSnapdDisturbance(SimulatedModel model, List<SimUnit> live) {
            int dice = snapdRandom.nextInt(300 * live.size());
            SimUnit unit = live.get(snapdRandom.nextInt(live.size()));
            if (dice < 3) {
                drawSlowChanges(model, unit);
            } else if (dice < 6) {
                drawFailureAfterLink(model, unit);
            } else if (dice < 9) {
                drawConflictingChange(model, unit);
            } else if (dice < 11) {
                drawSnapdAutoRefresh(model, unit);
            } else if (dice < 14) {
                drawUnregisteredMachine(model, unit);
            }
        }

        /** From now on the machine's refreshes and reverts outlast the hook's wait by 1 to 4 rounds. */
        private void drawSlowChanges(SimulatedModel model, SimUnit unit) {
            unit.machine().changesTakeRounds(1 + snapdRandom.nextInt(4));
            model.touch();
        }

        /** The next refresh of one of its snaps links the new revision, then its service fails: snapd undoes it. */
        private void drawFailureAfterLink(SimulatedModel model, SimUnit unit) {
            List<String> snaps = unit.role() == Role.CONTROL_PLANE ? CONTROL_PLANE_SNAPS : WORKER_SNAPS;
            String snap = snaps.get(snapdRandom.nextInt(snaps.size()));
            unit.machine().failAfterLink(snap, "[start snap." + snap + ".daemon.service] failed with exit status 1");
            model.touch();
        }

        /** The principal charm configures one of the snaps ({@code snap set}): a change of it for 1 to 3 rounds. */
        private void drawConflictingChange(SimulatedModel model, SimUnit unit) {
            List<String> snaps = unit.role() == Role.CONTROL_PLANE ? CONTROL_PLANE_SNAPS : WORKER_SNAPS;
            unit.machine().startOtherChange(snaps.get(snapdRandom.nextInt(snaps.size())), "configure-snap",
                    1 + snapdRandom.nextInt(3));
            model.touch();
        }

        /** snapd auto-refreshes itself and its base over 1 to 3 rounds, then restarts. */
        private void drawSnapdAutoRefresh(SimulatedModel model, SimUnit unit) {
            unit.machine().autoRefreshSnapd(1 + snapdRandom.nextInt(3));
            model.touch();
        }

        /**
         * Juju's machine agent restarts and sets proxy.store to the model's value, here none: the machine is off
         * the proxy until the charm registers it again (the leader's too: it plans from what registered units saw).
         */
        private void drawUnregisteredMachine(SimulatedModel model, SimUnit unit) {
            if (options.proxyUrl().isPresent()) {
                unit.machine().jujuAgentRestart();
                model.touch();
            }
        }

        /**
         * Drawn last, from a random of its own: about one round in a hundred, a machine (the leader's, one time in
         * two) is off the proxy for 2 to 8 rounds: Juju's agent cleared proxy.store and the proxy's assertions
         * cannot be fetched, so the charm cannot register it again, while the store itself answers: the machine
         * sees upstream, whose revisions are ahead of the proxy's.
         */
        private void drawOffProxy(SimulatedModel model, List<SimUnit> live) {
            if (offProxyUntil >= 0 && model.round() >= offProxyUntil) {
                if (outageUntil < 0) {
                    proxy.setMode(SimulatedProxy.Mode.OK);
                }
                offProxyUntil = -1;
            }
            int dice = offProxyRandom.nextInt(100 * live.size());
            SimUnit unit = offProxyRandom.nextBoolean() ? model.unit(model.leader())
                    : live.get(offProxyRandom.nextInt(live.size()));
            int rounds = 2 + offProxyRandom.nextInt(7);
            if (dice < 1 && options.proxyUrl().isPresent() && offProxyUntil < 0 && outageUntil < 0
                    && unit.alive()) {
                unit.machine().jujuAgentRestart();
                proxy.setMode(SimulatedProxy.Mode.DOWN);
                offProxyUntil = model.round() + rounds;
                model.touch();
            }
            if (offProxyUntil >= 0) {
                model.touch(); // not quiet while a machine cannot register
            }
        }
    }

    /** Ground truth of the rollout as it happens: revision changes per unit and per round, failures. */
    /** The soak entry the committed app databag holds, if readable. */
    static Optional<Soak.Entry> soak(SimulatedModel model) {
        try {
            return Soak.Entry.decode(model.appData().get(Soak.KEY));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /**
     * Breaks the canary's kube-apiserver services once, in the first step after the canary's soak started and
     * before its end (a daemon that crashes while the rollout soaks); the operator restarts them before a resume.
     */
    static final class CanaryBreaker implements StepObserver {
        private Optional<String> broken = Optional.empty();

        @Override
        public void afterStep(SimulatedModel model, Step step) {
            if (broken.isPresent()) {
                return;
            }
            Optional<Soak.Entry> entry = soak(model).filter(e -> e.stage() == Soak.Stage.CANARY && !e.ended()
                    && model.clock().instant().isBefore(e.until()));
            if (entry.isPresent() && model.units().stream().anyMatch(u -> u.name().equals(entry.get().unit())
                    && !u.gone())) {
                model.unit(entry.get().unit()).machine().breakServices("kube-apiserver");
                broken = Optional.of(entry.get().unit());
            }
        }

        void repair(SimulatedModel model) {
            broken.filter(u -> model.units().stream().anyMatch(x -> x.name().equals(u) && !x.gone()))
                    .ifPresent(u -> model.unit(u).machine().repairServices());
        }
    }

    public static final class Timeline implements StepObserver {
        private final List<String> lines = new ArrayList<>();
        private long startRound = -1;
        private long controlPlaneDone = -1;
        private long firstWorker = -1;
        private long allDone = -1;
        private long planRound = -1;
        private Optional<Soak.Entry> soak = Optional.empty();
        /** Units whose health gate the timeline has shown as under way, and whether it ended. */
        private final Map<String, Boolean> gated = new java.util.HashMap<>();

        void start(SimulatedModel model) {
            startRound = model.round();
            lines.add("r" + startRound + " proxy serves " + NEW.size() + " new revisions on " + CHANNEL);
        }

        @Override
        public void afterStep(SimulatedModel model, Step step) {
            if (startRound < 0) {
                return;
            }
            SimUnit unit = model.unit(step.unit());
            if (planRound < 0 && step.appDataChanged()) {
                Optional<RolloutState> rollout = rollout(model);
                if (rollout.flatMap(RolloutState::activePlan).isPresent()) {
                    planRound = model.round();
                    lines.add("r" + planRound + " == " + step.unit() + " (leader) wrote plan "
                            + rollout.get().plan().orElseThrow().id());
                }
            }
            Optional<Soak.Entry> soakNow = step.appDataChanged() ? soak(model) : soak;
            if (!soakNow.equals(soak)) {
                soakNow.ifPresent(e -> lines.add("r" + model.round() + " == " + (e.ended() ? "soak ended: " : "soak: ")
                        + (e.stage() == Soak.Stage.CANARY ? "canary " + e.unit() : "control plane") + " until "
                        + e.until() + " (plan " + e.plan() + ")"));
                soak = soakNow;
            }
            StringBuilder line = new StringBuilder();
            for (RefreshEvent event : step.events()) {
                line.append(line.length() == 0 ? "" : ", ").append(event.snap()).append(' ')
                        .append(event.fromRevision()).append("->").append(event.toRevision())
                        .append(event.cause() == RefreshEvent.Cause.REFRESH ? "" : " (" + event.cause() + ")");
                if (unit.role() == Role.WORKER && firstWorker < 0 && event.cause() == RefreshEvent.Cause.REFRESH) {
                    firstWorker = model.round();
                    lines.add("r" + model.round() + " == first worker refresh");
                }
            }
            for (ObservedMachine.Attempt attempt : step.attempts()) {
                attempt.failure().ifPresent(f -> line.append(line.length() == 0 ? "" : ", ")
                        .append(attempt.snap()).append(" FAILED: ").append(f));
            }
            if (line.length() > 0) {
                lines.add("r" + model.round() + " " + unit.name() + " (" + unit.principal() + ") " + line
                        + (step.finished() ? "" : " [slow refresh, busy]"));
            }
            if (!step.events().isEmpty() || step.hook().startsWith("action") || step.hook().equals("remove")) {
                if (controlPlaneDone < 0 && tierDone(model, Role.CONTROL_PLANE)) {
                    controlPlaneDone = model.round();
                    lines.add("r" + model.round() + " == control plane on the new revisions");
                }
                if (allDone < 0 && tierDone(model, Role.CONTROL_PLANE) && tierDone(model, Role.WORKER)) {
                    allDone = model.round();
                    lines.add("r" + model.round() + " == every unit on the new revisions");
                }
            }
            if (step.hook().startsWith("action")) {
                lines.add("r" + model.round() + " " + step.unit() + " ran " + step.hook());
            }
            // The node health gate: its first answer that kept the unit from done, and how it ended.
            String message = unit.status().message();
            if (message.startsWith("checking health of ") && !gated.containsKey(unit.name())) {
                gated.put(unit.name(), false);
                lines.add("r" + model.round() + " " + unit.name() + " " + message);
            } else if (Boolean.FALSE.equals(gated.get(unit.name())) && !message.startsWith("checking health of ")) {
                gated.put(unit.name(), true);
                lines.add("r" + model.round() + " " + unit.name() + " " + unit.status());
            }
        }

        private static boolean tierDone(SimulatedModel model, Role role) {
            return model.liveUnits().stream().filter(u -> u.role() == role)
                    .allMatch(u -> onStoreRevisions(model, u));
        }

        public List<String> lines() {
            return List.copyOf(lines);
        }

        public long startRound() {
            return startRound;
        }

        /** Rounds from the leader's plan to every unit on the new revisions; -1 if that never happened. */
        public long rolloutRounds() {
            return allDone < 0 || planRound < 0 ? -1 : allDone - planRound + 1;
        }

        public long planRound() {
            return planRound;
        }

        public long controlPlaneDoneRound() {
            return controlPlaneDone;
        }

        public long firstWorkerRound() {
            return firstWorker;
        }
    }
}
