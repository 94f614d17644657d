package io.snapcoherence.charm;

import io.snapcoherence.Json;
import io.snapcoherence.coherence.Role;
import io.snapcoherence.juju.CharmDir;
import io.snapcoherence.juju.Event;
import io.snapcoherence.juju.Status;
import io.snapcoherence.snap.ProxyException;
import io.snapcoherence.snap.SnapError;
import io.snapcoherence.snap.SnapException;
import io.snapcoherence.snap.StoreAssertion;
import io.snapcoherence.snap.Snaps;
import io.snapcoherence.snap.StoreAssertions;
import io.snapcoherence.snap.StoreProxy;

import java.io.UncheckedIOException;
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
 * <p>
 * The unit store is written only when the hook's context is flushed (runner/context/context.go
 * {@code HookContext.Flush}), but {@code snap set core proxy.store} takes effect at once: a hook killed between
 * the two leaves the node registered and no memory of it. So, just before setting {@code proxy.store}, the charm
 * writes an {@link Intent} to its charm directory, which a killed hook does not undo; a later hook that finds
 * {@code proxy.store} holding the intent's store id takes the registration as its own, and drops the intent once the
 * unit store holds it.
 */
public final class ProxyRegistration {
    static final String PROXY_STORE = "proxy.store";

    /** What the unit store remembers: the URL registered for, its store id, and whether this charm set proxy.store. */
    record Remembered(String url, String storeId, boolean setByCharm) {
        /** Unreadable: as never set, so nothing is undone wrongly. */
        static final UnitStore.Key<Remembered> KEY = new UnitStore.Key<>("proxy-registration", Remembered::decode,
                Remembered::toJson);

        private static Remembered decode(String text) {
            Map<String, String> fields = Json.stringMap(text);
            return new Remembered(fields.getOrDefault("url", ""), fields.getOrDefault("store-id", ""),
                    "true".equals(fields.get("set-by-charm")));
        }

        String toJson() {
            return Json.write(Map.of("url", url, "store-id", storeId, "set-by-charm", String.valueOf(setByCharm)));
        }
    }

    /**
     * Written to the charm directory ({@link #INTENT_FILE}) just before the charm sets {@code proxy.store}: the
     * proxy-url registered for and the store id about to be set. Only that store id, found in {@code proxy.store},
     * proves the registration the charm's; anything else in the file proves nothing.
     */
    record Intent(String url, String storeId) {
        private static Optional<Intent> decode(String text) {
            try {
                Map<String, String> fields = Json.stringMap(text);
                String url = fields.getOrDefault("url", "");
                String storeId = fields.getOrDefault("store-id", "");
                return url.isBlank() || storeId.isBlank() ? Optional.empty() : Optional.of(new Intent(url, storeId));
            } catch (IllegalArgumentException e) {
                return Optional.empty();
            }
        }

        String toJson() {
            return Json.write(Map.of("url", url, "store-id", storeId));
        }
    }

    /** In the charm directory; public for checks that read the machine as ground truth. */
    public static final String INTENT_FILE = ".proxy-registration-intent.json";
    /** The unit-store key of {@link Remembered}; public for checks that read the unit store as ground truth. */
    public static final String REMEMBERED_KEY = Remembered.KEY.name();

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

    private final UnitStore store;
    private final Snaps snaps;
    private final StoreProxy proxy;
    private final CharmDir charmDir;

    ProxyRegistration(UnitStore store, Snaps snaps, StoreProxy proxy, CharmDir charmDir) {
        this.store = store;
        this.snaps = snaps;
        this.proxy = proxy;
        this.charmDir = charmDir;
    }

    public Outcome reconcile(CharmConfig config, Event event) {
        Optional<Remembered> remembered = store.get(Remembered.KEY);
        try {
            remembered = settleIntent(remembered);
            if (isTeardown(event) || config.proxyUrl().isEmpty()) {
                return release(remembered, config.proxyUrl().isEmpty());
            }
            return register(config.proxyUrl().get(), config.storeId(), remembered);
        } catch (SnapException e) {
            String message = "snapd: " + e.error().describe();
            return RefreshRun.notNow(e.error()) ? new Outcome.Waiting(message) : new Outcome.Blocked(message);
        }
    }

    // ---- pure decisions -------------------------------------------------------------------------

    /** The unit is going, or its container relation to the principal (a role's endpoint) is. */
    static boolean isTeardown(Event event) {
        return event.stopsUnit() || event.brokenEndpoint().flatMap(Role::ofEndpoint).isPresent();
    }

    /**
     * What the charm knows it set: the unit store's memory, or, when the node holds the store id of an intent the unit
     * store does not hold as the charm's (its hook killed before its commit), that intent. An intent naming another
     * store than {@code proxy.store}, or none readable, claims nothing.
     */
    static Optional<Remembered> recovered(Optional<Remembered> remembered, Optional<Intent> intent,
                                          Optional<String> currentProxyStore) {
        if (intent.isEmpty() || !currentProxyStore.equals(Optional.of(intent.get().storeId()))) {
            return remembered;
        }
        if (remembered.filter(r -> r.setByCharm() && r.storeId().equals(intent.get().storeId())).isPresent()) {
            return remembered;
        }
        return Optional.of(new Remembered(intent.get().url(), intent.get().storeId(), true));
    }

