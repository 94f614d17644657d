package io.snapcoherence.sim;

import io.snapcoherence.snap.Assertions;
import io.snapcoherence.snap.InstalledSnap;
import io.snapcoherence.snap.RefreshPin;
import io.snapcoherence.snap.SnapError;
import io.snapcoherence.snap.SnapException;
import io.snapcoherence.snap.SnapInfo;
import io.snapcoherence.snap.SnapService;
import io.snapcoherence.snap.SnapVersion;
import io.snapcoherence.snap.Snaps;

import java.nio.charset.StandardCharsets;
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
 * A machine's snapd in memory, following the same CLI contract as {@link io.snapcoherence.snap.SnapCli}
 * (error types and texts from the snapd reference): installed snaps with their tracking channel, revision,
 * previous revisions and services; system configuration with snapd's proxy.store rule; acknowledged store
 * assertions; holds; injected refresh failures; and snapd's own refresh timer ({@link #autoRefreshTick()}).
 * Every revision change is recorded as a {@link RefreshEvent} and passed to the listener.
 */
public final class SimulatedMachine implements Snaps {
    /** Snaps of Charmed Kubernetes that run no service. */
    private static final Set<String> CLIENT_ONLY = Set.of("kubectl");
    private static final String HOLD_UNTIL = "2027-02-20T00:00:00Z";

    private final String name;
    private final SimulatedStore store;
    private final Map<String, Installed> installed = new LinkedHashMap<>();
    private final Map<String, String> systemConfig = new LinkedHashMap<>();
    private final Set<String> knownStores = new LinkedHashSet<>();
    private final Set<String> heldSnaps = new LinkedHashSet<>();
    private final Map<String, RefreshFault> refreshFaults = new HashMap<>();
    private final Set<String> brokenServices = new LinkedHashSet<>();
    private final List<RefreshEvent> history = new ArrayList<>();
    private final List<String> calls = new ArrayList<>();
    private final Map<String, RunningChange> running = new LinkedHashMap<>();
    private int changeRounds;
    private SnapVersion version = new SnapVersion("2.63");
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

    /** A refresh snapd is still working on after the CLI stopped waiting. */
    private static final class RunningChange {
        final String channel;
        final int target;
        int roundsLeft;

        RunningChange(String channel, int target, int roundsLeft) {
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
        this.version = new SnapVersion(snapdVersion);
        return this;
    }

    public void onRefresh(Consumer<RefreshEvent> listener) {
        this.listener = listener;
    }

    /**
     * From now on a refresh takes {@code rounds} scheduler rounds: the CLI stops waiting ({@link SnapError.Timeout}),
     * snapd goes on, another refresh or revert of the snap is refused meanwhile ({@link SnapError.ChangeInProgress}),
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
            Installed current = installed.get(entry.getKey());
            if (current != null) {
                events.add(change(entry.getKey(), current, change.channel, change.target, RefreshEvent.Cause.REFRESH));
                settleServices(entry.getKey());
            }
        }
        return events;
    }

    /** Whether snapd is still working on a change the CLI stopped waiting for. */
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

    /** Every CLI call made, as {@code snap <args>} lines, for tests that assert what was (not) run. */
    public List<String> calls() {
        return List.copyOf(calls);
    }

    /** What {@code snap list} would show, without recording a call: for checks that read ground truth. */
    public List<InstalledSnap> installedSnaps() {
        List<InstalledSnap> rows = new ArrayList<>();
        installed.forEach((snap, i) -> rows.add(new InstalledSnap(snap, "v" + i.revision, i.revision, i.channel,
                isHeld(snap) ? "held" : "-")));
        return rows;
    }

    public Optional<Integer> installedRevision(String snap) {
        return Optional.ofNullable(installed.get(snap)).map(i -> i.revision);
    }

