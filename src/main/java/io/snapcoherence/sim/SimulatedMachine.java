package io.snapcoherence.sim;

import io.snapcoherence.snap.Assertions;
import io.snapcoherence.snap.Change;
import io.snapcoherence.snap.InstalledSnap;
import io.snapcoherence.snap.RefreshCandidate;
import io.snapcoherence.snap.SnapError;
import io.snapcoherence.snap.SnapException;
import io.snapcoherence.snap.SnapInfo;
import io.snapcoherence.snap.SnapService;
import io.snapcoherence.snap.Snaps;
import io.snapcoherence.snap.StoreAssertion;
import io.snapcoherence.snap.SystemInfo;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * A machine's snapd in memory, following the same contract as {@link io.snapcoherence.snap.SnapdClient}
 * (error types and texts from the snapd reference): installed snaps with their tracking channel, revision,
 * previous revisions and services; system configuration with snapd's proxy.store rule; acknowledged store
 * assertions; holds; injected refresh failures; and snapd's own refresh timer ({@link #autoRefreshTick()}).
 * Every revision change is recorded as a {@link RefreshEvent} and passed to the listener.
 */
public final class SimulatedMachine implements Snaps {
    /** Snaps of Charmed Kubernetes that run no service. */
    private static final Set<String> CLIENT_ONLY = Set.of("kubectl");
    /** snapd ≥ 2.58 reports a hold "forever" as now plus 290 years (overlord/snapstate/autorefresh.go). */
    private static final Instant HELD_FOREVER = Instant.parse("2316-01-01T00:00:00Z");

    private final String name;
    private final SimulatedStore store;
    private final Map<String, Installed> installed = new LinkedHashMap<>();
    private final Map<String, String> systemConfig = new LinkedHashMap<>();
    private final Map<String, Optional<String>> knownStores = new LinkedHashMap<>();
    private final Set<String> heldSnaps = new LinkedHashSet<>();
    private final Map<String, RefreshFault> refreshFaults = new HashMap<>();
    private final Set<String> brokenServices = new LinkedHashSet<>();
    private final List<RefreshEvent> history = new ArrayList<>();
    private final List<String> calls = new ArrayList<>();
    private final Map<String, RunningChange> running = new LinkedHashMap<>();
    private final Map<String, Change> changes = new HashMap<>();
    private int changeRounds;
    private int changeCounter;
    private String version = "2.63";
    private Consumer<RefreshEvent> listener = event -> { };

    private static final class Installed {
        String channel;
        int revision;
        final Deque<Integer> previous = new ArrayDeque<>();

        Installed(String channel, int revision) {
            this.channel = channel;
            this.revision = revision;
        }
    }

    private record RefreshFault(String message, boolean persistent) {
    }

    /** A refresh snapd is still working on after the hook stopped waiting. */
    private static final class RunningChange {
        final String id;
        final String channel;
        final int target;
        int roundsLeft;

        RunningChange(String id, String channel, int target, int roundsLeft) {
            this.id = id;
            this.channel = channel;
            this.target = target;
            this.roundsLeft = roundsLeft;
        }
    }

    public SimulatedMachine(String name, SimulatedStore store) {
        this.name = name;
        this.store = store;
    }

    public String name() {
        return name;
    }

    // ---- set-up and fault injection -------------------------------------------------------------

    /** Installs a snap as if it had been installed before the model existed (no refresh event). */
    public SimulatedMachine install(String snap, String channel, int revision) {
        installed.put(snap, new Installed(channel, revision));
        return this;
    }

    public SimulatedMachine withVersion(String snapdVersion) {
        this.version = snapdVersion;
        return this;
    }

    public void onRefresh(Consumer<RefreshEvent> listener) {
        this.listener = listener;
    }

    /**
     * From now on a refresh takes {@code rounds} scheduler rounds: its change is still Doing when the hook stops
     * waiting, snapd goes on, another refresh or revert of the snap is refused meanwhile
     * ({@link SnapError.ChangeConflict}),
     * and {@link #advanceChanges()} finishes it. 0: refreshes finish within the call.
     */
    public SimulatedMachine changesTakeRounds(int rounds) {
        this.changeRounds = rounds;
        return this;
    }

