package io.snapcoherence.charm;

import io.snapcoherence.coherence.PeerCodec;
import io.snapcoherence.coherence.PlanHistory;
import io.snapcoherence.juju.HookTools;
import io.snapcoherence.juju.JujuContext;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The {@code history} action, read-only. On any unit: this unit's attempts at the current plan, or at the plan
 * named by the {@code plan} parameter, with snapd's change ids, times and outcomes ({@link AttemptLog}). On the
 * leader also the last plans: id, targets, start and end, outcome ({@link PlanHistory}, app databag). A unit that is
 * not the leader says where the plans are: only the leader may be asked about the rollout as a whole, as with the
 * other leader actions.
 */
final class HistoryAction {
    private final JujuContext context;
    private final HookTools tools;
    private final UnitStore store;

    HistoryAction(JujuContext context, HookTools tools, UnitStore store) {
        this.context = context;
        this.tools = tools;
        this.store = store;
    }

    void run() {
        Optional<Long> wanted;
        try {
            wanted = planParam(tools.actionGet().get("plan"));
        } catch (IllegalArgumentException e) {
            tools.actionFail(e.getMessage());
            return;
        }
        String unit = context.unitName();
        String app = unit.substring(0, unit.indexOf('/'));
        Map<String, String> appData = new KnownRelations(tools, store, context.event()).peerRelation()
                .map(rid -> tools.relationGetApp(rid, app)).orElse(Map.of());
        long current = PeerCodec.decodeApp(app, appData) instanceof PeerCodec.AppReading.Read read
                ? read.state().lastPlanId() : 0;
        Map<String, String> results = new LinkedHashMap<>();
        results.put("unit", unit);
        attempts(wanted.orElse(current), wanted.isPresent(), results);
        if (tools.isLeader()) {
            plans(appData.getOrDefault(PlanHistory.KEY, ""), current, results);
        } else {
            results.put("plans", "kept by the leader: juju run " + app + "/leader history");
        }
        tools.actionSet(results);
    }

    private void attempts(long plan, boolean named, Map<String, String> results) {
        List<AttemptLog.Attempt> attempts;
        try {
            attempts = AttemptLog.read(store);
        } catch (IllegalArgumentException e) {
            results.put("attempts", "unreadable: " + e.getMessage());
            return;
        }
        // Without a plan named, the current plan's; before any plan, the unit's last logged one.
        long shown = plan > 0 || named || attempts.isEmpty() ? plan : attempts.get(attempts.size() - 1).plan();
        List<AttemptLog.Attempt> ofPlan = attempts.stream().filter(a -> a.plan() == shown).toList();
        results.put("attempts.plan", String.valueOf(shown));
        if (ofPlan.isEmpty()) {
            results.put("attempts.none", "this unit has logged no attempt at plan " + shown + " (it keeps its last "
                    + AttemptLog.MAX_ATTEMPTS + "; logged: " + (attempts.isEmpty() ? "none" : attempts.stream()
                    .map(a -> a.plan() + "/" + a.attempt()).distinct().collect(Collectors.joining(" "))) + ")");
            return;
        }
        for (AttemptLog.Attempt a : ofPlan) {
            String key = "attempts." + a.attempt() + ".";
            results.put(key + "since", a.since());
            a.started().ifPresent(at -> results.put(key + "started", at));
            results.put(key + "ended", a.ended());
            results.put(key + "outcome", a.phase() + a.error().map(e -> ": " + e).orElse(""));
            results.put(key + "changes", ids(a.changes()));
            if (!a.reverts().isEmpty()) {
                results.put(key + "reverts", ids(a.reverts()));
            }
        }
    }

    private static void plans(String history, long current, Map<String, String> results) {
        List<PlanHistory.Entry> entries;
        try {
            entries = PlanHistory.read(history);
        } catch (IllegalArgumentException e) {
            results.put("plans", "unreadable: " + e.getMessage());
            return;
        }
        if (entries.isEmpty()) {
            results.put("plans", current == 0 ? "no plan yet" : "none recorded (plan " + current
                    + " was made before this charm version kept a history)");
            return;
        }
        results.put("plans.current", String.valueOf(current));
        for (PlanHistory.Entry e : entries) {
            String key = "plans." + e.id() + ".";
            results.put(key + "targets", e.targets().isEmpty() ? "none (nothing differed)" : e.targets());
            results.put(key + "started", e.at());
            e.end().ifPresent(end -> results.put(key + "ended", end));
            results.put(key + "outcome", e.describe());
        }
    }

    private static String ids(Map<String, String> changes) {
        return changes.isEmpty() ? "none (already on the targets: verified only)"
                : changes.entrySet().stream().map(c -> c.getKey() + "=" + c.getValue())
                .collect(Collectors.joining(" "));
    }

    private static Optional<Long> planParam(Object value) {
        if (value == null || (value instanceof String s && s.isBlank())) {
            return Optional.empty();
        }
        try {
            long plan = value instanceof Number n ? n.longValue() : Long.parseLong(String.valueOf(value).strip());
            if (plan < 1) {
                throw new NumberFormatException();
            }
            return Optional.of(plan);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("plan must be a plan id (1 or more), got " + value);
        }
    }
}