    /**
     * Whether the intent can go: the unit store (as committed before this hook) holds it as the charm's, or the node
     * does not hold its store id (never set, or changed since: nothing of it to claim). An unreadable one goes too.
     */
    static boolean intentSettled(Optional<Remembered> committed, Optional<Intent> intent,
                                 Optional<String> currentProxyStore) {
        if (intent.isEmpty() || !currentProxyStore.equals(Optional.of(intent.get().storeId()))) {
            return true;
        }
        return committed.filter(r -> r.setByCharm() && r.storeId().equals(intent.get().storeId())).isPresent();
    }

    /**
     * Whether a {@code snap set} snapd did not confirm may still have taken effect, so that its intent must stay: the
     * answer was lost or unreadable, or snapd went away while the client waited, and the configure change snapd had
     * already made (daemon/api_snap_conf.go setSnapConf answers only once the change exists) may have run. Any other
     * error is snapd's own verdict on the change, which keeps nothing of a failed configure.
     */
    static boolean mayHaveTakenEffect(SnapError error) {
        return error instanceof SnapError.Timeout
                || error instanceof SnapError.BadResponse
                || error instanceof SnapError.SnapdUnavailable;
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

    /**
     * Registered with the proxy at {@code url} without asking it again: remembered, set, acknowledged with a url on
     * the proxy's host, and as configured.
     */
    static boolean isRegistered(URI url, Optional<String> configStoreId, Optional<Remembered> remembered,
                                Optional<String> currentProxyStore, List<StoreAssertion> knownStores) {
        return remembered.filter(r -> r.url().equals(url.toString()))
                .filter(r -> currentProxyStore.equals(Optional.of(r.storeId())))
                .filter(r -> hostMismatch(url, r.storeId(), knownStores).isEmpty())
                .filter(r -> configStoreId.map(id -> id.equals(r.storeId())).orElse(true))
                .isPresent();
    }

    /**
     * Why the acknowledged store assertion of {@code storeId} does not point at the proxy: none acknowledged, no url,
     * or a url on another host. snapd sends a node's store requests to the store assertion's url, not to where the
     * assertions came from, and Juju picks the store assertion whose url host is the proxy's host (core/snap
     * assertions.go {@code findStoreID}, comparing URL.Host: host and port).
     */
    static Optional<String> hostMismatch(URI url, String storeId, List<StoreAssertion> knownStores) {
        Optional<StoreAssertion> known = knownStores.stream().filter(a -> a.storeId().equals(storeId)).findFirst();
        if (known.isEmpty()) {
            return Optional.of("no store assertion for " + storeId + " acknowledged");
        }
        return urlMismatch(url, storeId, known.get().url());
    }

    /** The store assertion's url must be on proxy-url's host (and port). */
    static Optional<String> urlMismatch(URI url, String storeId, Optional<String> assertionUrl) {
        if (assertionUrl.isEmpty()) {
            return Optional.of("the store assertion of " + storeId + " has no url, so snapd cannot use it");
        }
        String theirs;
        try {
            theirs = authority(new URI(assertionUrl.get().strip()));
        } catch (java.net.URISyntaxException e) {
            theirs = "";
        }
        String ours = authority(url);
        return theirs.equals(ours) ? Optional.empty() : Optional.of("the store assertion of " + storeId
                + " points snapd at " + assertionUrl.get() + " (host " + (theirs.isEmpty() ? "none" : theirs)
                + "), not at the host of proxy-url " + url + " (" + ours + ")");
    }

    private static String authority(URI uri) {
        String host = uri.getHost() == null ? "" : uri.getHost().toLowerCase(java.util.Locale.ROOT);
        return host.isEmpty() || uri.getPort() < 0 ? host : host + ":" + uri.getPort();
    }

    /** The operator's store-id, when set, must be the proxy's. */
    static Optional<String> checkStoreId(URI url, Optional<String> configStoreId, String proxyStoreId) {
        return configStoreId.filter(id -> !id.equals(proxyStoreId)).map(id -> "store id mismatch: proxy " + url
                + " says " + proxyStoreId + ", config says " + id);
    }

    // ---- applying -------------------------------------------------------------------------------

    /**
     * Reads the intent a hook left in the charm directory, if any: claims the registration it proves (remembered in
     * this hook's unit store, to be committed with it) and removes the file once it is no longer needed.
     */
    private Optional<Remembered> settleIntent(Optional<Remembered> remembered) {
        Optional<String> text;
        try {
            text = charmDir.read(INTENT_FILE);
        } catch (UncheckedIOException e) {
            text = Optional.of(""); // unreadable: proves nothing
        }
        if (text.isEmpty()) {
            return remembered;
        }
        Optional<Intent> intent = Intent.decode(text.get());
        Optional<String> current = intent.isPresent() ? proxyStore() : Optional.empty();
        Optional<Remembered> known = recovered(remembered, intent, current);
        if (!known.equals(remembered)) {
            store.put(Remembered.KEY, known.orElseThrow());
        }
        if (intentSettled(remembered, intent, current)) {
            deleteIntent();
        }
        return known;
    }

    private void deleteIntent() {
        try {
            charmDir.delete(INTENT_FILE);
        } catch (UncheckedIOException e) {
            // Left behind, it claims nothing unless proxy.store holds its store id; the next hook tries again.
        }
    }

    private Outcome release(Optional<Remembered> remembered, boolean proxyUrlEmptied) {
        if (remembered.isEmpty()) {
            // Never registered by this charm: not even a read of the node's proxy settings.
            return proxyUrlEmptied ? new Outcome.NotConfigured() : new Outcome.Released(false);
        }
        Teardown plan = planTeardown(remembered, proxyStore());
        if (plan == Teardown.UNSET_AND_FORGET) {
            snaps.unsetSystem(PROXY_STORE);
        }
        deleteIntent();
        store.clear(Remembered.KEY);
        return proxyUrlEmptied ? new Outcome.NotConfigured() : new Outcome.Released(plan == Teardown.UNSET_AND_FORGET);
    }

    /**
     * Checked on every hook, because Juju's machine agent sets {@code proxy.store} to the model's
     * {@code snap-store-proxy}, empty when there is none, each time it starts (worker/proxyupdater
     * handleSnapProxyValues, first run): an agent restart clears what the charm set, and the charm sets it again.
     * A value the charm did not set is left alone.
     */
    private Outcome register(URI url, Optional<String> configStoreId, Optional<Remembered> remembered) {
        Optional<String> current = proxyStore();
        List<StoreAssertion> known = snaps.knownStores();
        if (isRegistered(url, configStoreId, remembered, current, known)) {
            return new Outcome.Registered(remembered.get().storeId(), false);
        }
        Optional<String> ours = remembered.filter(Remembered::setByCharm).map(Remembered::storeId);
        Optional<String> expected = configStoreId.or(() -> remembered.filter(r -> r.url().equals(url.toString()))
                .map(Remembered::storeId));
        if (current.isPresent() && !current.equals(ours) && expected.isPresent() && !current.equals(expected)) {
            return foreign(current.get(), url); // no need to ask the proxy
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
        Optional<String> mismatch = checkStoreId(url, configStoreId, storeId)
                .or(() -> urlMismatch(url, storeId, assertions.url()));
        if (mismatch.isPresent()) {
            return new Outcome.Blocked(mismatch.get());
        }
        if (current.isPresent() && !current.equals(ours) && !current.equals(Optional.of(storeId))) {
            return foreign(current.get(), url);
        }
        boolean setByCharm;
        if (current.equals(Optional.of(storeId)) && hostMismatch(url, storeId, known).isEmpty()) {
            // Someone (the operator, Juju's model config, or this charm before its memory was lost) already did it.
            setByCharm = remembered.filter(r -> r.storeId().equals(storeId)).map(Remembered::setByCharm).orElse(false);
        } else {
            if (hostMismatch(url, storeId, known).isPresent()) {
                try {
                    snaps.ack(assertions.body());
                } catch (SnapException e) {
                    return snapdRefused(url, "its assertions", e);
                }
                Optional<String> acknowledged = hostMismatch(url, storeId, snaps.knownStores());
                if (acknowledged.isPresent()) {
                    return new Outcome.Blocked(acknowledged.get());
                }
            }
            try {
                charmDir.write(INTENT_FILE, new Intent(url.toString(), storeId).toJson());
            } catch (UncheckedIOException e) {
                return new Outcome.Blocked("cannot write " + INTENT_FILE + " in the charm directory before setting "
                        + "proxy.store=" + storeId + ": " + e.getCause().getMessage() + " (retrying on the next hook)");
            }
            try {
                snaps.setSystem(PROXY_STORE, storeId);
            } catch (SnapException e) {
                if (!mayHaveTakenEffect(e.error())) {
                    deleteIntent(); // nothing of it on the node: a value someone sets later is not the charm's
                }
                return snapdRefused(url, "proxy.store=" + storeId, e);
            }
            setByCharm = true;
        }
        store.put(Remembered.KEY, new Remembered(url.toString(), storeId, setByCharm));
        return new Outcome.Registered(storeId, setByCharm && !current.equals(Optional.of(storeId)));
    }

    /** proxy.store names another store, set outside this charm: left as it is; this unit refreshes nothing. */
    private static Outcome foreign(String value, URI url) {
        return new Outcome.Blocked("proxy.store is " + value + ", not set by this charm (the model's "
                + "snap-store-proxy?): left as it is; no refresh until it names the store of proxy-url " + url);
    }

    /** proxy.store as snapd holds it; an empty value means none (the upstream store). */
    private Optional<String> proxyStore() {
        return snaps.getSystem(PROXY_STORE).map(String::strip).filter(v -> !v.isEmpty());
    }

    private static Outcome snapdRefused(URI url, String what, SnapException e) {
        String message = "snapd refused " + what + " from store proxy " + url + ": " + e.error().describe();
        return RefreshRun.notNow(e.error()) ? new Outcome.Waiting(message) : new Outcome.Blocked(message);
    }
}