    /** One scheduler round of snapd's work on the changes the CLI stopped waiting for; returns what finished. */
    public List<RefreshEvent> advanceChanges() {
        List<RefreshEvent> events = new ArrayList<>();
        var it = running.entrySet().iterator();
        while (it.hasNext()) {
            var entry = it.next();
            RunningChange change = entry.getValue();
            if (--change.roundsLeft > 0) {
                continue;
            }
            it.remove();
            finish(change.id, "Done");
            Installed current = installed.get(entry.getKey());
            if (current != null) {
                events.add(change(entry.getKey(), current, change.channel, change.target, RefreshEvent.Cause.REFRESH));
                settleServices(entry.getKey());
            }
        }
        return events;
    }

    /** Whether snapd is still working on a change the hook stopped waiting for. */
    public boolean changesRunning() {
        return !running.isEmpty();
    }

    /** The next refresh of {@code snap} fails with {@code message} (every refresh, when persistent). */
    public void failRefresh(String snap, String message, boolean persistent) {
        refreshFaults.put(snap, new RefreshFault(message, persistent));
    }

    public void clearRefreshFault(String snap) {
        refreshFaults.remove(snap);
    }

    /** After the next refresh of {@code snap} its services stay inactive (until refreshed or reverted again). */
    public void breakServicesAfterRefresh(String snap) {
        brokenServices.add("pending:" + snap);
    }

    // ---- observation --------------------------------------------------------------------------

    public List<RefreshEvent> history() {
        return List.copyOf(history);
    }

    /** Every request made, as the {@code snap <args>} line that asks the same, for tests that assert what was (not) run. */
    public List<String> calls() {
        return List.copyOf(calls);
    }

    /** What {@code snap list} would show, without recording a call: for checks that read ground truth. */
    public List<InstalledSnap> installedSnaps() {
        List<InstalledSnap> rows = new ArrayList<>();
        installed.forEach((snap, i) -> rows.add(new InstalledSnap(snap, "v" + i.revision, i.revision, i.channel,
                heldSnaps.contains(snap) ? Optional.of(HELD_FOREVER) : Optional.empty())));
        return rows;
    }

    /** A change as {@code GET /v2/changes/<id>} shows it, without recording a call. */
    public Optional<Change> peekChange(String id) {
        return Optional.ofNullable(changes.get(id));
    }

    public Optional<Integer> installedRevision(String snap) {
        return Optional.ofNullable(installed.get(snap)).map(i -> i.revision);
    }

    public boolean isHeld(String snap) {
        return heldSnaps.contains(snap) || !systemConfig.getOrDefault("refresh.hold", "").isEmpty();
    }

    public Map<String, String> systemConfig() {
        return Map.copyOf(systemConfig);
    }

    // ---- snapd's own timer ----------------------------------------------------------------------

    /**
     * What snapd's refresh timer does: every installed snap that is not held moves to its channel's revision.
     * Returns the events it caused.
     */
    public List<RefreshEvent> autoRefreshTick() {
        List<RefreshEvent> events = new ArrayList<>();
        if (store.outage()) {
            return events;
        }
        for (Map.Entry<String, Installed> entry : installed.entrySet()) {
            String snap = entry.getKey();
            Installed current = entry.getValue();
            if (isHeld(snap) || running.containsKey(snap)) {
                continue;
            }
            Optional<Integer> head = store.revision(snap, current.channel);
            if (head.isPresent() && head.get() != current.revision) {
                events.add(change(snap, current, current.channel, head.get(), RefreshEvent.Cause.AUTO));
            }
        }
        return events;
    }

    // ---- Snaps ------------------------------------------------------------------------------------

    @Override
    public SystemInfo systemInfo() {
        calls.add("snap version");
        Optional<Instant> hold = Optional.empty();
        try {
            hold = Optional.ofNullable(systemConfig.get("refresh.hold")).filter(v -> !v.isEmpty()).map(Instant::parse);
        } catch (DateTimeParseException e) {
            // "forever" (2.58+): no time to show
        }
        return new SystemInfo(version, "amd64", hold, Optional.empty());
    }

