package io.snapcoherence.snap.fakesnapd;

import io.snapcoherence.Json;
import io.snapcoherence.snap.Assertions;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The machine behind {@link FakeSnapd}: installed snaps, the store's channels, changes, configuration, holds and
 * assertions, and snapd's answer to each request the charm makes. It is held to the shared snapd contract
 * ({@code io.snapcoherence.snap.contract.SnapdApiContract}, observations of real snapds 2.57.6 and 2.68 in
 * docs/real-snapd.md) by {@link FakeSnapd257ContractTest} and {@link FakeSnapd268ContractTest}, and to wire-level
 * observations of 2.57.6 by {@link FakeSnapdTest}. Where each answer comes from (snapd's source at tags 2.57.6 and
 * 2.68.5, or those observations):
 * <ul>
 * <li>Envelopes: daemon/response.go respJSON ({@code type}, {@code status-code}, {@code status}, {@code result},
 * {@code change}); errors daemon/errors.go ({@code result: {message, kind, value}}); unknown paths 404 "not found"
 * and wrong methods 405 (daemon/daemon.go).</li>
 * <li>Seeding (observed): change 1 is the Done "seed" change, and on classic snapd holds refreshes for 2 hours
 * after seeding by setting {@code refresh.hold} (autorefresh.go AtSeed); this machine was seeded 30 days before
 * the fake started, so that hold is long past, as on a node in service.</li>
 * <li>GET /v2/system-info: daemon/api_general.go sysInfo; {@code refresh} has {@code timer}, {@code hold} only
 * while one is in effect: the effective hold (autorefresh.go EffectiveRefreshHold), before 2.58 capped at the last
 * refresh (or seeding) plus 95 days, from 2.58 "forever" is now plus the largest time.Duration (about 292 years),
 * truncated to the minute; {@code last} only after an auto-refresh.</li>
 * <li>GET /v2/snaps: daemon/api_snaps.go getSnapsInfo and client/packages.go Snap: revision a string ("x1" for a
 * local revision), {@code tracking-channel} left out for a local snap, {@code hold} (2.58+) only while held;
 * {@code select=all}: allLocalSnapInfos lists every revision of a snap's sequence in its order, mapLocal's status
 * "active" for the current one, "installed" for the others; handlers.go doLinkSnap moves a refreshed revision to
 * the sequence's end and leaves a revert's order, undoLinkSnap restores it.</li>
 * <li>GET /v2/apps?select=service: daemon/api_apps.go appInfosFor: all services without names; a named snap
 * without services is 404 app-not-found "snap "x" has no services", one not installed 404 snap-not-found;
 * {@code enabled}/{@code active} left out when false (client/apps.go AppInfo): a service is inactive from its
 * snap's link-snap until start-snap-services has run.</li>
 * <li>GET /v2/find?name=: daemon/api_find.go findOne, unknown snap 404 snap-not-found; ?select=refresh:
 * storeUpdates over storehelpers.go refreshCandidates, which does not look at holds (observed).</li>
 * <li>The store refusing connections (observed; {@link #storeUnreachable}, whose delay stands for snapd's ~32 s of
 * retries): find?select=refresh 500 without kind "cannot list updates: Post ...: connection refused", a refresh
 * 400 without kind "cannot refresh "x": Post ...", find?name= 500 "Get ...".</li>
 * <li>POST /v2/snaps/&lt;name&gt; refresh (daemon/api_snaps.go snapUpdate, overlord/snapstate): not installed 400
 * snap-not-installed, a local snap 400 snap-local, a revision the store never had 404 snap-revision-not-available,
 * a change of the snap in progress 409 snap-change-conflict (value {change-kind, snap-name}); without a revision
 * and nothing newer 400 snap-no-update-available; only another channel: one switch-snap-channel task. The
 * change's tasks are snapstate.go doInstall's, in order, with its summaries; a revision the machine has is
 * prepared, not downloaded, and relinked, so a refresh to the installed revision is a change that restarts the
 * services (observed). link-snap switches the revision before start-snap-services (observed); that task waits
 * while {@link #holdServiceStarts} holds the gate; for a broken revision ({@link #publishBroken}) it fails with
 * systemd's words, the change goes Undoing (the undo restarts the old services, so it waits at the gate too) and
 * ends Error with change.go Change.Err's text: tasks before Undone, after it Hold, the old revision back.</li>
 * <li>POST /v2/snaps/&lt;name&gt; revert: snapstate.go Revert: no previous revision (also for a snap that is
 * not installed) 400 "cannot revert "x": no revision to revert to" without a kind; else a revert-snap change.</li>
 * <li>POST /v2/snaps (needs Content-Type application/json, else 400 "cannot parse content type: ...") hold and
 * unhold: 2.58+ snapHoldMany (requires {@code time} and {@code hold-level}, a snap not installed 400 without
 * kind naming every snap asked for, "cannot hold "a", "x": snap "x" is not installed"); the change has no tasks
 * and is Done at once
 * (snapOpMany); 2.57 400 "unsupported multi-snap operation "hold"".</li>
 * <li>GET /v2/changes/&lt;id&gt;: api_general.go change2changeInfo; unknown id 404 "cannot find change with id".
 * GET /v2/changes?select=&amp;for=: getChanges (for {@code snap changes}).</li>
 * <li>GET/PUT /v2/snaps/system/conf: api_snap_conf.go; an unset key 400 option-not-found naming the first part of
 * the key that does not exist ("proxy" on a fresh machine, "proxy.store" once anything under "proxy" was set, even
 * by a failed change: observed), also for a snap that is not installed; PUT to one not installed 404
 * snap-not-found; PUT starts a configure change where proxy.store needs a known store assertion with a url
 * (configcore/proxy.go) and refresh.hold must be a time (2.57: not "forever"); null removes the key.</li>
 * <li>POST /v2/assertions: api_asserts.go doAssert: not assertions 400 "cannot decode request body into
 * assertions: unexpected EOF"; an empty body 200 (observed); a signature by a key snapd does not trust 400
 * "assert failed: ... failed signature verification" (observed with the project's fake store assertions). This
 * fake checks no cryptography: it trusts the sign keys it is told to ({@link #trustSignKey}), and an
 * account-key it accepted, as snapd does after verifying it. GET /v2/assertions/store: assertsFindMany, with
 * {@code json=true|headers} as JSON, else the stream ({@code application/x.ubuntu.assertion; bundle=y}).</li>
 * </ul>
 */
public final class FakeSnapdState {
    /** overlord/snapstate/autorefresh.go maxPostponement (2.57). */
    static final Duration MAX_POSTPONEMENT = Duration.ofDays(95);
    /** overlord/snapstate/autorefresh.go maxDuration, what a hold "forever" becomes (2.58+): about 292 years. */
    static final Duration FOREVER = Duration.ofNanos(Long.MAX_VALUE);
    /** The store's answer for every channel (see {@link #publishEverywhere}). */
    static final String ANY_CHANNEL = "*";

    /**
     * How a refresh of one snap goes: link-snap and the end this long after it started (by the state's clock), and
     * whether start-snap-services then fails. Independent of it, {@link #holdServiceStarts} keeps a change at
     * start-snap-services and {@link #publishBroken} makes a revision's services fail.
     */
    public record RefreshPlan(Duration linkAfter, Duration doneAfter, Optional<String> failure, boolean persistent) {
        public static RefreshPlan immediate() {
            return new RefreshPlan(Duration.ZERO, Duration.ZERO, Optional.empty(), false);
        }

        /** link-snap after half of {@code total}, done after all of it. */
        public static RefreshPlan takes(Duration total) {
            return new RefreshPlan(total.dividedBy(2), total, Optional.empty(), false);
        }

        /** link-snap succeeds, then start-snap-services fails with {@code message} and the change is undone. */
        public static RefreshPlan failsAfterLinkSnap(String message) {
            return new RefreshPlan(Duration.ZERO, Duration.ZERO, Optional.of(message), false);
        }

        public RefreshPlan forEveryRefresh() {
            return new RefreshPlan(linkAfter, doneAfter, failure, true);
        }
    }

    /**
     * One answer: HTTP status and snapd's JSON envelope, or a body of another type (assertions); and how long snapd
     * takes to give it (its retries of a store that does not answer).
     */
    record Reply(int status, Map<String, Object> envelope, String contentType, byte[] raw, Duration delay) {
        Reply(int status, Map<String, Object> envelope) {
            this(status, envelope, "application/json", null, Duration.ZERO);
        }

        byte[] body() {
            return raw != null ? raw : Json.write(envelope).getBytes(StandardCharsets.UTF_8);
        }

        Reply after(Duration wait) {
            return new Reply(status, envelope, contentType, raw, wait);
        }
    }

    private static final class Installed {
        final String name;
        final String type;
        int revision;
        String tracking;
        String version;
        /** Revisions to revert to, the latest first. */
        final Deque<Integer> previous = new ArrayDeque<>();
        /** Every revision the machine has (snapd's sequence): a refresh to one of them needs no download. */
        final Set<Integer> sequence = new LinkedHashSet<>();
        final Map<Integer, String> versions = new LinkedHashMap<>();
        final List<String> services = new ArrayList<>();
        final Set<String> inactive = new LinkedHashSet<>();
        /** Services stopped by a change (from stop-snap-services until they start again). */
        boolean stopped;
        Optional<Instant> hold = Optional.empty();

        Installed(String name, String type, int revision, String tracking, String version) {
            this.name = name;
            this.type = type;
            this.revision = revision;
            this.tracking = tracking;
            this.version = version;
            sequence.add(revision);
            versions.put(revision, version);
        }
    }

    private record Release(int revision, String version) {
    }

    private static final class Task {
        final String id;
        final String kind;
        final String summary;
        String status = "Do";
        final List<String> log = new ArrayList<>();
        Instant readyTime;

        Task(String id, String kind, String summary) {
            this.id = id;
            this.kind = kind;
            this.summary = summary;
        }
    }

    private static final class Change {
        final String id;
        final String kind;
        final String summary;
        final Instant spawn;
        final List<Task> tasks = new ArrayList<>();
        final Optional<String> snap;
        String status = "Do";
        boolean ready;
        String err = "";
        Instant readyTime;
        /** What the change does to a snap (refresh, revert, install of a file); null for other changes. */
        Operation operation;

        Change(String id, String kind, String summary, Instant spawn, Optional<String> snap) {
            this.id = id;
            this.kind = kind;
            this.summary = summary;
            this.spawn = spawn;
            this.snap = snap;
        }
    }

    private final Clock clock;
    private final Instant seeded;
    private String version = "2.63";
    private String architecture = "amd64";
    private Optional<Instant> lastRefresh = Optional.empty();
    private final Map<String, Installed> installed = new TreeMap<>();
    private final Map<String, Map<String, Release>> store = new LinkedHashMap<>();
    /** Every revision the store ever served per snap: {@code --revision} can go back to any of them. */
    private final Map<String, Map<Integer, String>> published = new LinkedHashMap<>();
    private final Map<String, Object> config = new LinkedHashMap<>();
    private final Map<String, Change> changes = new LinkedHashMap<>();
    private final Map<String, RefreshPlan> plans = new LinkedHashMap<>();
    private final Map<String, String> foreignChanges = new LinkedHashMap<>();
    private final Set<String> heldServiceStarts = new LinkedHashSet<>();
    private final Map<String, Set<Integer>> brokenRevisions = new LinkedHashMap<>();
    private final Map<String, Map<String, String>> storeAssertions = new LinkedHashMap<>();
    private final Set<String> trustedKeys = new LinkedHashSet<>();
    private boolean storeUnreachable;
    private Duration storeDelay = Duration.ZERO;
    /** Configuration objects that exist (a key set once leaves its parents, even after it is removed). */
    private final Set<String> configParents = new LinkedHashSet<>();
    /** The last local revision each snap got (snapstate counts them per snap: x1, x2, …). */
    private final Map<String, Integer> localRevisions = new LinkedHashMap<>();
    private int changeCounter;
    private int taskCounter;

    public FakeSnapdState(Clock clock) {
        this.clock = clock;
        this.seeded = clock.instant().minus(Duration.ofDays(30));
        config.put("refresh.hold", timestamp(seeded.plus(Duration.ofHours(2))));
        configParents.add("refresh");
        Change seed = new Change(String.valueOf(++changeCounter), "seed", "Initialize system state", seeded,
                Optional.empty());
        changes.put(seed.id, seed);
        addTask(seed, "run-hook", "Run configure hook of \"core\" snap if present");
        addTask(seed, "mark-seeded", "Mark system seeded");
        seed.tasks.forEach(t -> finishTask(t, "Done"));
        finish(seed, "Done", "");
    }

    // ---- set-up --------------------------------------------------------------------------------------------

    public synchronized FakeSnapdState version(String snapdVersion) {
        this.version = snapdVersion;
        return this;
    }

    public synchronized FakeSnapdState architecture(String dpkgArchitecture) {
        this.architecture = dpkgArchitecture;
        return this;
    }

    public synchronized FakeSnapdState lastRefresh(Instant when) {
        this.lastRefresh = Optional.of(when);
        return this;
    }

    /** The store serves {@code revision} on {@code channel} (a release or a proxy override, older or newer). */
    public synchronized FakeSnapdState publish(String snap, String channel, int revision, String snapVersion) {
        store.computeIfAbsent(snap, s -> new LinkedHashMap<>()).put(channel, new Release(revision, snapVersion));
        published.computeIfAbsent(snap, s -> new LinkedHashMap<>()).put(revision, snapVersion);
        return this;
    }

    public FakeSnapdState publish(String snap, String channel, int revision) {
        return publish(snap, channel, revision, "1.0");
    }

    /**
     * Serves {@code revision} on every channel and no other (snapd's own test store serves its one file whatever
     * channel is asked).
     */
    public synchronized FakeSnapdState publishEverywhere(String snap, int revision, String snapVersion) {
        store.put(snap, new LinkedHashMap<>(Map.of(ANY_CHANNEL, new Release(revision, snapVersion))));
        published.computeIfAbsent(snap, s -> new LinkedHashMap<>()).put(revision, snapVersion);
        brokenRevisions.getOrDefault(snap, new LinkedHashSet<>()).remove(revision);
        return this;
    }

    /** {@code tracking} "" installs a local snap (no channel, unknown to the store). */
    public synchronized FakeSnapdState install(String snap, String tracking, int revision, String... services) {
        return install(snap, "app", tracking, revision, versionOf(snap, revision), services);
    }

    public synchronized FakeSnapdState install(String snap, String type, String tracking, int revision,
                                               String snapVersion, String... services) {
        Installed snapState = new Installed(snap, type, revision, tracking, snapVersion);
        snapState.services.addAll(List.of(services));
        installed.put(snap, snapState);
        return this;
    }

    /**
     * A snap file sent to snapd ({@code snap install --dangerous}): a change of kind install-snap that gives it the
     * next local revision of that snap (x1, x2, …). Returns the change id.
     */
    public synchronized String sideload(String snap, String snapVersion, boolean broken, String... services) {
        int revision = -localRevisions.merge(snap, 1, Integer::sum);
        if (!installed.containsKey(snap)) {
            install(snap, "app", "", revision, snapVersion, services);
            Change change = newChange("install-snap", "Install \"" + snap + "\" snap from file \"" + snap + ".snap\"",
                    Optional.of(snap));
            change.tasks.forEach(t -> finishTask(t, "Done"));
            finish(change, "Done", "");
            return change.id;
        }
        Change change = newChange("install-snap", "Install \"" + snap + "\" snap from file \"" + snap + ".snap\"",
                Optional.of(snap));
        addTask(change, "prerequisites", "Ensure prerequisites for \"" + snap + "\" are available");
        addTask(change, "prepare-snap", "Prepare snap \"/var/lib/snapd/" + snap + ".snap\" (unset)");
        addTask(change, "mount-snap", "Mount snap \"" + snap + "\" (unset)");
        addLinkTasks(change, snap, " (unset)", true);
        Operation operation = new Operation(snap, RefreshPlan.immediate(), revision, "", snapVersion, " (unset)",
                "prepare-snap");
        operation.broken = broken;
        start(change, operation);
        return change.id;
    }

    /**
     * Back to a machine in service with nothing of the tests on it: only snaps of type base and snapd stay
     * installed, no option set, the store serves nothing and answers, no gate, plan or change in the way.
     */
    public synchronized FakeSnapdState reset() {
        installed.values().removeIf(snap -> !snap.type.equals("base") && !snap.type.equals("snapd"));
        config.clear();
        store.clear();
        published.clear();
        brokenRevisions.clear();
        plans.clear();
        heldServiceStarts.clear();
        foreignChanges.clear();
        storeAssertions.clear();
        storeUnreachable = false;
        storeDelay = Duration.ZERO;
        localRevisions.clear();
        for (Change change : changes.values()) {
            if (!change.ready) {
                finish(change, "Hold", "");
            }
        }
        return this;
    }

    /** The services of {@code snap} stay inactive (until its next refresh or revert). */
    public synchronized FakeSnapdState breakServices(String snap) {
        Installed snapState = required(snap);
        snapState.inactive.addAll(snapState.services);
        return this;
    }

    /** How the next refresh of {@code snap} goes (every refresh, with {@link RefreshPlan#forEveryRefresh}). */
    public synchronized FakeSnapdState plan(String snap, RefreshPlan plan) {
        plans.put(snap, plan);
        return this;
    }

    /**
     * Like {@link #publish}, but this revision's services fail to start: a refresh to it fails after link-snap
     * and is undone (a broken release).
     */
    public synchronized FakeSnapdState publishBroken(String snap, String channel, int revision) {
        return publish(snap, channel, revision).breakRevision(snap, revision);
    }

    /** This revision's services fail to start (see {@link #publishBroken}). */
    public synchronized FakeSnapdState breakRevision(String snap, int revision) {
        brokenRevisions.computeIfAbsent(snap, s -> new LinkedHashSet<>()).add(revision);
        return this;
    }

    /** From now on a refresh of {@code snap} stays at start-snap-services (Doing, new revision) until released. */
    public synchronized FakeSnapdState holdServiceStarts(String snap) {
        heldServiceStarts.add(snap);
        return this;
    }

    public synchronized FakeSnapdState releaseServiceStarts(String snap) {
        heldServiceStarts.remove(snap);
        return this;
    }

    /** A change of {@code kind} (e.g. snapd's own "auto-refresh") holds {@code snap} until {@link #finishForeign}. */
    public synchronized FakeSnapdState foreignChange(String snap, String kind) {
        foreignChanges.put(snap, kind);
        return this;
    }

    public synchronized FakeSnapdState finishForeign(String snap) {
        foreignChanges.remove(snap);
        return this;
    }

    /** The store refuses connections; snapd's answers about it then take {@code delay} (real snapd: ~32 s). */
    public synchronized FakeSnapdState storeUnreachable(boolean unreachable, Duration delay) {
        this.storeUnreachable = unreachable;
        this.storeDelay = delay;
        return this;
    }

    public FakeSnapdState storeUnreachable(boolean unreachable) {
        return storeUnreachable(unreachable, Duration.ZERO);
    }

    public synchronized FakeSnapdState config(String key, Object value) {
        config.put(key, value);
        return this;
    }

    /** Assertions signed with this key (sign-key-sha3-384) pass "signature verification". */
    public synchronized FakeSnapdState trustSignKey(String keyId) {
        trustedKeys.add(keyId);
        return this;
    }

    /** A store assertion put straight into snapd's database, as if acknowledged. */
    public synchronized FakeSnapdState knownStore(String storeId, Optional<String> url) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("type", "store");
        headers.put("authority-id", "canonical");
        headers.put("store", storeId);
        headers.put("operator-id", storeId + "-operator");
        url.ifPresent(u -> headers.put("url", u));
        storeAssertions.put(storeId, headers);
        return this;
    }

    // ---- observation ---------------------------------------------------------------------------------------

    public synchronized Optional<Integer> revision(String snap) {
        advance();
        return Optional.ofNullable(installed.get(snap)).map(s -> s.revision);
    }

    public synchronized Optional<String> tracking(String snap) {
        advance();
        return Optional.ofNullable(installed.get(snap)).map(s -> s.tracking);
    }

    public synchronized boolean held(String snap) {
        return Optional.ofNullable(installed.get(snap)).flatMap(s -> s.hold).isPresent();
    }

    public synchronized Optional<Object> configValue(String key) {
        return Optional.ofNullable(config.get(key));
    }

    public synchronized Set<String> knownStoreIds() {
        return Set.copyOf(storeAssertions.keySet());
    }

    /** The status of a change, as GET /v2/changes/&lt;id&gt; would say. */
    public synchronized Optional<String> changeStatus(String id) {
        advance();
        return Optional.ofNullable(changes.get(id)).map(c -> c.status);
    }

    // ---- requests ------------------------------------------------------------------------------------------

    /** Answers one request; {@code body} is empty for requests without one. */
    synchronized Reply handle(String method, String path, Map<String, String> query, String contentType, byte[] body) {
        advance();
        try {
            return route(method, path, query, contentType, body);
        } catch (ApiError e) {
            return error(e.status, e.getMessage(), e.kind, e.value).after(e.delay);
        }
    }

    private Reply route(String method, String path, Map<String, String> query, String contentType, byte[] body) {
        String[] parts = path.split("/", -1);
        switch (path) {
            case "/v2/system-info":
                return only("GET", method, this::systemInfo);
            case "/v2/snaps":
                if (method.equals("POST")) {
                    return postSnaps(contentType, body);
                }
                return only("GET", method, () -> sync(snaps(query), List.of("local")));
            case "/v2/apps":
                return only("GET", method, () -> apps(query));
            case "/v2/find":
                return only("GET", method, () -> find(query));
            case "/v2/changes":
                return only("GET", method, () -> changesList(query));
            case "/v2/assertions":
                return only("POST", method, () -> assertions(body));
            default:
                break;
        }
        if (parts.length == 4 && path.startsWith("/v2/snaps/")) {
            return method.equals("POST") ? postSnap(parts[3], body) : only("GET", method, () -> snapInfo(parts[3]));
        }
        if (parts.length == 5 && path.startsWith("/v2/snaps/") && parts[4].equals("conf")) {
            return method.equals("PUT") ? setConf(parts[3], body) : only("GET", method, () -> getConf(parts[3], query));
        }
        if (parts.length == 4 && path.startsWith("/v2/changes/")) {
            return only("GET", method, () -> change(parts[3]));
        }
        if (parts.length == 4 && path.startsWith("/v2/assertions/")) {
            return only("GET", method, () -> assertionsOfType(parts[3], query));
        }
        throw new ApiError(404, "not found", "", null);
    }

    private Reply only(String allowed, String method, java.util.function.Supplier<Reply> handler) {
        if (!allowed.equals(method)) {
            throw new ApiError(405, "method \"" + method + "\" not allowed", "", null);
        }
        return handler.get();
    }

    // ---- the machine ---------------------------------------------------------------------------------------

    private Reply systemInfo() {
        Map<String, Object> refresh = new LinkedHashMap<>();
        refresh.put("timer", "00:00~24:00/4");
        lastRefresh.ifPresent(t -> refresh.put("last", minute(t)));
        effectiveHold().ifPresent(t -> refresh.put("hold", minute(t)));
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("series", "16");
        info.put("version", version);
        info.put("build-id", "fake");
        info.put("os-release", Map.of("id", "ubuntu", "version-id", "24.04"));
        info.put("on-classic", true);
        info.put("managed", false);
        info.put("kernel-version", "6.8.0");
        info.put("locations", Map.of("snap-mount-dir", "/snap", "snap-bin-dir", "/snap/bin"));
        info.put("refresh", refresh);
        info.put("architecture", architecture);
        info.put("system-mode", "run");
        info.put("confinement", "partial");
        return sync(info);
    }

    private Optional<Instant> effectiveHold() {
        Object value = config.get("refresh.hold");
        if (!(value instanceof String text) || text.isEmpty()) {
            return Optional.empty();
        }
        if (perSnapHolds() && text.equals("forever")) {
            return Optional.of(clock.instant().plus(FOREVER));
        }
        Instant hold;
        try {
            hold = OffsetDateTime.parse(text).toInstant();
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
        if (perSnapHolds()) {
            return Optional.of(hold);
        }
        Instant limit = lastRefresh.orElse(seeded).plus(MAX_POSTPONEMENT);
        return Optional.of(hold.isAfter(limit) ? limit : hold);
    }

    private List<Object> snaps(Map<String, String> query) {
        String select = query.getOrDefault("select", "");
        if (!select.isEmpty() && !select.equals("all") && !select.equals("enabled")) {
            throw new ApiError(400, "invalid select parameter: \"" + select + "\"", "", null);
        }
        Set<String> wanted = names(query.getOrDefault("snaps", ""));
        List<Object> result = new ArrayList<>();
        for (Installed snap : installed.values()) {
            if (!wanted.isEmpty() && !wanted.contains(snap.name)) {
                continue;
            }
            if (!select.equals("all")) {
                result.add(localSnap(snap));
                continue;
            }
            // allLocalSnapInfos: every revision of the sequence, in its order; mapLocal: the current one active.
            for (int revision : snap.sequence) {
                Map<String, Object> json = localSnap(snap);
                json.put("revision", revisionText(revision));
                json.put("version", snap.versions.getOrDefault(revision, snap.version));
                json.put("status", revision == snap.revision ? "active" : "installed");
                result.add(json);
            }
        }
        return result;
    }

    private Reply snapInfo(String name) {
        Installed snap = installed.get(name);
        if (snap == null) {
            throw new ApiError(404, "snap not installed", "snap-not-found", name);
        }
        return sync(localSnap(snap));
    }

    private Map<String, Object> localSnap(Installed snap) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("id", snap.tracking.isEmpty() ? "" : snap.name + "-snap-id");
        json.put("summary", snap.name);
        json.put("description", snap.name);
        json.put("installed-size", 1024);
        json.put("install-date", OffsetDateTime.ofInstant(seeded, ZoneOffset.UTC).toString());
        json.put("name", snap.name);
        json.put("developer", "canonical");
        json.put("status", "active");
        json.put("type", snap.type);
        json.put("version", snap.version);
        json.put("channel", snap.tracking);
        if (!snap.tracking.isEmpty()) {
            json.put("tracking-channel", snap.tracking);
        }
        json.put("ignore-validation", false);
        json.put("revision", revisionText(snap.revision));
        json.put("confinement", "classic");
        json.put("private", false);
        json.put("devmode", false);
        json.put("jailmode", false);
        if (!snap.services.isEmpty()) {
            json.put("apps", snap.services.stream().map(service -> app(snap, service)).toList());
        }
        json.put("contact", "");
        json.put("mounted-from", "/var/lib/snapd/snaps/" + snap.name + "_" + revisionText(snap.revision) + ".snap");
        if (perSnapHolds()) {
            snap.hold.ifPresent(t -> json.put("hold", OffsetDateTime.ofInstant(t, ZoneOffset.UTC).toString()));
        }
        return json;
    }

    private Map<String, Object> app(Installed snap, String service) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("snap", snap.name);
        json.put("name", service);
        json.put("daemon", "simple");
        json.put("daemon-scope", "system");
        json.put("enabled", true); // omitempty: false would be left out
        if (!snap.inactive.contains(service) && !snap.stopped) {
            json.put("active", true); // omitempty: inactive leaves it out
        }
        return json;
    }

    private Reply apps(Map<String, String> query) {
        String select = query.getOrDefault("select", "");
        if (!select.isEmpty() && !select.equals("service")) {
            throw new ApiError(400, "invalid select parameter: \"" + select + "\"", "", null);
        }
        Set<String> requested = names(query.getOrDefault("names", ""));
        List<Object> result = new ArrayList<>();
        Set<String> found = new LinkedHashSet<>();
        for (Installed snap : installed.values()) {
            boolean all = requested.isEmpty() || requested.contains(snap.name);
            if (snap.services.isEmpty() && requested.contains(snap.name)) {
                throw new ApiError(404, "snap \"" + snap.name + "\" has no services", "app-not-found", null);
            }
            if (all) {
                found.add(snap.name);
                snap.services.forEach(service -> result.add(app(snap, service)));
            }
        }
        for (String name : requested) {
            if (!found.contains(name)) {
                throw new ApiError(404, "snap \"" + name + "\" not found", "snap-not-found", name);
            }
        }
        return sync(result);
    }

    // ---- the store -----------------------------------------------------------------------------------------

    private Reply find(Map<String, String> query) {
        if (query.getOrDefault("select", "").equals("refresh")) {
            if (query.containsKey("name") || query.containsKey("q")) {
                throw new ApiError(400, "cannot use 'name' with 'select=refresh'", "", null);
            }
            List<Installed> fromStore = installed.values().stream().filter(snap -> !snap.tracking.isEmpty()).toList();
            if (storeUnreachable && !fromStore.isEmpty()) {
                throw new ApiError(500, "cannot list updates: " + refusedStore("Post", "/v2/snaps/refresh"), "", null)
                        .after(storeDelay);
            }
            List<Object> result = new ArrayList<>();
            for (Installed snap : fromStore) {
                Optional<Release> head = head(snap.name, snap.tracking);
                if (head.isPresent() && head.get().revision() != snap.revision) {
                    result.add(storeSnap(snap.name, snap.tracking, head.get()));
                }
            }
            return sync(result);
        }
        String name = query.getOrDefault("name", "");
        if (name.isEmpty()) {
            throw new ApiError(400, "bad query", "bad-query", null);
        }
        if (!name.matches("[a-z0-9][a-z0-9-]*")) {
            throw new ApiError(400, "invalid snap name: \"" + name + "\"", "", null);
        }
        if (storeUnreachable) {
            // the query as snapd 2.57.6 sends it, its commas escaped (observed)
            throw new ApiError(500, refusedStore("Get", "/v2/snaps/info/" + name + "?architecture=" + architecture
                    + "&fields=architectures%2Cbase%2Cconfinement%2Ccontact%2Ccreated-at%2Cdescription%2Cdownload"
                    + "%2Cepoch%2Clicense%2Cname%2Cprices%2Cprivate%2Cpublisher%2Crevision%2Csnap-id%2Csummary%2Ctitle"
                    + "%2Ctype%2Cversion%2Cwebsite%2Cstore-url%2Cmedia%2Ccommon-ids"), "", null).after(storeDelay);
        }
        Map<String, Release> channels = new LinkedHashMap<>(store.getOrDefault(name, Map.of()));
        channels.remove(ANY_CHANNEL);
        if (channels.isEmpty()) {
            throw new ApiError(404, "snap not found", "snap-not-found", name);
        }
        Map.Entry<String, Release> first = channels.entrySet().iterator().next();
        Map<String, Object> snap = storeSnap(name, first.getKey(), first.getValue());
        Map<String, Object> channelMap = new LinkedHashMap<>();
        Set<String> tracks = new LinkedHashSet<>();
        channels.forEach((channel, release) -> {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("revision", revisionText(release.revision()));
            entry.put("version", release.version());
            entry.put("channel", channel);
            entry.put("epoch", Map.of("read", List.of(0), "write", List.of(0)));
            entry.put("confinement", "classic");
            entry.put("size", 1024);
            entry.put("released-at", "2026-11-01T00:00:00Z");
            channelMap.put(channel, entry);
            tracks.add(channel.split("/")[0]);
        });
        snap.put("channels", channelMap);
        snap.put("tracks", List.copyOf(tracks));
        Map<String, Object> envelope = envelope("sync", 200, List.of(snap));
        envelope.put("sources", List.of("store"));
        return new Reply(200, envelope);
    }

    private Map<String, Object> storeSnap(String name, String channel, Release release) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("id", name + "-snap-id");
        json.put("summary", name);
        json.put("description", name);
        json.put("download-size", 1024);
        json.put("name", name);
        json.put("publisher", Map.of("id", "canonical", "username", "canonical", "display-name", "Canonical",
                "validation", "verified"));
        json.put("developer", "canonical");
        json.put("status", "available");
        json.put("type", "app");
        json.put("version", release.version());
        json.put("channel", channel);
        json.put("ignore-validation", false);
        json.put("revision", revisionText(release.revision()));
        json.put("confinement", "classic");
        json.put("private", false);
        json.put("devmode", false);
        json.put("jailmode", false);
        json.put("contact", "");
        return json;
    }

    /** What snapd's store client says when the store's port is closed (observed, 2.57.6). */
    private static String refusedStore(String method, String path) {
        return method + " \"http://127.0.0.1:18765" + path + "\": dial tcp 127.0.0.1:18765: connect: connection "
                + "refused";
    }

    /** The store's revision for a channel ({@link #ANY_CHANNEL} answers for every channel). */
    private Optional<Release> head(String snap, String channel) {
        Map<String, Release> channels = store.getOrDefault(snap, Map.of());
        return Optional.ofNullable(channels.getOrDefault(channel, channels.get(ANY_CHANNEL)));
    }

    // ---- changes -------------------------------------------------------------------------------------------

    private Reply postSnap(String name, byte[] body) {
        Map<String, Object> instruction = decode(body, "snap instruction");
        String action = instruction.get("action") instanceof String a ? a : "";
        switch (action) {
            case "refresh":
                return refresh(name, instruction);
            case "revert":
                return revert(name);
            case "hold", "unhold":
                if (!perSnapHolds()) {
                    throw new ApiError(400, "unknown action " + action, "", null);
                }
                return hold(action, List.of(name), instruction);
            default:
                throw new ApiError(400, "unknown action " + action, "", null);
        }
    }

    private Reply refresh(String name, Map<String, Object> instruction) {
        Installed snap = installed.get(name);
        if (snap == null) {
            throw new ApiError(400, "snap \"" + name + "\" is not installed", "snap-not-installed", name);
        }
        if (snap.tracking.isEmpty()) {
            throw new ApiError(400, "cannot perform operation on local snap", "snap-local", name);
        }
        if (storeUnreachable) {
            // snapUpdate refreshes the snap's assertions from the store first; the refusal comes back through
            // errToResponse's fallback: 400, no kind (observed, docs/real-snapd.md)
            throw new ApiError(400, "cannot refresh \"" + name + "\": " + refusedStore("Post", "/v2/snaps/refresh"),
                    "", null).after(storeDelay);
        }
        conflict(name);
        String channel = instruction.get("channel") instanceof String c && !c.isEmpty() ? c : snap.tracking;
        int revision;
        if (instruction.containsKey("revision")) {
            revision = parseRevision(instruction.get("revision"));
            if (!snap.sequence.contains(revision) && !published.getOrDefault(name, Map.of()).containsKey(revision)) {
                throw new ApiError(404, "no snap revision available as specified", "snap-revision-not-available",
                        name);
            }
        } else {
            Release head = head(name, channel).orElseThrow(() -> new ApiError(404,
                    "no snap revision on specified channel", "snap-channel-not-available", name));
            if (head.revision() == snap.revision && channel.equals(snap.tracking)) {
                throw new ApiError(400, "snap has no updates available", "snap-no-update-available", name);
            }
            revision = head.revision();
        }
        String summary = channel.equals("stable") ? "Refresh \"" + name + "\" snap"
                : "Refresh \"" + name + "\" snap from \"" + channel + "\" channel";
        if (revision == snap.revision && !instruction.containsKey("revision")) {
            // snapstate.go UpdateWithDeviceContext: nothing to download, only the tracked channel changes
            Change change = newChange("refresh-snap", summary, Optional.of(name));
            addTask(change, "switch-snap-channel", "Switch snap \"" + name + "\" from channel \"" + snap.tracking
                    + "\" to \"" + channel + "\"");
            snap.tracking = channel;
            change.tasks.forEach(t -> finishTask(t, "Done"));
            finish(change, "Done", "");
            return async(change.id);
        }
        RefreshPlan plan = plans.getOrDefault(name, RefreshPlan.immediate());
        if (!plan.persistent()) {
            plans.remove(name);
        }
        Change change = newChange("refresh-snap", summary, Optional.of(name));
        String rev = " (" + revision + ")";
        boolean onDisk = snap.sequence.contains(revision);
        // snapstate.go doInstall: a revision the machine has is prepared from its file, not downloaded (observed:
        // a refresh to the installed revision relinks it and restarts its services)
        addTask(change, "prerequisites", "Ensure prerequisites for \"" + name + "\" are available");
        if (onDisk) {
            addTask(change, "prepare-snap", "Prepare snap \"/var/lib/snapd/snaps/" + name + "_" + revision + ".snap\""
                    + rev);
        } else {
            addTask(change, "download-snap", "Download snap \"" + name + "\"" + rev + " from channel \"" + channel
                    + "\"");
            addTask(change, "validate-snap", "Fetch and check assertions for snap \"" + name + "\"" + rev);
            addTask(change, "mount-snap", "Mount snap \"" + name + "\"" + rev);
        }
        addLinkTasks(change, name, rev, true);
        addTask(change, "check-rerefresh", "Handling re-refresh of \"" + name + "\" as needed");
        start(change, new Operation(name, plan, revision, channel, versionOf(name, revision), rev,
                onDisk ? "prepare-snap" : "download-snap"));
        return async(change.id);
    }

    /** The tasks from pre-refresh to health check, in snapstate.go doInstall's order. */
    private void addLinkTasks(Change change, String name, String rev, boolean hooks) {
        if (hooks) {
            addTask(change, "run-hook", "Run pre-refresh hook of \"" + name + "\" snap if present");
        }
        addTask(change, "stop-snap-services", "Stop snap \"" + name + "\" services");
        addTask(change, "remove-aliases", "Remove aliases for snap \"" + name + "\"");
        addTask(change, "unlink-current-snap", "Make current revision for snap \"" + name + "\" unavailable");
        if (hooks) {
            addTask(change, "copy-snap-data", "Copy snap \"" + name + "\" data");
        }
        addTask(change, "setup-profiles", "Setup snap \"" + name + "\"" + rev + " security profiles");
        addTask(change, "link-snap", "Make snap \"" + name + "\"" + rev + " available to the system");
        addTask(change, "auto-connect", "Automatically connect eligible plugs and slots of snap \"" + name + "\"");
        addTask(change, "set-auto-aliases", "Set automatic aliases for snap \"" + name + "\"");
        addTask(change, "setup-aliases", "Setup snap \"" + name + "\" aliases");
        if (hooks) {
            addTask(change, "run-hook", "Run post-refresh hook of \"" + name + "\" snap if present");
        }
        addTask(change, "start-snap-services", "Start snap \"" + name + "\"" + rev + " services");
        if (hooks) {
            addTask(change, "cleanup", "Clean up \"" + name + "\"" + rev + " install");
            addTask(change, "run-hook", "Run configure hook of \"" + name + "\" snap if present");
            addTask(change, "run-hook", "Run health check of \"" + name + "\" snap");
        }
    }

    private Reply revert(String name) {
        Installed snap = installed.get(name);
        if (snap == null || snap.previous.isEmpty()) {
            throw new ApiError(400, "cannot revert \"" + name + "\": no revision to revert to", "", null);
        }
        conflict(name);
        int previous = snap.previous.peek();
        String rev = " (" + revisionText(previous) + ")";
        Change change = newChange("revert-snap", "Revert \"" + name + "\" snap", Optional.of(name));
        addTask(change, "prerequisites", "Ensure prerequisites for \"" + name + "\" are available");
        addTask(change, "prepare-snap", "Prepare snap \"/var/lib/snapd/snaps/" + name + "_" + revisionText(previous)
                + ".snap\"" + rev);
        addLinkTasks(change, name, rev, false);
        start(change, new Operation(name, RefreshPlan.immediate(), previous, snap.tracking, snap.versions
                .getOrDefault(previous, versionOf(name, previous)), rev, "prepare-snap"));
        return async(change.id);
    }

    private void conflict(String name) {
        for (Change change : changes.values()) {
            if (!change.ready && change.snap.equals(Optional.of(name))) {
                throw conflictError(name, change.kind);
            }
        }
        String foreign = foreignChanges.get(name);
        if (foreign != null) {
            throw conflictError(name, foreign);
        }
    }

    private static ApiError conflictError(String name, String kind) {
        Map<String, Object> value = new LinkedHashMap<>();
        value.put("change-kind", kind);
        value.put("snap-name", name);
        return new ApiError(409, "snap \"" + name + "\" has \"" + kind + "\" change in progress",
                "snap-change-conflict", value);
    }

    /** What a snap change does to the machine, and how far it got. */
    private static final class Operation {
        final String snap;
        final RefreshPlan plan;
        final int toRevision;
        final String toChannel;
        final String toVersion;
        /** How the tasks name the revision: " (2)", or " (unset)" for a file sent to snapd. */
        final String revisionLabel;
        /** The task that runs until link-snap is due: download-snap or prepare-snap. */
        final String firstTask;
        boolean broken;
        boolean onDisk;
        /** The snap's sequence before link-snap, which an undo restores (undoLinkSnap). */
        List<Integer> sequenceBefore = List.of();
        int fromRevision;
        String fromChannel;
        String fromVersion;
        Phase phase = Phase.BEFORE_LINK;

        Operation(String snap, RefreshPlan plan, int toRevision, String toChannel, String toVersion,
                  String revisionLabel, String firstTask) {
            this.snap = snap;
            this.plan = plan;
            this.toRevision = toRevision;
            this.toChannel = toChannel;
            this.toVersion = toVersion;
            this.revisionLabel = revisionLabel;
            this.firstTask = firstTask;
        }
    }

    private enum Phase { BEFORE_LINK, STARTING, UNDOING, FINISHED }

    private void start(Change change, Operation operation) {
        Installed snap = installed.get(operation.snap);
        operation.fromRevision = snap.revision;
        operation.fromChannel = snap.tracking;
        operation.fromVersion = snap.version;
        operation.broken |= brokenRevisions.getOrDefault(operation.snap, Set.of()).contains(operation.toRevision);
        operation.onDisk = snap.sequence.contains(operation.toRevision);
        change.operation = operation;
        change.status = "Doing";
        advance();
    }

    /**
     * Moves every snap change along by the clock, its plan and the service gate: link-snap when its time has come
     * (the revision switches, the services are stopped), then start-snap-services, which waits while the gate
     * ({@link #holdServiceStarts}) is closed, or fails at once for a broken revision; the undo that follows
     * restarts the old revision's services, so it waits at the gate too, in Undoing.
     */
    private void advance() {
        Instant now = clock.instant();
        for (Change change : changes.values()) {
            Operation operation = change.operation;
            if (operation == null || change.ready) {
                continue;
            }
            Installed snap = installed.get(operation.snap);
            Duration elapsed = Duration.between(change.spawn, now);
            boolean gated = heldServiceStarts.contains(operation.snap) && !snap.services.isEmpty();
            if (operation.phase == Phase.BEFORE_LINK) {
                if (elapsed.compareTo(operation.plan.linkAfter()) < 0) {
                    markUpTo(change, operation.firstTask);
                    continue;
                }
                link(change, operation, snap);
            }
            if (operation.phase == Phase.STARTING) {
                if (elapsed.compareTo(operation.plan.doneAfter()) < 0) {
                    markUpTo(change, "start-snap-services");
                    continue;
                }
                Optional<String> failure = operation.plan.failure();
                if (failure.isEmpty() && operation.broken && !snap.services.isEmpty()) {
                    failure = Optional.of(serviceStartFailure(operation.snap, snap.services.get(0)));
                }
                if (failure.isPresent()) {
                    startUndo(change, operation, snap, failure.get());
                } else if (gated) {
                    markUpTo(change, "start-snap-services");
                    continue;
                } else {
                    snap.stopped = false;
                    snap.inactive.clear();
                    change.tasks.forEach(t -> finishTask(t, "Done"));
                    finish(change, "Done", "");
                    operation.phase = Phase.FINISHED;
                    continue;
                }
            }
            if (operation.phase == Phase.UNDOING && !gated) {
                boolean after = false;
                for (Task task : change.tasks) {
                    if (task.status.equals("Error")) {
                        after = true;
                    } else {
                        finishTask(task, after ? "Hold" : "Undone");
                    }
                }
                snap.stopped = false;
                Task failed = change.tasks.stream().filter(t -> t.status.equals("Error")).findFirst().orElseThrow();
                finish(change, "Error", "cannot perform the following tasks:\n- " + failed.summary + " ("
                        + failed.log.get(0).substring(failed.log.get(0).indexOf(" ERROR ") + 7) + ")");
                operation.phase = Phase.FINISHED;
            }
        }
    }

    /**
     * What start-snap-services reports when systemd cannot start the service (observed with the contract's
     * stand-in for systemctl; 2.68 puts "stderr:" and a line break before systemctl's own words).
     */
    private String serviceStartFailure(String snap, String service) {
        String unit = "snap." + snap + "." + service + ".service";
        return "systemctl command [start " + unit + "] failed with exit status 1: "
                + (perSnapHolds() ? "stderr:\n" : "") + "Job for " + unit + " failed because the control process "
                + "exited with error code.\nSee \"systemctl status " + unit + "\" and \"journalctl -xeu " + unit
                + "\" for details.\n";
    }

    /** Tasks before {@code kind} are Done, {@code kind} is Doing, later ones wait in Do. */
    private void markUpTo(Change change, String kind) {
        boolean reached = false;
        for (Task task : change.tasks) {
            if (!reached && task.kind.equals(kind)) {
                task.status = "Doing";
                reached = true;
            } else if (!reached && !task.status.equals("Done")) {
                finishTask(task, "Done");
            }
        }
    }

    private void link(Change change, Operation operation, Installed snap) {
        markUpTo(change, "link-snap");
        if (operation.toRevision != snap.revision) {
            snap.previous.remove(operation.toRevision);
            if (!change.kind.equals("revert-snap")) {
                snap.previous.push(snap.revision);
            }
        }
        operation.sequenceBefore = List.copyOf(snap.sequence);
        if (!change.kind.equals("revert-snap")) {
            // doLinkSnap: a revision already in the sequence moves to its end; a revert leaves the order as it is,
            // so the revisions reverted from stay after the current one (snapmgr.go Block).
            snap.sequence.remove(operation.toRevision);
        }
        snap.sequence.add(operation.toRevision);
        snap.versions.put(operation.toRevision, operation.toVersion);
        snap.revision = operation.toRevision;
        snap.tracking = operation.toChannel;
        snap.version = operation.toVersion;
        snap.stopped = true;
        operation.phase = Phase.STARTING;
        markUpTo(change, "start-snap-services");
    }

    /** start-snap-services failed: its log says why; the snap goes back to where it was. */
    private void startUndo(Change change, Operation operation, Installed snap, String message) {
        Task failed = change.tasks.stream().filter(t -> t.kind.equals("start-snap-services")).findFirst()
                .orElseThrow();
        failed.log.add(timestamp(clock.instant()) + " ERROR " + message);
        finishTask(failed, "Error");
        for (Task task : change.tasks) {
            if (task == failed) {
                break;
            }
            task.status = task.kind.equals("stop-snap-services") ? "Undoing" : "Undo";
        }
        if (operation.toRevision != operation.fromRevision) {
            snap.previous.remove(operation.fromRevision);
            if (change.kind.equals("revert-snap")) {
                snap.previous.push(operation.toRevision);
            }
            snap.sequence.clear();
            snap.sequence.addAll(operation.sequenceBefore);
        }
        snap.revision = operation.fromRevision;
        snap.tracking = operation.fromChannel;
        snap.version = operation.fromVersion;
        change.status = "Undoing";
        operation.phase = Phase.UNDOING;
    }

    private Reply change(String id) {
        Change change = changes.get(id);
        if (change == null) {
            throw new ApiError(404, "cannot find change with id \"" + id + "\"", "", null);
        }
        return sync(changeInfo(change));
    }

    private Reply changesList(Map<String, String> query) {
        String select = query.getOrDefault("select", "in-progress");
        String snap = query.getOrDefault("for", "");
        List<Object> result = new ArrayList<>();
        for (Change change : changes.values()) {
            boolean wanted = switch (select) {
                case "all" -> true;
                case "in-progress" -> !change.ready;
                case "ready" -> change.ready;
                default -> throw new ApiError(400, "select should be one of: all,in-progress,ready", "", null);
            };
            if (wanted && (snap.isEmpty() || change.snap.equals(Optional.of(snap)))) {
                result.add(changeInfo(change));
            }
        }
        return sync(result);
    }

    private Map<String, Object> changeInfo(Change change) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("id", change.id);
        json.put("kind", change.kind);
        json.put("summary", change.summary);
        json.put("status", change.status);
        List<Object> tasks = new ArrayList<>();
        for (Task task : change.tasks) {
            Map<String, Object> t = new LinkedHashMap<>();
            t.put("id", task.id);
            t.put("kind", task.kind);
            t.put("summary", task.summary);
            t.put("status", task.status);
            if (!task.log.isEmpty()) {
                t.put("log", List.copyOf(task.log));
            }
            boolean done = !task.status.equals("Do") && !task.status.equals("Doing");
            t.put("progress", Map.of("label", "", "done", done ? 1 : 0, "total", 1));
            t.put("spawn-time", timestamp(change.spawn));
            if (task.readyTime != null) {
                t.put("ready-time", timestamp(task.readyTime));
            }
            tasks.add(t);
        }
        if (!tasks.isEmpty()) {
            json.put("tasks", tasks);
        }
        json.put("ready", change.ready);
        if (!change.err.isEmpty()) {
            json.put("err", change.err);
        }
        json.put("spawn-time", timestamp(change.spawn));
        if (change.readyTime != null) {
            json.put("ready-time", timestamp(change.readyTime));
        }
        change.snap.ifPresent(s -> json.put("data", Map.of("snap-names", List.of(s))));
        return json;
    }

    private Change newChange(String kind, String summary, Optional<String> snap) {
        Change change = new Change(String.valueOf(++changeCounter), kind, summary, clock.instant(), snap);
        changes.put(change.id, change);
        return change;
    }

    private void addTask(Change change, String kind, String summary) {
        change.tasks.add(new Task(String.valueOf(++taskCounter), kind, summary));
    }

    private void finishTask(Task task, String status) {
        task.status = status;
        task.readyTime = clock.instant();
    }

    private void finish(Change change, String status, String err) {
        change.status = status;
        change.ready = true;
        change.err = err;
        change.readyTime = clock.instant();
    }

    // ---- holds ---------------------------------------------------------------------------------------------

    private Reply postSnaps(String contentType, byte[] body) {
        if (contentType.isBlank()) {
            throw new ApiError(400, "cannot parse content type: mime: no media type", "", null);
        }
        if (!contentType.startsWith("application/json")) {
            throw new ApiError(400, "unknown content type: " + contentType, "", null);
        }
        Map<String, Object> instruction = decode(body, "snap instruction");
        String action = instruction.get("action") instanceof String a ? a : "";
        List<String> snaps = new ArrayList<>();
        if (instruction.get("snaps") instanceof List<?> list) {
            list.forEach(item -> snaps.add(String.valueOf(item)));
        }
        if ((action.equals("hold") || action.equals("unhold")) && perSnapHolds()) {
            return hold(action, snaps, instruction);
        }
        throw new ApiError(400, "unsupported multi-snap operation \"" + action + "\"", "", null);
    }

    private Reply hold(String action, List<String> snaps, Map<String, Object> instruction) {
        if (action.equals("hold")) {
            String time = instruction.get("time") instanceof String t ? t : "";
            String level = instruction.get("hold-level") instanceof String l ? l : "";
            if (time.isEmpty()) {
                throw new ApiError(400, "hold action requires a non-empty time value", "", null);
            }
            if (level.isEmpty()) {
                throw new ApiError(400, "hold action requires a non-empty hold-level value", "", null);
            }
            if (!level.equals("general") && !level.equals("auto-refresh")) {
                throw new ApiError(400, "hold action requires hold-level to be either \"auto-refresh\" or "
                        + "\"general\"", "", null);
            }
            if (snaps.isEmpty() && level.equals("general")) {
                throw new ApiError(400, "cannot hold: holding general refreshes for all snaps is not supported",
                        "", null);
            }
            Instant until = time.equals("forever") ? clock.instant().plus(FOREVER) : parseTime(time);
            requireInstalled("hold", snaps);
            for (String name : snaps) {
                installed.get(name).hold = Optional.of(until);
            }
        } else {
            if (snaps.isEmpty()) {
                config.remove("refresh.hold");
            }
            requireInstalled("unhold", snaps);
            for (String name : snaps) {
                installed.get(name).hold = Optional.empty();
            }
        }
        String summary = action.equals("hold") ? "Hold general refreshes for " + quoted(snaps)
                : "Remove refresh hold on " + quoted(snaps);
        Change change = newChange(action + "-snap", summary, Optional.empty());
        finish(change, "Done", "");
        return async(change.id);
    }

    /**
     * Observed on 2.68: "cannot hold \"kubelet\", \"nosuch\": snap \"nosuch\" is not installed", 400 without a kind
     * (daemon/api_snaps.go errToResponse names every snap of the request, strutil.Quoted).
     */
    private void requireInstalled(String action, List<String> snaps) {
        for (String name : snaps) {
            if (!installed.containsKey(name)) {
                throw new ApiError(400, "cannot " + action + " " + quoted(snaps) + ": snap \"" + name
                        + "\" is not installed", "", null);
            }
        }
    }

    // ---- configuration -------------------------------------------------------------------------------------

    private Reply getConf(String snap, Map<String, String> query) {
        String owner = snap.equals("system") ? "core" : snap;
        List<String> keys = List.copyOf(names(query.getOrDefault("keys", "")));
        if (keys.isEmpty()) {
            return sync(owner.equals("core") ? new TreeMap<>(config) : Map.of());
        }
        Map<String, Object> values = new LinkedHashMap<>();
        for (String key : keys) {
            if (!owner.equals("core") || !config.containsKey(key)) {
                String missing = owner.equals("core") ? missingPart(key) : key.split("\\.")[0];
                String message = "snap \"" + owner + "\" has no \"" + missing + "\" configuration option";
                throw new ApiError(400, message, "option-not-found", Map.of("SnapName", owner, "Key", missing));
            }
            values.put(key, config.get(key));
        }
        return sync(values);
    }

    private Reply setConf(String snap, byte[] body) {
        requireConfigurable(snap);
        String owner = snap.equals("system") ? "core" : snap;
        Map<String, Object> patch = decode(body, "patch values");
        if (owner.equals("core")) {
            // the transaction creates the key's parents whether or not the configure hook then accepts the value
            patch.keySet().forEach(key -> {
                String[] parts = key.split("\\.");
                for (int i = 1; i < parts.length; i++) {
                    configParents.add(String.join(".", List.of(parts).subList(0, i)));
                }
            });
        }
        Change change = newChange("configure-snap", "Change configuration of \"" + owner + "\" snap", Optional.empty());
        addTask(change, "run-hook", "Run configure hook of \"" + owner + "\" snap");
        Optional<String> refused = owner.equals("core") ? validate(patch) : Optional.empty();
        if (refused.isPresent()) {
            Task hook = change.tasks.get(0);
            hook.log.add(timestamp(clock.instant()) + " ERROR run hook \"configure\": " + refused.get());
            finishTask(hook, "Error");
            finish(change, "Error", "cannot perform the following tasks:\n- " + hook.summary
                    + " (run hook \"configure\": " + refused.get() + ")");
        } else {
            if (owner.equals("core")) {
                patch.forEach((key, value) -> {
                    if (value == null) {
                        config.remove(key);
                    } else {
                        config.put(key, value);
                    }
                });
            }
            change.tasks.forEach(t -> finishTask(t, "Done"));
            finish(change, "Done", "");
        }
        return async(change.id);
    }

    /** overlord/configstate/configcore: proxy.store and refresh.hold as snapd checks them. */
    private Optional<String> validate(Map<String, Object> patch) {
        for (Map.Entry<String, Object> entry : patch.entrySet()) {
            if (!(entry.getValue() instanceof String value) || value.isEmpty()) {
                continue;
            }
            if (entry.getKey().equals("proxy.store")) {
                Map<String, String> assertion = storeAssertions.get(value);
                if (assertion == null) {
                    return Optional.of("cannot set proxy.store to \"" + value + "\" without a matching store "
                            + "assertion");
                }
                if (!assertion.containsKey("url")) {
                    return Optional.of("cannot set proxy.store to \"" + value + "\" with a matching store "
                            + "assertion with url unset");
                }
            }
            if (entry.getKey().equals("refresh.hold") && !(perSnapHolds() && value.equals("forever"))) {
                try {
                    OffsetDateTime.parse(value);
                } catch (DateTimeParseException e) {
                    return Optional.of("refresh.hold cannot be parsed: parsing time \"" + value + "\" as "
                            + "\"2006-01-02T15:04:05Z07:00\": cannot parse \"" + value + "\" as \"2006\"");
                }
            }
        }
        return Optional.empty();
    }

    /**
     * The shortest prefix of {@code key} that does not exist (overlord/configstate/config): "proxy" while nothing
     * under it was ever set, "proxy.store" once the "proxy" object exists.
     */
    private String missingPart(String key) {
        String[] parts = key.split("\\.");
        String prefix = "";
        for (String part : parts) {
            prefix = prefix.isEmpty() ? part : prefix + "." + part;
            String candidate = prefix;
            if (!configParents.contains(candidate) && config.keySet().stream()
                    .noneMatch(k -> k.equals(candidate) || k.startsWith(candidate + "."))) {
                return candidate;
            }
        }
        return key;
    }

    private void requireConfigurable(String snap) {
        if (!snap.equals("system") && !snap.equals("core") && !installed.containsKey(snap)) {
            throw new ApiError(404, "snap \"" + snap + "\" is not installed", "snap-not-found", snap);
        }
    }


    // ---- assertions ----------------------------------------------------------------------------------------

    private Reply assertions(byte[] body) {
        if (new String(body, StandardCharsets.UTF_8).isBlank()) {
            return sync(null); // observed: an empty body is acknowledged silently
        }
        List<Assertions.Assertion> parsed;
        try {
            parsed = Assertions.parse(body);
        } catch (Assertions.FormatException e) {
            throw new ApiError(400, "cannot decode request body into assertions: unexpected EOF", "", null);
        }
        Set<String> keys = new LinkedHashSet<>(trustedKeys);
        for (Assertions.Assertion assertion : parsed) {
            String signKey = assertion.header("sign-key-sha3-384").orElse("");
            if (!keys.contains(signKey)) {
                throw new ApiError(400, "assert failed: " + assertion.type() + " assertion: failed signature "
                        + "verification: openpgp: invalid signature: hash tag doesn't match", "", null);
            }
            if (assertion.type().equals("account-key")) {
                assertion.header("public-key-sha3-384").ifPresent(keys::add);
            }
        }
        trustedKeys.addAll(keys);
        for (Assertions.Assertion assertion : parsed) {
            if (assertion.type().equals("store")) {
                storeAssertions.put(assertion.header("store").orElse(""), new LinkedHashMap<>(assertion.headers()));
            }
        }
        return sync(null);
    }

    private Reply assertionsOfType(String type, Map<String, String> query) {
        if (!type.equals("store")) {
            return sync(List.of());
        }
        String json = query.getOrDefault("json", "false");
        if (json.equals("false")) {
            // assertsFindMany without json: the assertions themselves (observed: empty when there are none)
            StringBuilder stream = new StringBuilder();
            for (Map<String, String> headers : storeAssertions.values()) {
                headers.forEach((key, value) -> stream.append(key).append(": ").append(value).append('\n'));
                stream.append("\nAcLBXAQAAQoABgUCfakesignature\n\n");
            }
            return new Reply(200, null, "application/x.ubuntu.assertion; bundle=y",
                    stream.toString().getBytes(StandardCharsets.UTF_8), Duration.ZERO);
        }
        List<Object> result = new ArrayList<>();
        storeAssertions.values().forEach(headers -> result.add(Map.of("headers", new LinkedHashMap<>(headers))));
        return sync(result);
    }

    // ---- helpers -------------------------------------------------------------------------------------------

    boolean perSnapHolds() {
        String[] parts = version.split("[.+~-]");
        try {
            int major = Integer.parseInt(parts[0]);
            int minor = parts.length > 1 ? Integer.parseInt(parts[1]) : 0;
            return major > 2 || (major == 2 && minor >= 58);
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private String versionOf(String snap, int revision) {
        return published.getOrDefault(snap, Map.of()).getOrDefault(revision, "1.0");
    }

    private Installed required(String snap) {
        Installed snapState = installed.get(snap);
        if (snapState == null) {
            throw new IllegalArgumentException(snap + " is not installed");
        }
        return snapState;
    }

    private static Set<String> names(String commaSeparated) {
        Set<String> names = new LinkedHashSet<>();
        for (String name : commaSeparated.split(",")) {
            if (!name.isBlank()) {
                names.add(name.strip());
            }
        }
        return names;
    }

    private static int parseRevision(Object value) {
        String text = value instanceof String s ? s : String.valueOf(value);
        try {
            int revision = Integer.parseInt(text);
            if (revision > 0) {
                return revision;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new ApiError(400, "cannot decode request body into snap instruction: invalid snap revision: \""
                + text + "\"", "", null);
    }

    private static String revisionText(int revision) {
        return revision < 0 ? "x" + -revision : String.valueOf(revision);
    }

    private static Instant parseTime(String text) {
        try {
            return OffsetDateTime.parse(text).toInstant();
        } catch (DateTimeParseException e) {
            throw new ApiError(400, "hold action requires time to be \"forever\" or in RFC3339 format: "
                    + e.getMessage(), "", null);
        }
    }

    private static String minute(Instant time) {
        return DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(time.truncatedTo(ChronoUnit.MINUTES)
                .atOffset(ZoneOffset.UTC)).replace("+00:00", "Z");
    }

    private static String timestamp(Instant time) {
        return DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(time.atOffset(ZoneOffset.UTC)).replace("+00:00", "Z");
    }

    private static String quoted(List<String> snaps) {
        return String.join(", ", snaps.stream().map(s -> "\"" + s + "\"").toList());
    }

    private static Map<String, Object> decode(byte[] body, String what) {
        try {
            return Json.objectMap(new String(body, StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            throw new ApiError(400, "cannot decode request body into " + what + ": " + e.getMessage(), "", null);
        }
    }

    static Map<String, Object> envelope(String type, int status, Object result) {
        Map<String, Object> envelope = new LinkedHashMap<>();
        envelope.put("type", type);
        envelope.put("status-code", status);
        envelope.put("status", statusText(status));
        envelope.put("result", result);
        return envelope;
    }

    private static Reply sync(Object result) {
        return new Reply(200, envelope("sync", 200, result));
    }

    private static Reply sync(Object result, List<String> sources) {
        Map<String, Object> envelope = envelope("sync", 200, result);
        envelope.put("sources", sources);
        return new Reply(200, envelope);
    }

    private static Reply async(String changeId) {
        Map<String, Object> envelope = envelope("async", 202, null);
        envelope.put("change", changeId);
        return new Reply(202, envelope);
    }

    static Reply error(int status, String message, String kind, Object value) {
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("message", message);
        if (!kind.isEmpty()) {
            result.put("kind", kind);
        }
        if (value != null && !"".equals(value)) {
            result.put("value", value);
        }
        return new Reply(status, envelope("error", status, result));
    }

    static String statusText(int status) {
        return switch (status) {
            case 200 -> "OK";
            case 202 -> "Accepted";
            case 400 -> "Bad Request";
            case 401 -> "Unauthorized";
            case 403 -> "Forbidden";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 409 -> "Conflict";
            case 500 -> "Internal Server Error";
            default -> "Status " + status;
        };
    }

    /** An error answer, thrown from deep in a handler. */
    private static final class ApiError extends RuntimeException {
        final int status;
        final String kind;
        final Object value;
        Duration delay = Duration.ZERO;

        ApiError(int status, String message, String kind, Object value) {
            super(message, null, false, false);
            this.status = status;
            this.kind = kind;
            this.value = value;
        }

        /** snapd gives this answer only after {@code wait} (its retries of the store). */
        ApiError after(Duration wait) {
            this.delay = wait;
            return this;
        }
    }

    /** Loads a state file (see {@link FakeSnapd}'s usage) into this machine. */
    @SuppressWarnings("unchecked")
    synchronized void load(Map<String, Object> file) {
        if (file.get("version") instanceof String v) {
            version = v;
        }
        if (file.get("architecture") instanceof String a) {
            architecture = a;
        }
        for (Map.Entry<String, Object> snap : ((Map<String, Object>) file.getOrDefault("store", Map.of())).entrySet()) {
            for (Map.Entry<String, Object> channel : ((Map<String, Object>) snap.getValue()).entrySet()) {
                publish(snap.getKey(), channel.getKey(), ((Number) channel.getValue()).intValue());
            }
        }
        for (Map.Entry<String, Object> snap : ((Map<String, Object>) file.getOrDefault("installed", Map.of()))
                .entrySet()) {
            Map<String, Object> fields = (Map<String, Object>) snap.getValue();
            List<String> services = (List<String>) fields.getOrDefault("services", List.of());
            install(snap.getKey(), (String) fields.getOrDefault("channel", ""),
                    ((Number) fields.get("revision")).intValue(), services.toArray(String[]::new));
        }
        config.putAll((Map<String, Object>) file.getOrDefault("config", Map.of()));
        ((List<String>) file.getOrDefault("trusted-sign-keys", List.of())).forEach(trustedKeys::add);
        for (Map.Entry<String, Object> snap : ((Map<String, Object>) file.getOrDefault("refresh", Map.of()))
                .entrySet()) {
            Map<String, Object> fields = (Map<String, Object>) snap.getValue();
            Duration total = Duration.ofMillis(((Number) fields.getOrDefault("takes-ms", 0)).longValue());
            Optional<String> failure = Optional.ofNullable((String) fields.get("fails-after-link-snap"));
            plans.put(snap.getKey(), new RefreshPlan(total.dividedBy(2), total, failure, true));
        }
    }
}
