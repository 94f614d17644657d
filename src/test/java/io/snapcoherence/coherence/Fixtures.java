package io.snapcoherence.coherence;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** Small builders that keep planner and agent tests to the point. */
final class Fixtures {
    static final String CH = "1.29/stable";
    /** The architecture of the units these fixtures build, unless a test says otherwise. */
    static final String ARCH = "amd64";
    /** When the fixtures' views were taken: before any watch of these tests. */
    static final Instant SEEN = Instant.parse("2026-11-01T00:00:00Z");

    private Fixtures() {
    }

    static InstalledRevision rev(int revision) {
        return new InstalledRevision(CH, revision);
    }

    /** A target of the fixtures' architecture on {@link #CH}. */
    static Target target(String snap, int revision) {
        return new Target(snap, CH, ARCH, revision);
    }

    static UnitReading cp(int n, Map<String, InstalledRevision> installed) {
        return reported("snap-coherence/" + n, Role.CONTROL_PLANE, installed, Optional.empty());
    }

    static UnitReading worker(int n, Map<String, InstalledRevision> installed) {
        return reported("snap-coherence/" + n, Role.WORKER, installed, Optional.empty());
    }

    static UnitReading reported(String unit, Role role, Map<String, InstalledRevision> installed,
                                Optional<Progress> progress) {
        return new UnitReading.Reported(new UnitReport(unit, role, installed, progress, Optional.empty(), ARCH,
                Optional.empty()));
    }

    /** The reading as a unit writes it under a {@code snaps} config of these snaps. */
    static UnitReading managing(UnitReading reading, List<String> snaps) {
        return new UnitReading.Reported(((UnitReading.Reported) reading).report().managing(snaps));
    }

    /**
     * The reading as the unit reports it once it has verified {@code plan}: its done report. A unit the plan
     * granted is done only by it (or its status), not by its revisions ({@link Census#done}).
     */
    static UnitReading verified(Plan plan, UnitReading reading) {
        UnitReport r = ((UnitReading.Reported) reading).report();
        return new UnitReading.Reported(new UnitReport(r.unit(), r.role(), r.installed(),
                Optional.of(Progress.done(plan)), r.witnessed(), r.arch(), r.view()));
    }

    /**
     * What the units reported the store serves, already merged: {@code snap} (on {@link #CH}) or
     * {@code snap@channel}, then the revision, for the fixtures' architecture; no proxy.
     */
    static Offers store(Object... snapRevision) {
        Map<SnapChannel, Offers.Offer> map = new TreeMap<>();
        for (int i = 0; i < snapRevision.length; i += 2) {
            String key = (String) snapRevision[i];
            String snap = key.contains("@") ? key.substring(0, key.indexOf('@')) : key;
            String channel = key.contains("@") ? key.substring(key.indexOf('@') + 1) : CH;
            map.put(new SnapChannel(snap, channel), new Offers.Offer((Integer) snapRevision[i + 1], SEEN,
                    "snap-coherence/0"));
        }
        return new Offers("", Map.of(ARCH, map), CheckRound.NONE);
    }

    /** The reading with a view answering check round {@code round}: snap (on {@link #CH}), revision, ... */
    static UnitReading answering(UnitReading reading, long round, Object... snapRevision) {
        UnitReport report = ((UnitReading.Reported) reading).report();
        Map<SnapChannel, Integer> serves = new TreeMap<>();
        for (int i = 0; i < snapRevision.length; i += 2) {
            serves.put(new SnapChannel((String) snapRevision[i], CH), (Integer) snapRevision[i + 1]);
        }
        return new UnitReading.Reported(report.on(report.arch(), Optional.of(StoreView.answer(SEEN.plusSeconds(1),
                round, "", serves))));
    }

    static PlannerInput input(List<UnitReading> peers, RolloutState state, Offers store, int maxUnavailable) {
        return PlannerInput.builder().peers(peers).state(state).offers(store)
                .managedSnaps(List.of("kubectl", "kubelet", "kube-apiserver")).maxUnavailable(maxUnavailable).build();
    }

    static List<UnitReading> peers(UnitReading... readings) {
        return new ArrayList<>(Arrays.asList(readings));
    }

    static String u(int n) {
        return "snap-coherence/" + n;
    }
}
