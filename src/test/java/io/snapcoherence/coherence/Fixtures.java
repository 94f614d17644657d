package io.snapcoherence.coherence;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** Small builders that keep planner and agent tests to the point. */
final class Fixtures {
    static final String CH = "1.29/stable";

    private Fixtures() {
    }

    static InstalledRevision rev(int revision) {
        return new InstalledRevision(CH, revision);
    }

    static UnitReading cp(int n, Map<String, InstalledRevision> installed) {
        return reported("snap-coherence/" + n, Role.CONTROL_PLANE, installed, Optional.empty());
    }

    static UnitReading worker(int n, Map<String, InstalledRevision> installed) {
        return reported("snap-coherence/" + n, Role.WORKER, installed, Optional.empty());
    }

    static UnitReading reported(String unit, Role role, Map<String, InstalledRevision> installed,
                                Optional<Progress> progress) {
        return new UnitReading.Reported(new UnitReport(unit, role, installed, progress));
    }

    static StoreView store(Object... snapRevision) {
        Map<SnapChannel, Integer> map = new TreeMap<>();
        for (int i = 0; i < snapRevision.length; i += 2) {
            String key = (String) snapRevision[i];
            String snap = key.contains("@") ? key.substring(0, key.indexOf('@')) : key;
            String channel = key.contains("@") ? key.substring(key.indexOf('@') + 1) : CH;
            map.put(new SnapChannel(snap, channel), (Integer) snapRevision[i + 1]);
        }
        return new StoreView.Revisions(map);
    }

    static PlannerInput input(List<UnitReading> peers, RolloutState state, StoreView store, int maxUnavailable) {
        return new PlannerInput(peers, state, store, List.of("kubectl", "kubelet", "kube-apiserver"),
                maxUnavailable, true, Optional.empty());
    }

    static List<UnitReading> peers(UnitReading... readings) {
        return new ArrayList<>(Arrays.asList(readings));
    }

    static String u(int n) {
        return "snap-coherence/" + n;
    }
}