    @Override
    public void ack(byte[] assertions) {
        calls.add("snap ack");
        String text = new String(assertions, StandardCharsets.UTF_8);
        if (text.isBlank()) {
            return; // snapd acknowledges an empty stream silently
        }
        Map<String, Optional<String>> stores = new LinkedHashMap<>();
        try {
            for (Assertions.Assertion assertion : Assertions.parse(assertions)) {
                if (assertion.type().equals("store")) {
                    assertion.header("store").ifPresent(id -> stores.put(id, assertion.header("url")));
                }
            }
        } catch (Assertions.FormatException e) {
            throw new SnapException(new SnapError.AssertionsRejected(
                    "cannot decode request body into assertions: unexpected EOF"));
        }
        knownStores.putAll(stores);
    }

    @Override
    public List<StoreAssertion> knownStores() {
        calls.add("snap known store");
        List<StoreAssertion> stores = new ArrayList<>();
        knownStores.forEach((id, url) -> stores.add(new StoreAssertion(id, url)));
        return stores;
    }

    @Override
    public Optional<String> getSystem(String key) {
        calls.add("snap get system " + key);
        return Optional.ofNullable(systemConfig.get(key));
    }

    /** snapd keeps an empty value as set; proxy.store needs a matching store assertion unless empty. */
    @Override
    public void setSystem(String key, String value) {
        calls.add("snap set system " + key + "=" + value);
        if (key.equals("proxy.store") && !value.isEmpty() && !knownStores.containsKey(value)) {
            throw new SnapException(new SnapError.NoMatchingStoreAssertion(value));
        }
        systemConfig.put(key, value);
    }

    @Override
    public void unsetSystem(String key) {
        calls.add("snap unset system " + key);
        systemConfig.remove(key);
    }

    @Override
    public Map<String, SnapInfo> info(List<String> names) {
        calls.add("snap info " + String.join(" ", names));
        requireStore();
        Map<String, SnapInfo> result = new LinkedHashMap<>();
        for (String snap : names) {
            if (!store.knows(snap)) {
                continue;
            }
            Installed current = installed.get(snap);
            result.put(snap, new SnapInfo(snap, store.channels(snap),
                    Optional.ofNullable(current).map(i -> i.channel),
                    Optional.ofNullable(current).map(i -> i.revision)));
        }
        return result;
    }

    @Override
    public List<RefreshCandidate> refreshCandidates() {
        calls.add("snap refresh --list");
        requireStore();
        List<RefreshCandidate> candidates = new ArrayList<>();
        installed.forEach((snap, i) -> store.revision(snap, i.channel).filter(head -> head != i.revision)
                .ifPresent(head -> candidates.add(new RefreshCandidate(snap, i.channel, head, "v" + head))));
        return candidates;
    }

    @Override
    public List<InstalledSnap> list() {
        calls.add("snap list");
        return installedSnaps();
    }

    @Override
    public String startRefresh(String snap, String channel, int revision) {
        calls.add("snap refresh " + snap + " --channel=" + channel + " --revision=" + revision);
        Installed current = installed.get(snap);
        if (current == null) {
            throw new SnapException(new SnapError.NotInstalled(snap));
        }
        refuseWhileRunning(snap);
        requireStore();
        if (!store.hasRevision(snap, revision)) {
            throw new SnapException(new SnapError.RevisionNotAvailable(snap, "no snap revision available as specified"));
        }
        RefreshFault fault = refreshFaults.get(snap);
        if (fault != null) {
            if (!fault.persistent()) {
                refreshFaults.remove(snap);
            }
            throw new SnapException(new SnapError.Other(400, "", fault.message()));
        }
        if (revision == current.revision && channel.equals(current.channel)) {
            throw new SnapException(new SnapError.NoUpdateAvailable(snap));
        }
        String id = newChange("refresh-snap");
        if (changeRounds > 0) {
            running.put(snap, new RunningChange(id, channel, revision, changeRounds));
            return id;
        }
        change(snap, current, channel, revision, RefreshEvent.Cause.REFRESH);
        settleServices(snap);
        finish(id, "Done");
        return id;
    }

