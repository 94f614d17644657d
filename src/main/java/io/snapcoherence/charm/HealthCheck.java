package io.snapcoherence.charm;

import io.snapcoherence.Json;
import io.snapcoherence.coherence.HealthGate;
import io.snapcoherence.coherence.Plan;
import io.snapcoherence.coherence.Target;
import io.snapcoherence.kube.NodeHealth;
import io.snapcoherence.snap.SnapService;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The node health gate as a hook runs it ({@link HealthGate} decides): which endpoints to ask, asking them, and
 * the gate's memory across hooks (unit store {@code health-gate}). Only snaps that have an endpoint and an enabled
 * service on this node are asked: a hook with nothing of the kind to check asks nothing and reads no memory.
 */
final class HealthCheck {
    static final UnitStore.Key<HealthGate.Memory> KEY = new UnitStore.Key<>("health-gate", HealthCheck::decode,
            HealthCheck::encode);
    /** The longest a hook asks an endpoint again until it is healthy (an API server restarting takes seconds). */
    static final Duration HOOK_BUDGET = Duration.ofSeconds(20);

    private final NodeHealth health;
    private final UnitStore store;
    private final CharmConfig config;
    private final Clock clock;

    HealthCheck(NodeHealth health, UnitStore store, CharmConfig config, Clock clock) {
        this.health = health;
        this.store = store;
        this.config = config;
        this.clock = clock;
    }

    /**
     * The gate for {@code targets} on this node ({@code services}: the node's services, as just read), asking each
     * endpoint until healthy at most until {@code deadline} (and {@link #HOOK_BUDGET}); {@code giveUpAt}: when the
     * attempt's time is up. Passed without a call when {@code health-checks} is off or no target has an endpoint
     * with an enabled service here.
     */
    HealthGate.Verdict run(Plan plan, List<Target> targets, List<SnapService> services, Instant deadline,
                           Optional<Instant> giveUpAt) {
        List<Target> asked = config.healthChecks() ? withEndpoint(targets, services) : List.of();
        if (asked.isEmpty()) {
            return new HealthGate.Passed();
        }
        List<HealthGate.Check> checks = new ArrayList<>();
        for (Target target : asked) {
            NodeHealth.Endpoint endpoint = NodeHealth.Endpoint.of(target.snap()).orElseThrow();
            Duration left = Duration.between(clock.instant(), deadline);
            Duration within = left.isNegative() ? Duration.ZERO : left.compareTo(HOOK_BUDGET) > 0 ? HOOK_BUDGET : left;
            checks.add(new HealthGate.Check(target, endpoint, health.check(endpoint, within)));
        }
        HealthGate.Verdict verdict = HealthGate.decide(plan, checks, store.get(KEY), clock.instant(), giveUpAt);
        if (verdict instanceof HealthGate.Waiting waiting) {
            store.put(KEY, waiting.memory());
        } else {
            store.clear(KEY);
        }
        return verdict;
    }

    /**
     * The targets whose snap serves a node endpoint and runs an enabled service here. A snap installed whose
     * services are all disabled has not been made a Kubernetes component of this node by its principal yet: no
     * endpoint to ask. An enabled service is active by then (verification checked it), so its endpoint must answer.
     */
    static List<Target> withEndpoint(List<Target> targets, List<SnapService> services) {
        return targets.stream().filter(t -> NodeHealth.Endpoint.of(t.snap()).isPresent())
                .filter(t -> services.stream().anyMatch(s -> s.snap().equals(t.snap()) && s.enabled())).toList();
    }

    private static HealthGate.Memory decode(String text) {
        Map<String, Object> node = Json.objectMap(text);
        try {
            Object first = node.get("first");
            return new HealthGate.Memory(((Number) node.get("plan")).longValue(),
                    ((Number) node.get("attempt")).intValue(),
                    first == null ? Optional.empty() : Optional.of(Instant.parse((String) first)),
                    ((Number) node.get("failed")).intValue(), (String) node.getOrDefault("last", ""));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not a health gate: " + Json.abbreviate(text));
        }
    }

    private static String encode(HealthGate.Memory memory) {
        Map<String, Object> node = new LinkedHashMap<>();
        node.put("plan", memory.plan());
        node.put("attempt", memory.attempt());
        memory.firstFailed().ifPresent(at -> node.put("first", at.toString()));
        node.put("failed", memory.failedChecks());
        String last = memory.lastAnswer();
        node.put("last", last.length() <= 400 ? last : last.substring(0, 397) + "...");
        return Json.write(node);
    }
}
