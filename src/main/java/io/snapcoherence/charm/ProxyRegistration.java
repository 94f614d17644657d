package io.snapcoherence.charm;

import io.snapcoherence.Json;
import io.snapcoherence.coherence.Role;
import io.snapcoherence.juju.Event;
import io.snapcoherence.juju.HookTools;
import io.snapcoherence.juju.Status;
import io.snapcoherence.snap.ProxyException;
import io.snapcoherence.snap.SnapException;
import io.snapcoherence.snap.Snaps;
import io.snapcoherence.snap.StoreAssertion;
import io.snapcoherence.snap.StoreAssertions;
import io.snapcoherence.snap.StoreProxy;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Registers this node with the Snap Store Proxy on every hook: what operators did by hand with
 * {@code curl .../v2/auth/store/assertions | snap ack /dev/stdin; snap set core proxy.store=<id>}.
 * Decisions are pure ({@link #planTeardown}, {@link #isRegistered}, {@link #checkStoreId}); this class only
 * reads the node, calls the proxy and snapd in order, and remembers in the unit store what it set, so that it
 * undoes only its own change. With {@code proxy-url} empty it never touches the node's proxy settings.
 */
public final class ProxyRegistration {
    static final String STATE_KEY = "proxy-registration";
    static final String PROXY_STORE = "proxy.store";

    /** What the unit store remembers: the URL registered for, its store id, and whether this charm set proxy.store. */
    record Remembered(String url, String storeId, boolean setByCharm) {
        static Optional<Remembered> from(Map<String, String> unitStore) {
            String raw = unitStore.getOrDefault(STATE_KEY, "");
            if (raw.isBlank()) {
                return Optional.empty();
            }
            try {
                Map<String, String> fields = Json.stringMap(raw);
                return Optional.of(new Remembered(fields.getOrDefault("url", ""), fields.getOrDefault("store-id", ""),
                        "true".equals(fields.get("set-by-charm"))));
            } catch (IllegalArgumentException e) {
                return Optional.empty(); // unreadable memory: treat as never set, so nothing is undone wrongly
            }
        }

        String toJson() {
            return Json.write(Map.of("url", url, "store-id", storeId, "set-by-charm", String.valueOf(setByCharm)));
        }
    }

    /** The result of one hook's registration; the rollout must not refresh unless {@link #allowsRefresh()}. */
    public sealed interface Outcome {
        /** A status to show instead of anything else this hook would say; empty when registration is fine. */
        default Optional<Status> status() {
            return Optional.empty();
        }

        /** Registered (or no proxy configured): refreshes may go to the store snapd now uses. */
        default boolean allowsRefresh() {
            return false;
        }

        record NotConfigured() implements Outcome {
            @Override
            public boolean allowsRefresh() {
                return true;
            }
        }

        record Registered(String storeId, boolean changed) implements Outcome {
            @Override
            public boolean allowsRefresh() {
                return true;
            }
        }

        /** The unit is going away or proxy-url was emptied; {@code unset} says whether proxy.store was unset. */
        record Released(boolean unset) implements Outcome {
        }

        record Blocked(String message) implements Outcome {
            @Override
            public Optional<Status> status() {
                return Optional.of(Status.blocked(message));
            }
        }

        record Waiting(String message) implements Outcome {
            @Override
            public Optional<Status> status() {
                return Optional.of(Status.waiting(message));
            }
        }
    }

    /** What to do when the charm should no longer hold the node on the proxy. */
    enum Teardown { NOTHING, FORGET, UNSET_AND_FORGET }

    private final HookTools tools;
    private final Snaps snaps;
    private final StoreProxy proxy;

    public ProxyRegistration(HookTools tools, Snaps snaps, StoreProxy proxy) {
        this.tools = tools;
        this.snaps = snaps;
        this.proxy = proxy;
    }

    public Outcome reconcile(CharmConfig config, Event event) {
        Optional<Remembered> remembered = Remembered.from(tools.stateGet());
        try {
            if (isTeardown(event) || config.proxyUrl().isEmpty()) {
                return release(remembered, config.proxyUrl().isEmpty());
            }
            return register(config.proxyUrl().get(), config.storeId(), remembered);
        } catch (SnapException e) {
            String message = "snapd: " + e.error().describe();
            return e.error().isTransient() ? new Outcome.Waiting(message) : new Outcome.Blocked(message);
        }
    }

    // ---- pure decisions -------------------------------------------------------------------------

    static boolean isTeardown(Event event) {
        if (event instanceof Event.Lifecycle lifecycle) {
            return lifecycle.kind() == Event.LifecycleKind.STOP || lifecycle.kind() == Event.LifecycleKind.REMOVE;
        }
        return event instanceof Event.Relation relation && relation.kind() == Event.RelationKind.BROKEN
                && Role.ofEndpoint(relation.endpoint()).isPresent();
    }

    /** Undo only what this charm set, and only while the node still holds that value. */
    static Teardown planTeardown(Optional<Remembered> remembered, Optional<String> currentProxyStore) {
        if (remembered.isEmpty()) {
            return Teardown.NOTHING;
        }
        Remembered r = remembered.get();
        return r.setByCharm() && currentProxyStore.equals(Optional.of(r.storeId()))
                ? Teardown.UNSET_AND_FORGET : Teardown.FORGET;
    }

    /** Registered with the proxy at {@code url} without asking it again: remembered, set, known and as configured. */
    static boolean isRegistered(URI url, Optional<String> configStoreId, Optional<Remembered> remembered,
                                Optional<String> currentProxyStore, List<String> knownStores) {
        return remembered.filter(r -> r.url().equals(url.toString()))
                .filter(r -> currentProxyStore.equals(Optional.of(r.storeId())))
                .filter(r -> knownStores.contains(r.storeId()))
                .filter(r -> configStoreId.map(id -> id.equals(r.storeId())).orElse(true))
                .isPresent();
    }

    /** The operator's store-id, when set, must be the proxy's. */
    static Optional<String> checkStoreId(URI url, Optional<String> configStoreId, String proxyStoreId) {
        return configStoreId.filter(id -> !id.equals(proxyStoreId)).map(id -> "store id mismatch: proxy " + url
                + " says " + proxyStoreId + ", config says " + id);
    }

    // ---- applying -------------------------------------------------------------------------------

    private Outcome release(Optional<Remembered> remembered, boolean proxyUrlEmptied) {
        if (remembered.isEmpty()) {
            // Never registered by this charm: not even a read of the node's proxy settings.
            return proxyUrlEmptied ? new Outcome.NotConfigured() : new Outcome.Released(false);
        }
        Teardown plan = planTeardown(remembered, snaps.getSystem(PROXY_STORE));
        if (plan == Teardown.UNSET_AND_FORGET) {
            snaps.unsetSystem(PROXY_STORE);
        }
        tools.stateSet(Map.of(STATE_KEY, ""));
        return proxyUrlEmptied ? new Outcome.NotConfigured() : new Outcome.Released(plan == Teardown.UNSET_AND_FORGET);
    }

    private Outcome register(URI url, Optional<String> configStoreId, Optional<Remembered> remembered) {
        Optional<String> current = snaps.getSystem(PROXY_STORE);
        List<String> known = snaps.knownStores().stream().map(StoreAssertion::storeId).toList();
        if (isRegistered(url, configStoreId, remembered, current, known)) {
            return new Outcome.Registered(remembered.get().storeId(), false);
        }
        StoreAssertions assertions;
        try {
            assertions = proxy.fetchAssertions(url);
        } catch (ProxyException e) {
            return e.isTransient()
                    ? new Outcome.Waiting("waiting for store proxy: " + e.getMessage() + " (retrying on the next hook)")
                    : new Outcome.Blocked("store proxy refused: " + e.getMessage());
        }
        String storeId = assertions.storeId();
        Optional<String> mismatch = checkStoreId(url, configStoreId, storeId);
        if (mismatch.isPresent()) {
            return new Outcome.Blocked(mismatch.get());
        }
        boolean setByCharm;
        if (current.equals(Optional.of(storeId)) && known.contains(storeId)) {
            // Someone (the operator, Juju's model config, or this charm before its memory was lost) already did it.
            setByCharm = remembered.filter(r -> r.storeId().equals(storeId)).map(Remembered::setByCharm).orElse(false);
        } else {
            if (!known.contains(storeId)) {
                try {
                    snaps.ack(assertions.body());
                } catch (SnapException e) {
                    return snapdRefused(url, "its assertions", e);
                }
            }
            try {
                snaps.setSystem(PROXY_STORE, storeId);
            } catch (SnapException e) {
                return snapdRefused(url, "proxy.store=" + storeId, e);
            }
            setByCharm = true;
        }
        tools.stateSet(Map.of(STATE_KEY, new Remembered(url.toString(), storeId, setByCharm).toJson()));
        return new Outcome.Registered(storeId, setByCharm && !current.equals(Optional.of(storeId)));
    }

    private static Outcome snapdRefused(URI url, String what, SnapException e) {
        String message = "snapd refused " + what + " from store proxy " + url + ": " + e.error().describe();
        return e.error().isTransient() ? new Outcome.Waiting(message) : new Outcome.Blocked(message);
    }
}
