package io.snapcoherence.sim;

import io.snapcoherence.coherence.Role;
import io.snapcoherence.juju.Status;

import java.io.PrintStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * {@code rehearse --status FILE [--config FILE]}: a rollout rehearsed on a real model's topology and config, read
 * by {@link RealModel}: its snap-coherence units with their numbers, principals, roles, architectures and leader,
 * and the options the operator set. Every machine is taken to run the Kubernetes snaps of its role on
 * {@value Rehearsal#CHANNEL} (juju status does not show installed snaps); then the proxy serves a new revision of
 * each, for every architecture present, and the model runs until quiet. What it prints: the order in which the
 * units refreshed, in batches of {@code max-unavailable}; how many rounds the rollout took from the plan; the app
 * status as it changed; every unit's final status; and whether the invariants held.
 */
public final class StatusRehearsal {
    static final String DEFAULT_STORE_ID = "snap-proxy-store";

    private StatusRehearsal() {
    }

    /** When a unit's machine first changed a snap for the rollout, and last. */
    record Refreshed(String unit, Role role, long firstRound, long lastRound) {
    }

    public record Result(RealModel real, SimulatedModel model, Rehearsal.Timeline timeline, boolean quiet,
                         Optional<InvariantViolation> violation, List<Refreshed> refreshed,
                         List<String> appStatuses, boolean refreshAction) {
        public boolean held() {
            return violation.isEmpty() && quiet;
        }
    }

    public static Result run(RealModel real, long seed, long maxRounds) {
        Map<String, Object> config = real.configValues();
        String proxyUrl = String.valueOf(config.get("proxy-url"));
        String storeId = String.valueOf(config.get("store-id"));
        boolean proxied = !proxyUrl.isEmpty();
        SimulatedStore store = new SimulatedStore(storeId.isEmpty() ? DEFAULT_STORE_ID : storeId,
                proxied ? proxyUrl : Rehearsal.DEFAULT_PROXY);
        List<String> arches = real.members().stream().map(RealModel.Member::arch).distinct().sorted().toList();
        arches.forEach(arch -> revisions(arch, arches, false)
                .forEach((snap, revision) -> store.publish(arch, snap, Rehearsal.CHANNEL, revision)));
        SimClock clock = new SimClock(Instant.parse("2026-11-25T10:00:00Z"));
        SimulatedProxy proxy = new SimulatedProxy(store);
        Map<String, String> archOfMachine = new LinkedHashMap<>();
        real.members().forEach(m -> archOfMachine.put(m.principal(), m.arch()));
        SimulatedModel.Settings settings = new SimulatedModel.Settings(seed, config, 10, 0, 600);
        SimulatedModel model = new SimulatedModel(settings, clock, store, HookRunner.charm(proxy, clock),
                (role, machine) -> install(role, machine.withArchitecture(archOfMachine.get(machine.name())),
                        arches));
        Invariants invariants = new Invariants(java.util.Set.of(Invariants.Id.values()));
        Rehearsal.Timeline timeline = new Rehearsal.Timeline();
        Watch watch = new Watch();
        model.observe(invariants).observe(timeline).observe(watch);
        for (RealModel.Member member : real.members()) {
            model.addUnit(member.role(), member.number(), member.principal());
        }
        real.leader().ifPresent(leader -> model.electLeader(Optional.of(simulated(leader))));
        boolean refreshAction = !io.snapcoherence.charm.CharmConfig.parse(config).autoRefresh();
        boolean quiet = false;
        try {
            quiet = model.runUntilQuiet(maxRounds);
            timeline.start(model);
            watch.start(model);
            for (String arch : arches) {
                revisions(arch, arches, true).forEach((snap, revision) -> {
                    if (proxied) {
                        store.override(arch, snap, Rehearsal.CHANNEL, revision)
                                .publishUpstream(arch, snap, Rehearsal.CHANNEL, revision + Rehearsal.UPSTREAM_AHEAD);
                    } else {
                        store.publish(arch, snap, Rehearsal.CHANNEL, revision);
                    }
                });
            }
            if (refreshAction) {
                // auto-refresh=false: a rollout starts only when an operator runs refresh on the leader.
                model.runAction(model.leader(), "refresh", Map.of());
            }
            quiet = model.runUntilQuiet(maxRounds);
            if (quiet) {
                invariants.checkQuiescent(model);
            }
            return new Result(real, model, timeline, quiet, Optional.empty(), watch.refreshed(), watch.appStatuses,
                    refreshAction);
        } catch (InvariantViolation violation) {
            return new Result(real, model, timeline, quiet, Optional.of(violation), watch.refreshed(),
                    watch.appStatuses, refreshAction);
        }
    }

    /** The unit's name in the simulated model: the same number under the charm's own application name. */
    static String simulated(RealModel.Member member) {
        return SimulatedModel.APP + "/" + member.number();
    }

    /**
     * The revisions each architecture's builds start from ({@code next}: what the proxy serves once the rollout
     * starts): amd64 and arm64 as in every rehearsal, any other architecture numbered 1,000 further apart each.
     */
    static Map<String, Integer> revisions(String arch, List<String> arches, boolean next) {
        if (arch.equals("amd64") || arch.equals("arm64")) {
            return next ? Rehearsal.next(arch) : Rehearsal.old(arch);
        }
        int apart = (2 + arches.stream().filter(a -> !a.equals("amd64") && !a.equals("arm64")).toList()
                .indexOf(arch)) * Rehearsal.ARM64_APART;
        Map<String, Integer> revisions = new LinkedHashMap<>();
        Rehearsal.old("amd64").forEach((snap, old) -> revisions.put(snap, old + apart));
        if (next) {
            revisions.replaceAll((snap, old) -> old - Rehearsal.OLD.get(snap) + Rehearsal.NEW.get(snap));
        }
        return revisions;
    }

    private static void install(Role role, SimulatedMachine machine, List<String> arches) {
        Map<String, Integer> old = revisions(machine.architecture(), arches, false);
        (role == Role.CONTROL_PLANE ? Rehearsal.CONTROL_PLANE_SNAPS : Rehearsal.WORKER_SNAPS)
                .forEach(snap -> machine.install(snap, Rehearsal.CHANNEL, old.get(snap)));
        machine.install("snapd", "latest/stable", 21759).install("core20", "latest/stable", 2015);
    }

    /** Which unit's machine changed snaps when, and the app status each time it changed, from the rollout on. */
    private static final class Watch implements StepObserver {
        private final Map<String, long[]> rounds = new LinkedHashMap<>();
        private final Map<String, Role> roles = new LinkedHashMap<>();
        final List<String> appStatuses = new ArrayList<>();
        private boolean started;
        private Status last;

        void start(SimulatedModel model) {
            started = true;
            last = model.appStatus();
            appStatuses.add("r" + model.round() + " " + last);
        }

        @Override
        public void afterStep(SimulatedModel model, Step step) {
            if (!started) {
                return;
            }
            for (RefreshEvent event : step.events()) {
                if (event.cause() == RefreshEvent.Cause.REFRESH) {
                    rounds.computeIfAbsent(step.unit(), u -> new long[] {step.round(), step.round()})[1] = step.round();
                    roles.put(step.unit(), model.unit(step.unit()).role());
                }
            }
            Status now = model.appStatus();
            if (!now.equals(last)) {
                last = now;
                appStatuses.add("r" + model.round() + " " + now);
            }
        }

        List<Refreshed> refreshed() {
            List<Refreshed> list = new ArrayList<>();
            rounds.forEach((unit, r) -> list.add(new Refreshed(unit, roles.get(unit), r[0], r[1])));
            list.sort(Comparator.comparingLong(Refreshed::firstRound)
                    .thenComparingInt(r -> Integer.parseInt(r.unit().substring(r.unit().indexOf('/') + 1))));
            return list;
        }
    }

    // ---- printing ----------------------------------------------------------------------------------------------

    static void print(Result result, boolean brief, PrintStream out) {
        RealModel real = result.real();
        SimulatedModel model = result.model();
        Map<String, Object> config = real.configValues();
        int maxUnavailable = io.snapcoherence.charm.CharmConfig.parse(config).maxUnavailable();
        long cp = real.members().stream().filter(m -> m.role() == Role.CONTROL_PLANE).count();
        out.printf("rehearsal of model %s (%s): application %s, %d control-plane + %d worker units%n",
                real.modelName(), real.statusFile(), real.application(), cp, real.members().size() - cp);
        for (RealModel.Member m : real.members()) {
            out.printf("  %-20s on %-28s %-13s machine %-8s %s%s%n", m.unit(), m.principal(), m.role().endpoint(),
                    m.machine(), m.arch(), m.leader() ? "  leader" : "");
        }
        StringBuilder options = new StringBuilder();
        real.config().forEach((key, setting) -> options.append(options.length() == 0 ? "" : ", ").append(key)
                .append("=").append(setting.value().toString().isEmpty() ? "\"\"" : setting.value()).append(setting.user() ? " (set)" : ""));
        out.println("config: " + options);
        real.notes().forEach(note -> out.println("note: " + note));
        if (!real.application().equals(SimulatedModel.APP)) {
            out.println("note: units are rehearsed as " + SimulatedModel.APP + "/N, with their own numbers");
        }
        out.println("assumed: every machine runs the Kubernetes snaps of its role on " + Rehearsal.CHANNEL
                + " (juju status does not show installed snaps); then the "
                + (config.get("proxy-url").toString().isEmpty() ? "store (no proxy-url)" : "proxy")
                + " serves a new revision of each" + (result.refreshAction()
                ? "; auto-refresh is false, so the operator runs the refresh action on the leader" : ""));
        out.println();
        out.printf("batches (units in the order they started refreshing, %d at a time; r = scheduler round):%n",
                maxUnavailable);
        for (Role role : List.of(Role.CONTROL_PLANE, Role.WORKER)) {
            List<Refreshed> tier = result.refreshed().stream().filter(r -> r.role() == role).toList();
            for (int i = 0; i < tier.size(); i += maxUnavailable) {
                List<Refreshed> batch = tier.subList(i, Math.min(tier.size(), i + maxUnavailable));
                out.printf("  %-13s %2d: %s (r%d-r%d)%n", role.endpoint(), i / maxUnavailable + 1,
                        String.join(" ", batch.stream().map(Refreshed::unit).toList()),
                        batch.stream().mapToLong(Refreshed::firstRound).min().orElse(0),
                        batch.stream().mapToLong(Refreshed::lastRound).max().orElse(0));
            }
            if (tier.isEmpty()) {
                out.printf("  %-13s none refreshed%n", role.endpoint());
            }
        }
        Rehearsal.Timeline timeline = result.timeline();
        long units = real.members().size();
        long lower = (cp + maxUnavailable - 1) / maxUnavailable + (units - cp + maxUnavailable - 1) / maxUnavailable;
        out.printf("rounds: plan written at r%d; %s; lower bound %d batches (a round: every unit runs its next hook;"
                        + " update-status every 10 rounds)%n", timeline.planRound(),
                timeline.rolloutRounds() < 0 ? "not every unit reached the new revisions"
                        : timeline.rolloutRounds() + " rounds from the plan to the last unit on its new revisions",
                lower);
        out.println();
        out.println("app status as it changed:");
        result.appStatuses().forEach(line -> out.println("  " + line));
        if (!brief) {
            out.println();
            out.println("final statuses:");
            out.println("  app " + real.application() + ": " + model.appStatus());
            Map<Integer, SimUnit> byNumber = new TreeMap<>();
            model.liveUnits().forEach(u -> byNumber.put(Integer.parseInt(u.name().substring(u.name().indexOf('/') + 1)),
                    u));
            byNumber.forEach((number, unit) -> out.printf("  %-20s %s%n", real.application() + "/" + number,
                    unit.status()));
        }
        out.println();
        if (result.violation().isPresent()) {
            out.println("INVARIANT BROKEN: " + result.violation().get().getMessage());
            model.trace().stream().skip(Math.max(0, model.trace().size() - 40)).forEach(l -> out.println("  " + l));
        } else if (!result.quiet()) {
            out.println("NOT QUIET after the rounds allowed");
        } else {
            out.println("invariants held: " + java.util.Arrays.stream(Invariants.Id.values()).map(Enum::name)
                    .toList());
        }
    }
}