    public boolean isHeld(String snap) {
        return heldSnaps.contains(snap) || systemConfig.containsKey("refresh.hold");
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
    public void ack(byte[] assertions) {
        calls.add("snap ack");
        String text = new String(assertions, StandardCharsets.UTF_8);
        if (text.isBlank()) {
            return; // snapd acknowledges an empty stream silently
        }
        List<String> stores = new ArrayList<>();
        try {
            for (Assertions.Assertion assertion : Assertions.parse(assertions)) {
                if (assertion.type().equals("store")) {
                    assertion.header("store").ifPresent(stores::add);
                }
            }
        } catch (Assertions.FormatException e) {
            throw new SnapException(new SnapError.CannotDecodeAssertions("unexpected EOF"));
        }
        knownStores.addAll(stores);
    }

    @Override
    public List<String> knownStores() {
        calls.add("snap known store");
        return List.copyOf(knownStores);
    }

    @Override
    public Optional<String> getSystem(String key) {
        calls.add("snap get system " + key);
        return Optional.ofNullable(systemConfig.get(key));
    }

    @Override
    public void setSystem(String key, String value) {
        calls.add("snap set system " + key + "=" + value);
        if (value.isEmpty()) {
            systemConfig.remove(key);
            return;
        }
        if (key.equals("proxy.store") && !knownStores.contains(value)) {
            throw new SnapException(new SnapError.NoMatchingStoreAssertion(value));
        }
        systemConfig.put(key, value);
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
    public List<InstalledSnap> list() {
        calls.add("snap list");
        List<InstalledSnap> rows = new ArrayList<>();
        installed.forEach((snap, i) -> rows.add(new InstalledSnap(snap, "v" + i.revision, i.revision, i.channel,
                isHeld(snap) ? "held" : "-")));
        return rows;
    }

    @Override
    public void refresh(String snap, String channel, RefreshPin pin, java.time.Duration wait) {
        calls.add("snap refresh " + snap + " --channel=" + channel + " " + describe(pin));
        Installed current = installed.get(snap);
        if (current == null) {
            throw new SnapException(new SnapError.NotInstalled(snap));
        }
        refuseWhileRunning(snap);
        requireStore();
        int target;
        if (pin instanceof RefreshPin.Revision r) {
            if (!store.hasRevision(snap, r.revision())) {
                throw new SnapException(new SnapError.Other(1, "error: cannot refresh \"" + snap
                        + "\": no snap revision " + r.revision() + " available"));
            }
            target = r.revision();
        } else {
            RefreshPin.Cohort c = (RefreshPin.Cohort) pin;
            target = store.cohortRevision(c.key(), channel).orElseThrow(() ->
                    new SnapException(new SnapError.Other(1, "error: cannot refresh \"" + snap
                            + "\": no snap revision on specified channel")));
        }
        RefreshFault fault = refreshFaults.get(snap);
        if (fault != null) {
            if (!fault.persistent()) {
                refreshFaults.remove(snap);
            }
            throw new SnapException(new SnapError.Other(1, fault.message()));
        }
        if (target == current.revision && channel.equals(current.channel)) {
            return; // snapd: snap "x" has no updates available
        }
        if (changeRounds > 0) {
            running.put(snap, new RunningChange(channel, target, changeRounds));
            throw new SnapException(new SnapError.Timeout("snap refresh " + snap + " --channel=" + channel + " "
                    + describe(pin) + " (no answer within " + wait.toSeconds() + "s)"));
        }
        change(snap, current, channel, target, RefreshEvent.Cause.REFRESH);
        settleServices(snap);
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
            throw new SnapException(new SnapError.ChangeInProgress(snap, "\"refresh-snap\" change in progress"));
        }
    }

    @Override
    public void revert(String snap) {
        calls.add("snap revert " + snap);
        Installed current = installed.get(snap);
        if (current == null) {
            throw new SnapException(new SnapError.NotInstalled(snap));
        }
        refuseWhileRunning(snap);
        if (current.previous.isEmpty()) {
            throw new SnapException(new SnapError.Other(1, "error: cannot revert \"" + snap
                    + "\": no revision to revert to"));
        }
        int previous = current.previous.pop();
        RefreshEvent event = new RefreshEvent(name, snap, current.channel, current.revision, previous,
                RefreshEvent.Cause.REVERT);
        current.revision = previous;
        brokenServices.remove(snap);
        record(event);
    }

    @Override
    public Map<String, String> createCohort(List<String> snaps) {
        calls.add("snap create-cohort " + String.join(" ", snaps));
        requireStore();
        Map<String, String> keys = new LinkedHashMap<>();
        for (String snap : snaps) {
            if (!store.knows(snap)) {
                throw new SnapException(new SnapError.NotFound(snap));
            }
            keys.put(snap, store.createCohort(snap));
        }
        return keys;
    }

    @Override
    public void hold(List<String> snaps) {
        if (version.hasPerSnapHold()) {
            calls.add("snap refresh --hold " + String.join(" ", snaps));
            heldSnaps.addAll(snaps);
        } else {
            calls.add("snap set system refresh.hold=" + HOLD_UNTIL);
            systemConfig.put("refresh.hold", HOLD_UNTIL);
        }
    }

    @Override
    public void unhold(List<String> snaps) {
        if (version.hasPerSnapHold()) {
            calls.add("snap refresh --unhold " + String.join(" ", snaps));
            snaps.forEach(heldSnaps::remove);
        } else {
            calls.add("snap set system refresh.hold=");
            systemConfig.remove("refresh.hold");
        }
    }

    @Override
    public List<SnapService> services(List<String> snaps) {
        calls.add("snap services " + String.join(" ", snaps));
        List<SnapService> services = new ArrayList<>();
        for (String snap : snaps) {
            if (!installed.containsKey(snap)) {
                throw new SnapException(new SnapError.NotInstalled(snap));
            }
            if (!CLIENT_ONLY.contains(snap)) {
                services.add(new SnapService(snap, snap + ".daemon", true, !brokenServices.contains(snap)));
            }
        }
        return services;
    }

    @Override
    public SnapVersion version() {
        calls.add("snap version");
        return version;
    }

    // ---- internals --------------------------------------------------------------------------------

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
            throw new SnapException(new SnapError.StoreUnavailable(
                    "unexpectedly empty response from the server (try again later)"));
        }
    }

    private static String describe(RefreshPin pin) {
        return pin instanceof RefreshPin.Revision r ? "--revision=" + r.revision()
                : "--cohort=" + ((RefreshPin.Cohort) pin).key();
    }
}
