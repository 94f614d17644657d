package io.snapcoherence.sim;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
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
 * upstream's otherwise (snapd sends store requests to the url of the store assertion proxy.store names). Any
 * published revision can be installed by number from either. An outage switch cuts both.
 */
public final class SimulatedStore {
    public static final String DEFAULT_URL = "http://snap-proxy.internal";

    /** Which store a machine asks. */
    public enum View { PROXY, UPSTREAM }

    private final String storeId;
    private final String url;
    private final Map<View, Map<String, Map<String, Integer>>> channels = new HashMap<>();
    private final Map<String, Set<Integer>> published = new HashMap<>();
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
        }
    }

    public String storeId() {
        return storeId;
    }

    public String url() {
        return url;
    }

    /** A release: {@code snap}'s {@code channel} serves {@code revision} upstream and on the proxy. */
    public synchronized SimulatedStore publish(String snap, String channel, int revision) {
        for (View view : View.values()) {
            point(view, snap, channel, revision);
        }
        return this;
    }

    /** A proxy override: only machines on the proxy see {@code channel} at {@code revision}, older or newer. */
    public synchronized SimulatedStore override(String snap, String channel, int revision) {
        point(View.PROXY, snap, channel, revision);
        return this;
    }

    /** Upstream moves on; the proxy keeps what it serves (its overrides pin it). */
    public synchronized SimulatedStore publishUpstream(String snap, String channel, int revision) {
        point(View.UPSTREAM, snap, channel, revision);
        return this;
    }

    private void point(View view, String snap, String channel, int revision) {
        channels.get(view).computeIfAbsent(snap, s -> new LinkedHashMap<>()).put(channel, revision);
        published.computeIfAbsent(snap, s -> new TreeSet<>()).add(revision);
    }

    public synchronized boolean knows(String snap) {
        return channels.get(View.PROXY).containsKey(snap) || channels.get(View.UPSTREAM).containsKey(snap);
    }

    public synchronized boolean knows(View view, String snap) {
        return channels.get(view).containsKey(snap);
    }

    public synchronized Map<String, Integer> channels(View view, String snap) {
        return Map.copyOf(channels.get(view).getOrDefault(snap, Map.of()));
    }

    /** What the proxy serves on the channel: the revision every rollout through it ends on. */
    public synchronized Optional<Integer> revision(String snap, String channel) {
        return revision(View.PROXY, snap, channel);
    }

    public synchronized Optional<Integer> revision(View view, String snap, String channel) {
        return Optional.ofNullable(channels.get(view).getOrDefault(snap, Map.of()).get(channel));
    }

    /** Whether the store ever served this revision of the snap (so a refresh to revision n can get it). */
    public synchronized boolean hasRevision(String snap, int revision) {
        return published.getOrDefault(snap, Set.of()).contains(revision);
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
