package io.snapcoherence.sim;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The snap stores a model's machines talk to, in memory: the Snap Store Proxy (its store id, assertions and url)
 * and the upstream store behind it. Each has its own view of what every channel of every snap serves: a release
 * ({@link #publish}) reaches both, an override ({@link #override}) only the proxy (store-proxy.md: to a node an
 * override is just the channel pointing at another revision), and upstream can move on alone
 * ({@link #publishUpstream}). A machine sees the proxy's view while its proxy.store names the proxy's store id,
 * upstream's otherwise (snapd sends store requests to the url of the store assertion proxy.store names). An outage
 * switch cuts both.
 *
 * <p>Per architecture: a store numbers each architecture's builds on their own, and a proxy override names the
 * architecture it is for (store-proxy.md: {@code kubectl 1.16/stable amd64 1342}). A release or override given
 * without an architecture holds for every architecture that has none of its own; a revision can be installed by
 * number only on an architecture it was published for (snapd asks the store for this machine's architecture).
 * Every revision each view ever served is kept, so a checker can tell a revision the proxy served from one only
 * upstream did.
 */
public final class SimulatedStore {
    public static final String DEFAULT_URL = "http://snap-proxy.internal";
    /** A release or override for every architecture without one of its own. */
    public static final String EVERY_ARCH = "*";

    /** Which store a machine asks. */
    public enum View { PROXY, UPSTREAM }

    private final String storeId;
    private final String url;
    /** view -> architecture (or EVERY_ARCH) -> snap -> channel -> revision */
    private final Map<View, Map<String, Map<String, Map<String, Integer>>>> channels = new HashMap<>();
    /** view -> architecture (or EVERY_ARCH) -> "snap channel" -> every revision served */
    private final Map<View, Map<String, Map<String, Set<Integer>>>> served = new HashMap<>();
    /** architecture (or EVERY_ARCH) -> snap -> revisions published */
    private final Map<String, Map<String, Set<Integer>>> published = new HashMap<>();
    private boolean outage;

    public SimulatedStore(String storeId) {
        this(storeId, DEFAULT_URL);
    }

    /** {@code url}: where the proxy serves snapd, the url of its store assertion. */
    public SimulatedStore(String storeId, String url) {
        this.storeId = storeId;
        this.url = url;
        for (View view : View.values()) {
            channels.put(view, new LinkedHashMap<>());
            served.put(view, new LinkedHashMap<>());
        }
    }

    public String storeId() {
        return storeId;
    }

    public String url() {
        return url;
    }

    /** A release for every architecture: {@code snap}'s {@code channel} serves {@code revision} everywhere. */
    public synchronized SimulatedStore publish(String snap, String channel, int revision) {
        return publish(EVERY_ARCH, snap, channel, revision);
    }

    /** A release of one architecture's build, upstream and on the proxy. */
    public synchronized SimulatedStore publish(String arch, String snap, String channel, int revision) {
        for (View view : View.values()) {
            point(view, arch, snap, channel, revision);
        }
        return this;
    }

    /** A proxy override for every architecture: only machines on the proxy see {@code channel} at {@code revision}. */
    public synchronized SimulatedStore override(String snap, String channel, int revision) {
        return override(EVERY_ARCH, snap, channel, revision);
    }

    /** A proxy override of one architecture, older or newer than upstream. */
    public synchronized SimulatedStore override(String arch, String snap, String channel, int revision) {
        point(View.PROXY, arch, snap, channel, revision);
        return this;
    }

    /** Upstream moves on, for every architecture; the proxy keeps what it serves (its overrides pin it). */
    public synchronized SimulatedStore publishUpstream(String snap, String channel, int revision) {
        return publishUpstream(EVERY_ARCH, snap, channel, revision);
    }

    /** Upstream moves on for one architecture. */
    public synchronized SimulatedStore publishUpstream(String arch, String snap, String channel, int revision) {
        point(View.UPSTREAM, arch, snap, channel, revision);
        return this;
    }

    private void point(View view, String arch, String snap, String channel, int revision) {
        channels.get(view).computeIfAbsent(arch, a -> new LinkedHashMap<>())
                .computeIfAbsent(snap, s -> new LinkedHashMap<>()).put(channel, revision);
        served.get(view).computeIfAbsent(arch, a -> new LinkedHashMap<>())
                .computeIfAbsent(snap + " " + channel, k -> new TreeSet<>()).add(revision);
        published.computeIfAbsent(arch, a -> new HashMap<>()).computeIfAbsent(snap, s -> new TreeSet<>())
                .add(revision);
    }

    /** The channel map {@code arch} sees: its own entries over those for every architecture. */
    public synchronized Map<String, Integer> channels(View view, String arch, String snap) {
        Map<String, Integer> map = new LinkedHashMap<>(channels.get(view).getOrDefault(EVERY_ARCH, Map.of())
                .getOrDefault(snap, Map.of()));
        map.putAll(channels.get(view).getOrDefault(arch, Map.of()).getOrDefault(snap, Map.of()));
        return Map.copyOf(map);
    }

    /** What the proxy serves amd64 on the channel. */
    public synchronized Optional<Integer> revision(String snap, String channel) {
        return revision(View.PROXY, "amd64", snap, channel);
    }

    /** What a machine of {@code arch} on {@code view} gets for the channel now. */
    public synchronized Optional<Integer> revision(View view, String arch, String snap, String channel) {
        return Optional.ofNullable(channels(view, arch, snap).get(channel));
    }

    /** Whether {@code view} ever served {@code arch} this revision on the channel. */
    public synchronized boolean served(View view, String arch, String snap, String channel, int revision) {
        for (String key : List.of(arch, EVERY_ARCH)) {
            if (served.get(view).getOrDefault(key, Map.of()).getOrDefault(snap + " " + channel, Set.of())
                    .contains(revision)) {
                return true;
            }
        }
        return false;
    }

    /** Whether the store has this revision of the snap for {@code arch} (so a refresh to revision n can get it). */
    public synchronized boolean hasRevision(String arch, String snap, int revision) {
        return published.getOrDefault(arch, Map.of()).getOrDefault(snap, Set.of()).contains(revision)
                || published.getOrDefault(EVERY_ARCH, Map.of()).getOrDefault(snap, Set.of()).contains(revision);
    }

    public synchronized void setOutage(boolean outage) {
        this.outage = outage;
    }

    public synchronized boolean outage() {
        return outage;
    }

    /** The proxy's assertion stream as {@code GET /v2/auth/store/assertions} serves it. */
    public byte[] assertions() {
        return assertionsFor(storeId, url);
    }

    /** An assertion stream whose store assertion names {@code id}, served at {@link #DEFAULT_URL}. */
    public static byte[] assertionsFor(String id) {
        return assertionsFor(id, DEFAULT_URL);
    }

    /** An assertion stream whose store assertion names {@code id} and {@code url}: account-key, account, store. */
    public static byte[] assertionsFor(String id, String url) {
        String keyBody = "AcLBUgQAAQoABgUCYAAAAAAKCRBQsY6TO7AhAQ";
        String text = assertion("account-key", "authority-id: " + id + "\npublic-key-sha3-384: " + keyBody
                + "\naccount-id: " + id + "\nname: store\nsince: 2026-01-01T00:00:00Z\nbody-length: 0\n", "")
                + assertion("account", "authority-id: " + id + "\naccount-id: " + id + "\ndisplay-name: " + id
                + "\nusername: " + id + "\nvalidation: unproven\ntimestamp: 2026-01-01T00:00:00Z\n", "")
                + assertion("store", "authority-id: " + id + "\nstore: " + id + "\noperator-id: " + id
                + "\nurl: " + url + "\ntimestamp: 2026-01-01T00:00:00Z\n", "");
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static String assertion(String type, String headers, String body) {
        return "type: " + type + "\n" + headers + "sign-key-sha3-384: BWDEoaqyr25nF5SNCvEv2v7QnM9QsfCc0PBMYD_i2NGSQ32EF2d4D0hqUel3m8ul\n"
                + "\n" + body + (body.isEmpty() ? "" : "\n\n")
                + "AcLBUgQAAQoABgUCYAAAAAAKCRBQsY6TO7AhAQsignature\n\n";
    }
}
