package io.snapcoherence.sim;

import io.snapcoherence.juju.CharmDir;
import io.snapcoherence.kube.NodeHealth;
import io.snapcoherence.snap.Assertions;
import io.snapcoherence.snap.Change;
import io.snapcoherence.snap.InstalledSnap;
import io.snapcoherence.snap.RefreshCandidate;
import io.snapcoherence.snap.SnapError;
import io.snapcoherence.snap.SnapException;
import io.snapcoherence.snap.SnapService;
import io.snapcoherence.snap.Snaps;
import io.snapcoherence.snap.StoreAssertion;
import io.snapcoherence.snap.SystemInfo;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
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
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * A machine's snapd in memory, answering the {@link Snaps} requests as the charm's client of snapd's REST API does.
 * It is held, like that client on real snapds 2.57 and 2.68 and on the fake snapd, to the one Snaps contract
 * (src/test/.../snap/contract/SnapsContract, run by SimulatedMachine257SnapsContractTest and
 * SimulatedMachine268SnapsContractTest). Where each behaviour comes from (snapd's source at tags 2.57.6 and 2.68.5,
 * shared/reference/snapd.md, and docs/real-snapd.md's observations):
 * <ul>
 *   <li><b>Changes.</b> A refresh or revert answers at once with the id of a change (daemon/api_snaps.go,
 *       async response; kinds {@code refresh-snap}, {@code revert-snap}); ids count up from 1 as
 *       state.NewChange numbers them. A change takes {@link #changesTakeRounds} scheduler rounds (0: done before the
 *       request returns). Its {@code link-snap} task switches the revision {@link #list()} shows one round before
 *       the change is {@code Done}, while it is still {@code Doing} (snapstate.go doInstall: link-snap comes before
 *       auto-connect, the aliases, start-snap-services and the post-refresh hook). A change whose download fails
 *       ({@link #failRefresh}, or the store unreachable when its download ends) ends in {@code Error} before
 *       link-snap; one whose services fail to start ({@link #failAfterLink}) is undone back to the old revision after
 *       link-snap and ends in {@code Error} too (state/change.go Status: Error before Undone). The error text is
 *       snapd's: {@code cannot perform the following tasks:\n- <task summary> (<error>)} (change.go
 *       changeError). While its snap's services are held from starting ({@link #holdServiceStarts}) a change waits
 *       at start-snap-services, Doing, or after such a failure in its undo, Undoing (back on the old revision);
 *       from link-snap until then the snap's services are inactive. {@code GET /v2/changes/<id>} of an id snapd
 *       does not know is a 404.</li>
 *   <li><b>Conflicts.</b> A request about a snap that a change not yet ready affects is refused with kind
 *       {@code snap-change-conflict}, {@code snap "x" has "<kind>" change in progress} (snapstate/conflict.go
 *       CheckChangeConflictMany, daemon/errors.go SnapChangeConflict). Changes of other snaps do not conflict.</li>
 *   <li><b>Refreshing to the revision installed</b> is a change too (snapstate.go infoForUpdate: a revision already
 *       in the sequence is a refresh to a local revision, doInstall relinks it and restarts its services); only a
 *       refresh without a revision can answer {@code snap-no-update-available}.</li>
 *   <li><b>Services</b> ({@code GET /v2/apps?select=service}, daemon/api_apps.go): every service of every installed
 *       snap; a snap without services, such as kubectl, simply has none.</li>
 *   <li><b>Holds.</b> From 2.58 a per-snap hold (action hold, time forever: held until now + a very long
 *       duration, autorefresh_gating.go HoldRefresh). Before 2.58 only {@code refresh.hold}, a time, whose effect
 *       is the earlier of the value and the last auto-refresh (or seeding, {@link #withSeedTime}) + 95 days
 *       (autorefresh.go EffectiveRefreshHold, maxPostponement; from 2.58 no cap), shown to the minute by
 *       system-info; a value that is no RFC 3339 time fails snapd's configure change, whose error text the client
 *       reports; once it has passed snapd clears the option and auto-refreshes (autorefresh.go Ensure,
 *       clearRefreshHold), and every auto-refresh run sets last-refresh (launchAutoRefresh). An explicit refresh
 *       of a held snap goes ahead.</li>
 *   <li><b>Auto-refresh</b> ({@link #autoRefreshTick}): one {@code auto-refresh} change of every snap that is not
 *       held and has an update, conflicting with requests for those snaps while it runs; when it includes the
 *       snapd snap, snapd restarts and refuses connections meanwhile ({@link SnapError.SnapdUnavailable}).</li>
 *   <li><b>Stores.</b> proxy.store needs an acknowledged store assertion with a url (configcore/proxy.go
 *       validateProxyStore); while it names the proxy's store id the machine sees the proxy's view of the store,
 *       otherwise upstream's ({@link SimulatedStore}), always for its own architecture (system-info's
 *       {@code architecture}; snapd sends it with every store request, store/store.go). Refresh candidates
 *       ({@code GET /v2/find?select=refresh}) leave out a snap whose channel serves the installed revision or one it
 *       was reverted from ({@link #refreshCandidates}). An empty {@code ack} body is refused, as the client refuses
 *       to send what snapd would acknowledge silently; an undecodable one is refused; a store assertion snapd
 *       already holds is kept, the new copy ignored without error (asserts/batch.go commitTo skips an unaccepted
 *       update). An unreachable store fails the requests that need it ({@code find}, a refresh's start) as
 *       {@link SnapError.StoreUnreachable} in snapd's words for a refused connection.</li>
 *   <li><b>Answers the client does not get</b> ({@link #noAnswerTo}, {@link #garbledAnswerTo}): what the REST
 *       client turns a request without an answer in time, or an unreadable answer, into; snapd did receive the
 *       request, so a change it started goes on: a refresh, a revert, a hold, a {@code snap set} or
 *       {@code unset} of core (applied, or failed by its configure hook, all the same).</li>
 * </ul>
 * Every revision change is recorded as a {@link RefreshEvent} and passed to the listener.
 * <p>
 * The machine also holds the unit's charm directory ({@link CharmDir}): files on its disk, so what a hook wrote there
 * stays when the hook is killed (unlike its unit store and relation data, which Juju writes only when it flushes the
 * hook's context, runner/context/context.go {@code HookContext.Flush}), and they go with the machine. The ops
 * framework keeps its StoredState there for that reason (canonical/operator ops/_main.py {@code CHARM_STATE_FILE},
 * {@code .unit-state.db} under {@code JUJU_CHARM_DIR}). A write replaces a file whole, as the charm's write of a
 * temporary file and rename does (rename(2) is atomic); a subordinate's unit has the machine to itself here, as each
 * unit of this model gets its own machine.
 */
public final class SimulatedMachine implements Snaps, NodeHealth, CharmDir {
    /** Snaps of Charmed Kubernetes that run no service, and snapd's own snaps. */
    private static final Set<String> WITHOUT_SERVICES = Set.of("kubectl", "core20", "snapd");
    /** What a per-snap hold "forever" stores: now plus snapd's maximum duration, in effect never. */
    private static final Duration FOREVER = Duration.ofDays(365L * 290);
    /** snapd 2.57.6 overlord/snapstate/autorefresh.go maxPostponement. */
    static final Duration MAX_POSTPONEMENT = Duration.ofDays(95);
    /** Where snapd asks when proxy.store names no proxy (store/store.go defaultApiURL). */
    private static final String UPSTREAM_URL = "https://api.snapcraft.io";

    private final String name;
    private final SimulatedStore store;
    private String architecture = "amd64";
    private final Map<String, Installed> installed = new LinkedHashMap<>();
    private final Map<String, String> systemConfig = new LinkedHashMap<>();
    /** The unit's charm directory on this machine's disk: file name to contents. */
    private final Map<String, String> charmFiles = new TreeMap<>();
    private final Map<String, Optional<String>> knownStores = new LinkedHashMap<>();
    private final Map<String, RefreshFault> refreshFaults = new HashMap<>();
    private final Set<String> brokenServices = new LinkedHashSet<>();
    /** Snaps whose node endpoint answers unhealthy: how (and for how many more checks; -1: until repaired). */
    private final Map<String, Sickness> sick = new LinkedHashMap<>();
    /** The same, starting when the snap's next refresh links its new revision. */
    private final Map<String, Sickness> sickAfterRefresh = new LinkedHashMap<>();
    private int healthChecks;
    /** Snaps whose services' start waits (a change stays at start-snap-services) until released. */
    private final Set<String> heldServiceStarts = new LinkedHashSet<>();
    private final List<RefreshEvent> history = new ArrayList<>();
    private final List<String> calls = new ArrayList<>();
    private final Map<String, SimChange> changes = new LinkedHashMap<>();
    /** Requests (by their CLI spelling's start) whose next answer is lost or unreadable, as the client sees it. */
    private final Map<String, SnapError> answerFaults = new LinkedHashMap<>();
    private int nextChangeId;
    private int changeRounds;
    /** Rounds a refresh change still runs after link-snap (services restart, hooks); -1: the last round only. */
    private int afterLinkRounds = -1;
    private int snapdDownRounds;
    private boolean autoRefreshAfterLapse;
    private String version = "2.63";
    private Optional<Instant> lastRefresh = Optional.empty();
    private Optional<Instant> seeded = Optional.empty();
    private Supplier<Instant> clock = () -> Instant.parse("2026-11-25T10:00:00Z");
    private Consumer<RefreshEvent> listener = event -> { };

    private static final class Installed {
        String channel;
        int revision;
        final Deque<Integer> previous = new ArrayDeque<>();
        Optional<Instant> hold = Optional.empty();
        /** Revisions reverted from, still after the current one in snapd's sequence (snapmgr.go Block). */
        Set<Integer> blocked = new LinkedHashSet<>();

        Installed(String channel, int revision) {
            this.channel = channel;
            this.revision = revision;
        }
    }

    /** A refresh that will fail: in its download (before link-snap) or when its services start (after). */
    private record RefreshFault(String message, boolean persistent, boolean afterLink) {
    }

    /** One snapd change. Revision changes happen at link-snap; {@code undo} after it when services fail. */
    private final class SimChange {
        final String id;
        final String kind;
        final List<String> snaps;
        final RefreshEvent.Cause cause;
        final Map<String, Integer> targets;
        final Map<String, String> channels;
        final Optional<RefreshFault> fault;
        final int linkAt;
        final int rounds;
        int elapsed;
        boolean linked;
        String status = "Doing";
        Optional<String> error = Optional.empty();
        final Map<String, Integer> linkedFrom = new LinkedHashMap<>();
        final Map<String, Set<Integer>> blockedBefore = new LinkedHashMap<>();

        SimChange(String kind, List<String> snaps, RefreshEvent.Cause cause, Map<String, Integer> targets,
                  Map<String, String> channels, Optional<RefreshFault> fault, int rounds) {
            this(kind, snaps, cause, targets, channels, fault, Math.max(0, rounds - 1), rounds);
        }

        SimChange(String kind, List<String> snaps, RefreshEvent.Cause cause, Map<String, Integer> targets,
                  Map<String, String> channels, Optional<RefreshFault> fault, int linkAt, int rounds) {
            this.id = String.valueOf(++nextChangeId);
            this.kind = kind;
            this.snaps = List.copyOf(snaps);
            this.cause = cause;
            this.targets = Map.copyOf(targets);
            this.channels = Map.copyOf(channels);
            this.fault = fault;
            this.linkAt = linkAt;
            this.rounds = rounds;
        }

        boolean ready() {
            return !status.equals("Doing") && !status.equals("Undoing");
        }

        Change view() {
            return new Change(id, kind, status, ready(), error);
        }

        /** Runs the change as far as {@code elapsed} rounds take it: link-snap at {@code linkAt}, done at the end. */
        void progress() {
            if (ready()) {
                return;
            }
            if (!linked && elapsed >= linkAt) {
                if (cause != null && fault.filter(f -> !f.afterLink()).isPresent()) {
                    fail("Download snap \"" + snaps.get(0) + "\" (" + targets.get(snaps.get(0)) + ") from channel \""
                            + channels.get(snaps.get(0)) + "\"", fault.get().message());
                    return;
                }
                if (cause == RefreshEvent.Cause.REFRESH && store.outage()) {
                    // the download task's retries give up with httputil's PersistentNetworkError (httputil/retry.go)
                    String snap = snaps.get(0);
                    String download = "/api/v1/snaps/download/" + snap + "_" + targets.get(snap) + ".snap";
                    fail("Download snap \"" + snap + "\" (" + targets.get(snap) + ") from channel \""
                            + channels.get(snap) + "\"", "persistent network error: " + refused("Get", download));
                    return;
                }
                link();
            }
            if (elapsed >= rounds) {
                // Starting services waits while held: the new ones (Doing), or after a failure the old ones in the
                // undo (Undoing; the revision is back already).
                boolean startsHeld = snaps.stream().anyMatch(heldServiceStarts::contains);
                if (fault.filter(RefreshFault::afterLink).isPresent()) {
                    if (status.equals("Doing")) {
                        undo();
                        status = "Undoing";
                    }
                    if (!startsHeld) {
                        fail("Start snap \"" + snaps.get(0) + "\" (" + targets.get(snaps.get(0)) + ") services",
                                fault.get().message());
                    }
                    return;
                }
                if (startsHeld) {
                    return;
                }
                status = "Done";
                if (snaps.contains("snapd") && cause == RefreshEvent.Cause.AUTO) {
                    snapdDownRounds = Math.max(snapdDownRounds, 1); // snapd restarts into its new revision
                }
            }
        }

        private void link() {
            linked = true;
            for (String snap : snaps) {
                Installed current = installed.get(snap);
                Integer target = targets.get(snap);
                if (current == null || target == null) {
                    continue;
                }
                linkedFrom.put(snap, current.revision);
                blockedBefore.put(snap, Set.copyOf(current.blocked));
                if (cause == RefreshEvent.Cause.REVERT) {
                    current.previous.pop();
                    record(new RefreshEvent(name, snap, current.channel, current.revision, target, cause));
                    current.blocked.add(current.revision);
                    current.revision = target;
                    brokenServices.remove(snap);
                    sick.remove(snap); // back on the revision that was healthy
                } else {
                    change(snap, current, channels.get(snap), target, cause);
                    settleServices(snap);
                    settleHealth(snap);
                }
            }
        }

        /** snapd's undo of a change that failed after link-snap: back to the revision before it. */
        private void undo() {
            linkedFrom.forEach((snap, from) -> {
                Installed current = installed.get(snap);
                if (current != null) {
                    record(new RefreshEvent(name, snap, current.channel, current.revision, from,
                            RefreshEvent.Cause.UNDO));
                    current.revision = from;
                    current.previous.pop();
                    current.blocked = new LinkedHashSet<>(blockedBefore.getOrDefault(snap, Set.of()));
                    brokenServices.remove(snap);
                    sick.remove(snap);
                }
            });
        }

        private void fail(String task, String message) {
            status = "Error";
            error = Optional.of("cannot perform the following tasks:\n- " + task + " (" + message + ")");
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

    /** The machine's architecture, as snapd's system-info names it (dpkg: amd64, arm64, ...). */
    public SimulatedMachine withArchitecture(String arch) {
        this.architecture = arch;
        return this;
    }

    public String architecture() {
        return architecture;
    }

    public SimulatedMachine withVersion(String snapdVersion) {
        this.version = snapdVersion;
        return this;
    }

    /** The time snapd sees (holds, last refresh); the model's clock. */
    public SimulatedMachine useClock(Supplier<Instant> clock) {
        this.clock = clock;
        return this;
    }

    /** When snapd seeded: the base of the 95-day cap on refresh.hold before any auto-refresh (snapd < 2.58). */
    public SimulatedMachine withSeedTime(Instant at) {
        this.seeded = Optional.of(at);
        return this;
    }

    /** When snapd last ran an auto-refresh (the base of the 95-day cap on refresh.hold). */
    public SimulatedMachine withLastRefresh(Instant at) {
        this.lastRefresh = Optional.of(at);
        return this;
    }

    public void onRefresh(Consumer<RefreshEvent> listener) {
        this.listener = listener;
    }

    /**
     * From now on a refresh or revert change takes {@code rounds} scheduler rounds (0: done within the request),
     * linking in its last one.
     */
    public SimulatedMachine changesTakeRounds(int rounds) {
        this.changeRounds = rounds;
        this.afterLinkRounds = -1;
        return this;
    }

    /**
     * From now on a refresh change downloads for {@code download} rounds, links, and runs {@code afterLink} more
     * rounds (services restarting, the post-refresh hook) before it is {@code Done}.
     */
    public SimulatedMachine changesTakeRounds(int download, int afterLink) {
        this.changeRounds = download + afterLink;
        this.afterLinkRounds = afterLink;
        return this;
    }

    /** One scheduler round of snapd's work on its changes; returns the revision changes it made. */
    public List<RefreshEvent> advanceChanges() {
        int before = history.size();
        if (snapdDownRounds > 0) {
            snapdDownRounds--;
        }
        for (SimChange change : List.copyOf(changes.values())) {
            if (!change.ready()) {
                change.elapsed++;
                change.progress();
            }
        }
        return List.copyOf(history.subList(before, history.size()));
    }

    /** Whether snapd is working on a change, or restarting. */
    public boolean changesRunning() {
        return snapdDownRounds > 0 || changes.values().stream().anyMatch(c -> !c.ready());
    }

    /** Whether a change not yet ready may still move this snap (a refresh, revert or auto-refresh of it). */
    public boolean changeInProgress(String snap) {
        return changes.values().stream().anyMatch(c -> !c.ready() && c.cause != null && c.snaps.contains(snap));
    }

    /** Whether a change of snapd's own timer (auto-refresh) of the snap is running, for observers. */
    public boolean autoRefreshing(String snap) {
        return changes.values().stream().anyMatch(c -> !c.ready() && c.cause == RefreshEvent.Cause.AUTO
                && c.snaps.contains(snap));
    }

    /** How many changes of snapd's own timer are running, for observers. */
    public long autoRefreshesRunning() {
        return changes.values().stream().filter(c -> !c.ready() && c.cause == RefreshEvent.Cause.AUTO).count();
    }

    /** The snap a refresh change is about, for observers that see only its id. */
    Optional<String> refreshOf(String id) {
        return Optional.ofNullable(changes.get(id)).filter(c -> c.kind.equals("refresh-snap"))
                .map(c -> c.snaps.get(0));
    }

    /** The next refresh of {@code snap} fails in its download (every refresh, when persistent). */
    public void failRefresh(String snap, String message, boolean persistent) {
        refreshFaults.put(snap, new RefreshFault(message, persistent, false));
    }

    /** The next refresh of {@code snap} links the new revision, then its services fail to start: snapd undoes it. */
    public void failAfterLink(String snap, String message) {
        refreshFaults.put(snap, new RefreshFault(message, false, true));
    }

    /** From now on a change of {@code snap} stays at start-snap-services (still not ready) until released. */
    public void holdServiceStarts(String snap) {
        heldServiceStarts.add(snap);
    }

    public void releaseServiceStarts(String snap) {
        heldServiceStarts.remove(snap);
    }

    public void clearRefreshFault(String snap) {
        refreshFaults.remove(snap);
    }

    /** After the next refresh of {@code snap} its services stop (until refreshed or reverted again). */
    /**
     * The snap's services stop now, long after its refresh (a daemon that crashed): snapd lists them enabled and
     * inactive ({@code /v2/apps?select=service} reads systemd's ActiveState, daemon/api_apps.go) until a refresh or
     * revert of the snap starts them again.
     */
    public void breakServices(String snap) {
        brokenServices.add(snap);
    }

    /** The operator restarts services that broke ({@code snap restart}): they run again. */
    public void repairServices() {
        brokenServices.removeIf(s -> !s.startsWith("pending:"));
    }

    /**
     * Whether the services of one of {@code snaps} are broken now (ground truth, not a request to snapd). A snap
     * without services has none to break, whatever was drawn for it: snapd lists none for it ({@link #services()}).
     */
    public boolean servicesBroken(java.util.Collection<String> snaps) {
        return snaps.stream().filter(snap -> !WITHOUT_SERVICES.contains(snap)).anyMatch(brokenServices::contains);
    }

    /**
     * How a node endpoint answers while its snap is sick: {@code 500} with a failed check ({@code [-]etcd failed}
     * for /readyz, {@code [-]syncloop failed} for /healthz), or no answer at all ({@code silent}); for
     * {@code checks} more checks (then healthy again: a component that took long to come up), or -1 until
     * {@link #healNodeHealth}. The answers follow Kubernetes' healthz handler (k8s.io/apiserver
     * pkg/server/healthz/healthz.go, {@code handleRootHealth}: 200 {@code ok}; 500 with a {@code ?verbose} body of
     * {@code [+]<check> ok} / {@code [-]<check> failed: reason withheld} lines), as {@code kube.HttpNodeHealth} reads
     * them; a silent endpoint is one the charm's request times out on.
     */
    public record Sickness(boolean silent, int checks) {
    }

    /** From the snap's next refresh on (its link), its node endpoint answers as {@code sickness} says. */
    public void unhealthyAfterRefresh(String snap, Sickness sickness) {
        sickAfterRefresh.put(snap, sickness);
    }

    /** The snap's node endpoint answers as {@code sickness} says from now on. */
    public void unhealthy(String snap, Sickness sickness) {
        sick.put(snap, sickness);
    }

    /** Every node endpoint answers healthy again (the operator fixed the node); pending sickness is dropped. */
    public void healNodeHealth() {
        sick.clear();
        sickAfterRefresh.clear();
    }

    /** Whether the snap's node endpoint would answer unhealthy now (for the checker: ground truth, not asked). */
    public boolean nodeUnhealthy(String snap) {
        return sick.containsKey(snap) || !servicesUp(snap);
    }

    /** Whether the snap's node endpoint is made sick (its services may be up): what only the health gate can see. */
    public boolean nodeSick(String snap) {
        return sick.containsKey(snap);
    }

    /** How many times the charm asked a node endpoint. */
    public int healthChecks() {
        return healthChecks;
    }

    /**
     * The node endpoint of the snap, answering as the real ones do (HttpNodeHealthTest holds the charm's client to
     * servers answering like them): refused while the snap is not installed or its services are not active (nothing
     * listens on the port), else healthy unless made sick. A silent endpoint takes the client's request limit (5 s)
     * and answers nothing. {@code within} is not waited: the machine's state changes only between hooks.
     */
    @Override
    public Answer check(Endpoint endpoint, Duration within) {
        healthChecks++;
        String snap = endpoint.snap();
        if (!servicesUp(snap)) {
            return new Answer.Refused("connection refused");
        }
        Sickness sickness = sick.get(snap);
        if (sickness == null) {
            return new Answer.Healthy();
        }
        if (sickness.checks() > 0) {
            if (sickness.checks() == 1) {
                sick.remove(snap);
            } else {
                sick.put(snap, new Sickness(sickness.silent(), sickness.checks() - 1));
            }
        }
        if (sickness.silent()) {
            return new Answer.NoAnswer(Duration.ofSeconds(5));
        }
        return new Answer.Unhealthy(500, List.of(endpoint == Endpoint.API_SERVER ? "etcd" : "syncloop"));
    }

    private boolean servicesUp(String snap) {
        return installed.containsKey(snap) && !brokenServices.contains(snap) && changes.values().stream()
                .noneMatch(c -> !c.ready() && c.linked && c.snaps.contains(snap));
    }

    public void breakServicesAfterRefresh(String snap) {
        brokenServices.add("pending:" + snap);
    }

    /**
     * Someone else's change of {@code snap} for {@code rounds} rounds, e.g. the principal charm's
     * {@code snap set kubelet ...} ({@code configure-snap}, daemon/api_snap_conf.go setSnapConf): no revision
     * change, but requests for the snap conflict while it runs.
     */
    public String startOtherChange(String snap, String kind, int rounds) {
        SimChange change = new SimChange(kind, List.of(snap), null, Map.of(), Map.of(), Optional.empty(),
                Math.max(1, rounds));
        changes.put(change.id, change);
        return change.id;
    }

    /**
     * snapd auto-refreshes its own snaps (snapd, and the base core20 when installed) over {@code rounds} rounds, as
     * its timer does when they have updates: their revisions move (they are not managed), and snapd restarts into
     * the new snapd when the change ends.
     */
    public void autoRefreshSnapd(int rounds) {
        Map<String, Integer> targets = new LinkedHashMap<>();
        Map<String, String> channels = new LinkedHashMap<>();
        for (String snap : List.of("snapd", "core20")) {
            Installed current = installed.get(snap);
            if (current != null && !changeInProgress(snap)) {
                targets.put(snap, current.revision + 1);
                channels.put(snap, current.channel);
            }
        }
        if (targets.isEmpty()) {
            return;
        }
        SimChange change = new SimChange("auto-refresh", List.copyOf(targets.keySet()), RefreshEvent.Cause.AUTO,
                targets, channels, Optional.empty(), Math.max(1, rounds));
        changes.put(change.id, change);
        change.progress();
    }

    /**
     * The next request spelled {@code prefix...} gets no answer in time: the client gives up ({@link
     * SnapError.Timeout}). snapd did receive it: a refresh or revert it starts goes on, its id never reaches the
     * charm.
     */
    public void noAnswerTo(String prefix) {
        answerFaults.put(prefix, new SnapError.Timeout(prefix + " (no answer within the client's limit)"));
    }

    /** The next request spelled {@code prefix...} gets an answer the client cannot read ({@link SnapError.BadResponse}). */
    public void garbledAnswerTo(String prefix) {
        answerFaults.put(prefix, new SnapError.BadResponse(prefix, "truncated JSON: unexpected end of input"));
    }

    /** Juju's machine agent starting: it sets proxy.store to the model's snap-store-proxy, empty here. */
    public void jujuAgentRestart() {
        systemConfig.put("proxy.store", "");
    }

    // ---- the unit's charm directory -------------------------------------------------------------

    @Override
    public Optional<String> read(String name) {
        return Optional.ofNullable(charmFiles.get(name));
    }

    @Override
    public void write(String name, String text) {
        charmFiles.put(name, text);
    }

    @Override
    public void delete(String name) {
        charmFiles.remove(name);
    }

    /** The charm directory's files, for checks that read ground truth. */
    public Map<String, String> charmFiles() {
        return Map.copyOf(charmFiles);
    }

    // ---- observation --------------------------------------------------------------------------

    public List<RefreshEvent> history() {
        return List.copyOf(history);
    }

    /** Every request made, spelled as the snap CLI command that makes it, for tests that assert what was asked. */
    public List<String> calls() {
        return List.copyOf(calls);
    }

    /** What {@code GET /v2/snaps} would answer, without recording a request: for checks that read ground truth. */
    public List<InstalledSnap> installedSnaps() {
        List<InstalledSnap> rows = new ArrayList<>();
        installed.forEach((snap, i) -> rows.add(new InstalledSnap(snap, "v" + i.revision, i.revision, i.channel,
                i.hold)));
        return rows;
    }

    public Optional<Integer> installedRevision(String snap) {
        return Optional.ofNullable(installed.get(snap)).map(i -> i.revision);
    }

    /** Whether snapd's timer would leave the snap alone now: held per snap, or by an effective refresh.hold. */
    public boolean isHeld(String snap) {
        Instant now = clock.get();
        boolean perSnap = Optional.ofNullable(installed.get(snap)).flatMap(i -> i.hold).filter(now::isBefore)
                .isPresent();
        return perSnap || effectiveHold().filter(now::isBefore).isPresent();
    }

    /** Whether the last auto-refresh that changed snaps ran because a refresh.hold had lapsed (snapd < 2.58). */
    public boolean autoRefreshAfterLapse() {
        return autoRefreshAfterLapse;
    }

    public Map<String, String> systemConfig() {
        return Map.copyOf(systemConfig);
    }

    /** Which store this machine asks: the proxy's while proxy.store names it. */
    public SimulatedStore.View storeView() {
        return store.storeId().equals(systemConfig.get("proxy.store")) ? SimulatedStore.View.PROXY
                : SimulatedStore.View.UPSTREAM;
    }

    // ---- snapd's own timer ----------------------------------------------------------------------

    /**
     * What snapd's refresh timer does: unless refresh.hold is in effect, one auto-refresh change of every snap that
     * is not held per snap, has no change running and whose channel serves another revision. It takes as long as
     * this machine's other changes, and requests about its snaps conflict meanwhile. Returns the revision changes
     * made within the round.
     */
    public List<RefreshEvent> autoRefreshTick() {
        if (store.outage() || snapdDownRounds > 0) {
            return List.of();
        }
        Instant now = clock.get();
        Optional<Instant> effective = effectiveHold();
        if (effective.filter(now::isBefore).isPresent()) {
            return List.of();
        }
        boolean lapsed = systemConfig.containsKey("refresh.hold");
        if (lapsed) {
            systemConfig.remove("refresh.hold"); // clearRefreshHold: an expired hold is removed
        }
        lastRefresh = Optional.of(now);
        Map<String, Integer> targets = new LinkedHashMap<>();
        Map<String, String> channels = new LinkedHashMap<>();
        for (Map.Entry<String, Installed> entry : installed.entrySet()) {
            String snap = entry.getKey();
            Installed current = entry.getValue();
            if (current.hold.filter(now::isBefore).isPresent() || changeInProgress(snap)) {
                continue;
            }
            Optional<Integer> head = store.revision(storeView(), architecture, snap, current.channel)
                    .filter(h -> !current.blocked.contains(h));
            if (head.isPresent() && head.get() != current.revision) {
                targets.put(snap, head.get());
                channels.put(snap, current.channel);
            }
        }
        if (targets.isEmpty()) {
            return List.of();
        }
        autoRefreshAfterLapse = lapsed;
        int before = history.size();
        SimChange change = new SimChange("auto-refresh", List.copyOf(targets.keySet()), RefreshEvent.Cause.AUTO,
                targets, channels, Optional.empty(), changeRounds);
        changes.put(change.id, change);
        change.progress();
        return List.copyOf(history.subList(before, history.size()));
    }

    // ---- Snaps ------------------------------------------------------------------------------------

    @Override
    public SystemInfo systemInfo() {
        request("snap version");
        // daemon/api_general.go sysInfo writes the hold to the minute
        return new SystemInfo(version, architecture,
                effectiveHold().map(hold -> hold.truncatedTo(ChronoUnit.MINUTES)), lastRefresh);
    }

    @Override
    public List<InstalledSnap> list() {
        request("snap list");
        return installedSnaps();
    }

    /** The revisions reverted from, after the current one in the sequence ({@code blocked}, as Block reads it). */
    @Override
    public Map<String, List<Integer>> laterRevisions() {
        request("snap list --all");
        Map<String, List<Integer>> later = new TreeMap<>();
        installed.forEach((snap, i) -> {
            if (!i.blocked.isEmpty()) {
                later.put(snap, List.copyOf(i.blocked));
            }
        });
        return later;
    }

    @Override
    public List<SnapService> services() {
        request("snap services");
        List<SnapService> services = new ArrayList<>();
        // A change that linked a revision has stopped the snap's services and not started them yet.
        installed.keySet().stream().filter(snap -> !WITHOUT_SERVICES.contains(snap)).forEach(snap ->
                services.add(new SnapService(snap, "daemon", true, !brokenServices.contains(snap)
                        && changes.values().stream().noneMatch(c -> !c.ready() && c.linked
                        && c.snaps.contains(snap)))));
        return services;
    }

    /**
     * What snapd's refresh candidates list (daemon/api_find.go storeUpdates, snapstate RefreshCandidates): every
     * installed snap the store would refresh, for this machine's architecture and from the store proxy.store points
     * at, held ones included (snapd 2.57 and 2.68 list them, docs/real-snapd.md). A snap is absent when its channel
     * serves the installed revision, or a revision it was reverted from: refreshing everything, snapd sends the
     * revisions after the current one in its sequence as {@code Block} (storehelpers.go refreshCandidates) and drops
     * a result in it (store/store_action.go). The channel is the tracked one (the fakestore leaves it empty: the
     * charm reads the channel from the list of installed snaps).
     */
    @Override
    public List<RefreshCandidate> refreshCandidates() {
        request("snap refresh --list");
        requireStore("cannot list updates: Post", "/v2/snaps/refresh");
        List<RefreshCandidate> candidates = new ArrayList<>();
        installed.forEach((snap, i) -> store.revision(storeView(), architecture, snap, i.channel)
                .filter(head -> head != i.revision && !i.blocked.contains(head))
                .ifPresent(head -> candidates.add(new RefreshCandidate(snap, i.channel, head, "v" + head))));
        return candidates;
    }

    @Override
    public String startRefresh(String snap, String channel, int revision) {
        request("snap refresh " + snap + " --channel=" + channel + " --revision=" + revision);
        Installed current = installed.get(snap);
        if (current == null) {
            throw new SnapException(new SnapError.NotInstalled(snap));
        }
        refuseWhileChanging(snap);
        requireStore("cannot refresh \"" + snap + "\": Post", "/v2/snaps/refresh");
        if (!store.hasRevision(architecture, snap, revision)) {
            throw new SnapException(new SnapError.RevisionNotAvailable(snap, "cannot refresh \"" + snap
                    + "\" to revision " + revision + ": no snap revision available as specified"));
        }
        Optional<RefreshFault> fault = Optional.ofNullable(refreshFaults.get(snap));
        fault.filter(f -> !f.persistent()).ifPresent(f -> refreshFaults.remove(snap));
        int linkAt = afterLinkRounds < 0 ? Math.max(0, changeRounds - 1) : changeRounds - afterLinkRounds;
        return started(calls.get(calls.size() - 1), new SimChange("refresh-snap", List.of(snap),
                RefreshEvent.Cause.REFRESH, Map.of(snap, revision), Map.of(snap, channel), fault, linkAt,
                changeRounds));
    }

    @Override
    public String startRevert(String snap) {
        request("snap revert " + snap);
        Installed current = installed.get(snap);
        if (current != null) {
            refuseWhileChanging(snap);
        }
        // snapstate.go Revert looks for a previous revision first: a snap not installed has none either
        if (current == null || current.previous.isEmpty()) {
            throw new SnapException(new SnapError.NoRevisionToRevert(snap));
        }
        return started(calls.get(calls.size() - 1), new SimChange("revert-snap", List.of(snap),
                RefreshEvent.Cause.REVERT, Map.of(snap, current.previous.peek()), Map.of(snap, current.channel),
                Optional.empty(), changeRounds));
    }

    @Override
    public Change change(String id) {
        request("snap change " + id);
        return known(id).view();
    }

    /** No time passes inside a hook here: a change not ready now is still not ready when the wait is over. */
    @Override
    public Change await(String id, Duration wait) {
        request("snap watch " + id);
        return known(id).view();
    }

    @Override
    public List<Change> changesInProgress(String snap) {
        request("snap changes " + snap);
        return changes.values().stream().filter(c -> !c.ready() && c.snaps.contains(snap)).map(SimChange::view)
                .toList();
    }

    @Override
    public void ack(byte[] assertions) {
        request("snap ack");
        String text = new String(assertions, StandardCharsets.UTF_8);
        if (text.isBlank()) {
            // snapd would acknowledge it silently; the charm's client refuses to send it (SnapdClient.ack)
            throw new SnapException(new SnapError.AssertionsRejected(
                    "empty assertion stream (not sent: snapd would acknowledge it silently)"));
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
        // A revision snapd already has is kept, silently, whatever the new copy says (asserts/batch.go commitTo
        // skips IsUnaccceptedUpdate): these streams carry no revision header, so the first store assertion stays.
        stores.forEach(knownStores::putIfAbsent);
    }

    @Override
    public List<StoreAssertion> knownStores() {
        request("snap known store");
        List<StoreAssertion> known = new ArrayList<>();
        knownStores.forEach((id, url) -> known.add(new StoreAssertion(id, url)));
        return known;
    }

    @Override
    public Optional<String> getSystem(String key) {
        request("snap get system " + key);
        return Optional.ofNullable(systemConfig.get(key));
    }

    @Override
    public void setSystem(String key, String value) {
        String call = "snap set system " + key + "=" + value;
        request(call);
        Optional<SnapError> refused = configureRefusal(key, value);
        if (refused.isEmpty()) {
            systemConfig.put(key, value);
        }
        answerFault(call); // the configure change ran whether or not its answer reached the client
        refused.ifPresent(error -> {
            throw new SnapException(error);
        });
    }

    /** Why snapd's configure change of core fails for this value, if it does; nothing of a failed change is kept. */
    private Optional<SnapError> configureRefusal(String key, String value) {
        if (key.equals("proxy.store") && !value.isEmpty()) {
            if (!knownStores.containsKey(value)) {
                return Optional.of(new SnapError.NoMatchingStoreAssertion(value));
            }
            if (knownStores.get(value).isEmpty()) {
                return Optional.of(new SnapError.StoreAssertionWithoutUrl(value));
            }
        }
        if (key.equals("refresh.hold") && !value.isEmpty() && !(value.equals("forever") && perSnapHolds())
                && parseHold(value).isEmpty()) {
            // configcore/refresh.go validateRefreshSchedule: time.Parse(time.RFC3339, value) fails in the configure
            // change, which the client reports with the change's error text (SnapdErrors.configureFailed). Go's
            // words here are those for a value that is no date at all, as "forever" (observed on 2.57.6).
            return Optional.of(new SnapError.Other(0, "", "cannot perform the following tasks:\n- Run "
                    + "configure hook of \"core\" snap (run hook \"configure\": refresh.hold cannot be parsed: "
                    + "parsing time \"" + value + "\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \"" + value
                    + "\" as \"2006\")"));
        }
        return Optional.empty();
    }

    @Override
    public void unsetSystem(String key) {
        String call = "snap unset system " + key;
        request(call);
        systemConfig.remove(key);
        answerFault(call);
    }

    @Override
    public void hold(List<String> snaps) {
        String call = "snap refresh --hold " + String.join(" ", snaps);
        request(call);
        requirePerSnapHolds("hold");
        for (String snap : snaps) {
            if (!installed.containsKey(snap)) {
                // daemon/api_snaps.go snapHoldMany: a BadRequest without kind naming every snap asked for, the whole
                // request refused (observed on 2.68.3)
                throw new SnapException(new SnapError.Other(400, "", "cannot hold \"" + String.join("\", \"", snaps)
                        + "\": snap \"" + snap + "\" is not installed"));
            }
        }
        snaps.forEach(snap -> installed.get(snap).hold = Optional.of(clock.get().plus(FOREVER)));
        answerFault(call);
    }

    @Override
    public void unhold(List<String> snaps) {
        String call = "snap refresh --unhold " + String.join(" ", snaps);
        request(call);
        requirePerSnapHolds("unhold");
        snaps.forEach(snap -> Optional.ofNullable(installed.get(snap)).ifPresent(i -> i.hold = Optional.empty()));
        answerFault(call);
    }

    // ---- internals --------------------------------------------------------------------------------

    private void request(String call) {
        calls.add(call);
        if (snapdDownRounds > 0) {
            throw new SnapException(new SnapError.SnapdUnavailable("cannot connect to snapd: "
                    + "dial unix /run/snapd.socket: connect: connection refused"));
        }
        if (!startsChange(call)) {
            answerFault(call);
        }
    }

    /**
     * Requests snapd answers with a change it has already made (an async response): a refresh, a revert, and the
     * configuration of core (daemon/api_snap_conf.go setSnapConf: {@code newChange}, then {@code AsyncResponse}).
     * Their answer can be lost only after the change exists.
     */
    private static boolean startsChange(String call) {
        return call.startsWith("snap refresh ") || call.startsWith("snap revert ") || call.startsWith("snap set ")
                || call.startsWith("snap unset ");
    }

    /** A lost or unreadable answer to this request; for a request that starts a change, after snapd started it. */
    private void answerFault(String call) {
        for (String prefix : List.copyOf(answerFaults.keySet())) {
            if (call.startsWith(prefix)) {
                throw new SnapException(answerFaults.remove(prefix));
            }
        }
    }

    private String started(String call, SimChange change) {
        changes.put(change.id, change);
        change.progress();
        answerFault(call);
        return change.id;
    }

    private SimChange known(String id) {
        SimChange change = changes.get(id);
        if (change == null) {
            throw new SnapException(new SnapError.Other(404, "", "cannot find change with id \"" + id + "\""));
        }
        return change;
    }

    private boolean perSnapHolds() {
        return new SystemInfo(version, architecture, Optional.empty(), Optional.empty()).perSnapHolds();
    }

    private void requirePerSnapHolds(String action) {
        if (!perSnapHolds()) {
            // snapd 2.57 knows no such action (daemon/api_snaps.go snapOpMany).
            throw new SnapException(new SnapError.Other(400, "", "unsupported multi-snap operation \"" + action + "\""));
        }
    }

    /**
     * EffectiveRefreshHold. Before 2.58: the earlier of refresh.hold and the last auto-refresh (or, before any,
     * seeding) plus 95 days (2.57.6 autorefresh.go). From 2.58 the value itself, "forever" as now plus the largest
     * duration (2.68.5 effectiveRefreshHold).
     */
    private Optional<Instant> effectiveHold() {
        Optional<Instant> value = Optional.ofNullable(systemConfig.get("refresh.hold")).filter(v -> !v.isEmpty())
                .flatMap(v -> v.equals("forever") ? Optional.of(clock.get().plus(FOREVER)) : parseHold(v));
        if (perSnapHolds()) {
            return value;
        }
        return value.map(hold -> lastRefresh.or(() -> seeded).map(last -> last.plus(MAX_POSTPONEMENT))
                .filter(limit -> limit.isBefore(hold)).orElse(hold));
    }

    /** refresh.hold as snapd parses it: RFC 3339, any offset. */
    private static Optional<Instant> parseHold(String value) {
        try {
            return Optional.of(OffsetDateTime.parse(value).toInstant());
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    private void refuseWhileChanging(String snap) {
        changes.values().stream().filter(c -> !c.ready() && c.snaps.contains(snap)).findFirst().ifPresent(c -> {
            throw new SnapException(new SnapError.ChangeConflict(snap, "snap \"" + snap + "\" has \"" + c.kind
                    + "\" change in progress"));
        });
    }

    private void settleHealth(String snap) {
        Sickness next = sickAfterRefresh.remove(snap);
        if (next != null) {
            sick.put(snap, next);
        }
    }

    private void settleServices(String snap) {
        if (brokenServices.remove("pending:" + snap)) {
            brokenServices.add(snap);
        } else {
            brokenServices.remove(snap);
        }
    }

    private void change(String snap, Installed current, String channel, int target, RefreshEvent.Cause cause) {
        RefreshEvent event = new RefreshEvent(name, snap, channel, current.revision, target, cause);
        current.previous.push(current.revision);
        current.revision = target;
        current.channel = channel;
        current.blocked.clear(); // doLinkSnap puts the linked revision last in the sequence: nothing after it
        record(event);
    }

    private void record(RefreshEvent event) {
        history.add(event);
        listener.accept(event);
    }

    /**
     * A store that refuses connections: after its retries snapd answers without an error kind, in its own words
     * ({@code what}, the store request and Go's dial error, observed on 2.57.6), which the client reads as the store
     * unreachable. Go names the address it dialled; here the url's host stands for it.
     */
    private void requireStore(String what, String path) {
        if (store.outage()) {
            throw new SnapException(new SnapError.StoreUnreachable(refused(what, path)));
        }
    }

    /** Go's net/http error for a store that refuses connections, as snapd passes it on (docs/real-snapd.md). */
    private String refused(String what, String path) {
        java.net.URI url = java.net.URI.create(storeView() == SimulatedStore.View.PROXY ? store.url() : UPSTREAM_URL);
        int port = url.getPort() > 0 ? url.getPort() : url.getScheme().equals("https") ? 443 : 80;
        return what + " \"" + url + path + "\": dial tcp " + url.getHost() + ":" + port
                + ": connect: connection refused";
    }
}
