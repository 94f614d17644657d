package io.snapcoherence.sim;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * A Snap Store Proxy in memory: what each channel of each snap serves (overrides included: to a node an
 * override is just the channel pointing at another revision), its store id and assertions, and
 * an outage switch. Shared by every simulated machine of a model.
 */
public final class SimulatedStore {
    private final String storeId;
    private final Map<String, Map<String, Integer>> channels = new LinkedHashMap<>();
    private final Map<String, Set<Integer>> published = new HashMap<>();
    private boolean outage;

    public SimulatedStore(String storeId) {
        this.storeId = storeId;
    }

    public String storeId() {
        return storeId;
    }

    /** Points {@code snap}'s {@code channel} at {@code revision} (a new release, or an override, older or newer). */
    public synchronized SimulatedStore publish(String snap, String channel, int revision) {
        channels.computeIfAbsent(snap, s -> new LinkedHashMap<>()).put(channel, revision);
        published.computeIfAbsent(snap, s -> new TreeSet<>()).add(revision);
        return this;
    }

    public synchronized boolean knows(String snap) {
        return channels.containsKey(snap);
    }

    public synchronized Map<String, Integer> channels(String snap) {
        return Map.copyOf(channels.getOrDefault(snap, Map.of()));
    }

    public synchronized Optional<Integer> revision(String snap, String channel) {
        return Optional.ofNullable(channels.getOrDefault(snap, Map.of()).get(channel));
    }

    /** Whether the store ever served this revision of the snap (so {@code --revision=n} can install it). */
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
        return assertionsFor(storeId);
    }

    /** An assertion stream whose store assertion names {@code id}: account-key, account, store. */
    public static byte[] assertionsFor(String id) {
        String keyBody = "AcLBUgQAAQoABgUCYAAAAAAKCRBQsY6TO7AhAQ";
        String text = assertion("account-key", "authority-id: " + id + "\npublic-key-sha3-384: " + keyBody
                + "\naccount-id: " + id + "\nname: store\nsince: 2026-01-01T00:00:00Z\nbody-length: 0\n", "")
                + assertion("account", "authority-id: " + id + "\naccount-id: " + id + "\ndisplay-name: " + id
                + "\nusername: " + id + "\nvalidation: unproven\ntimestamp: 2026-01-01T00:00:00Z\n", "")
                + assertion("store", "authority-id: " + id + "\nstore: " + id + "\noperator-id: " + id
                + "\nurl: http://snap-proxy.invalid\ntimestamp: 2026-01-01T00:00:00Z\n", "");
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static String assertion(String type, String headers, String body) {
        return "type: " + type + "\n" + headers + "sign-key-sha3-384: BWDEoaqyr25nF5SNCvEv2v7QnM9QsfCc0PBMYD_i2NGSQ32EF2d4D0hqUel3m8ul\n"
                + "\n" + body + (body.isEmpty() ? "" : "\n\n")
                + "AcLBUgQAAQoABgUCYAAAAAAKCRBQsY6TO7AhAQsignature\n\n";
    }
}