    private void settleServices(String snap) {
        if (brokenServices.remove("pending:" + snap)) {
            brokenServices.add(snap);
        } else {
            brokenServices.remove(snap);
        }
    }

    private void refuseWhileRunning(String snap) {
        if (running.containsKey(snap)) {
            throw new SnapException(new SnapError.ChangeConflict(snap,
                    "snap \"" + snap + "\" has \"refresh-snap\" change in progress"));
        }
    }

    @Override
    public String startRevert(String snap) {
        calls.add("snap revert " + snap);
        Installed current = installed.get(snap);
        if (current == null) {
            throw new SnapException(new SnapError.NotInstalled(snap));
        }
        refuseWhileRunning(snap);
        if (current.previous.isEmpty()) {
            throw new SnapException(new SnapError.NoRevisionToRevert(snap));
        }
        int previous = current.previous.pop();
        RefreshEvent event = new RefreshEvent(name, snap, current.channel, current.revision, previous,
                RefreshEvent.Cause.REVERT);
        current.revision = previous;
        brokenServices.remove(snap);
        record(event);
        String id = newChange("revert-snap");
        finish(id, "Done");
        return id;
    }

    @Override
    public Change change(String id) {
        calls.add("snap change " + id);
        return peekChange(id).orElseThrow(() -> new SnapException(new SnapError.Other(404, "",
                "cannot find change with id \"" + id + "\"")));
    }

    @Override
    public List<Change> changesInProgress(String snap) {
        calls.add("snap changes " + snap);
        RunningChange change = running.get(snap);
        return change == null ? List.of() : List.of(changes.get(change.id));
    }

    /** Simulated time passes in rounds ({@link #advanceChanges()}), so waiting changes nothing here. */
    @Override
    public Change await(String id, Duration wait) {
        return change(id);
    }

    /** snapd before 2.58 answers 400 "unsupported multi-snap operation \"hold\"" (daemon/api_snaps.go). */
    @Override
    public void hold(List<String> snaps) {
        calls.add("snap refresh --hold " + String.join(" ", snaps));
        requirePerSnapHolds("hold");
        heldSnaps.addAll(snaps);
    }

    @Override
    public void unhold(List<String> snaps) {
        calls.add("snap refresh --unhold " + String.join(" ", snaps));
        requirePerSnapHolds("unhold");
        snaps.forEach(heldSnaps::remove);
    }

    private void requirePerSnapHolds(String action) {
        if (!new SystemInfo(version, "amd64", Optional.empty(), Optional.empty()).perSnapHolds()) {
            throw new SnapException(new SnapError.Other(400, "", "unsupported multi-snap operation \"" + action
                    + "\""));
        }
    }

    /** Every service of every installed snap; snaps without services have no entry. */
    @Override
    public List<SnapService> services() {
        calls.add("snap services");
        List<SnapService> services = new ArrayList<>();
        for (String snap : installed.keySet()) {
            if (!CLIENT_ONLY.contains(snap)) {
                services.add(new SnapService(snap, "daemon", true, !brokenServices.contains(snap)));
            }
        }
        return services;
    }

    // ---- internals --------------------------------------------------------------------------------

    private String newChange(String kind) {
        String id = String.valueOf(++changeCounter);
        changes.put(id, new Change(id, kind, "Doing", false, Optional.empty()));
        return id;
    }

    private void finish(String id, String status) {
        Change change = changes.get(id);
        changes.put(id, new Change(id, change.kind(), status, true, Optional.empty()));
    }

    private RefreshEvent change(String snap, Installed current, String channel, int target, RefreshEvent.Cause cause) {
        RefreshEvent event = new RefreshEvent(name, snap, channel, current.revision, target, cause);
        current.previous.push(current.revision);
        current.revision = target;
        current.channel = channel;
        record(event);
        return event;
    }

    private void record(RefreshEvent event) {
        history.add(event);
        listener.accept(event);
    }

    private void requireStore() {
        if (store.outage()) {
            throw new SnapException(new SnapError.StoreUnreachable(
                    "unexpectedly empty response from the server (try again later)"));
        }
    }
}
