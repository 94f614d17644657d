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
 * assertions, and snapd's answer to each request the charm makes. Where each answer comes from (snapd's source
 * at tags 2.57.6 and 2.68.5, or an observation of a real snapd in /work/shared/reference/snapd.md):
 * <ul>
 * <li>Envelopes: daemon/response.go respJSON ({@code type}, {@code status-code}, {@code status}, {@code result},
 * {@code change}); errors daemon/errors.go ({@code result: {message, kind, value}}); unknown paths 404 "not found"
 * and wrong methods 405 (daemon/daemon.go).</li>
 * <li>Seeding (observed on 2.57.6 under its own root): change 1 is the Done "seed" change, and on classic
 * snapd holds refreshes for 2 hours after seeding by setting {@code refresh.hold} (autorefresh.go AtSeed); this
 * machine was seeded 30 days before the fake started, so that hold is long past, as on a node in service.</li>
 * <li>GET /v2/system-info: daemon/api_general.go sysInfo; {@code refresh.hold} is the effective hold
 * (overlord/snapstate/autorefresh.go EffectiveRefreshHold): before 2.58 capped at the last refresh (or seeding)
 * plus 95 days, from 2.58 "forever" is now plus 290 years; times truncated to the minute (formatRefreshTime).</li>
 * <li>GET /v2/snaps: daemon/api_snaps.go getSnapsInfo and client/packages.go Snap: revision as a string,
 * {@code tracking-channel} left out for a local snap, {@code hold} (2.58+) only for a held snap.</li>
 * <li>GET /v2/apps?select=service: daemon/api_apps.go appInfosFor: all services without names; a named snap
 * without services is 404 app-not-found "snap "x" has no services", one not installed 404 snap-not-found;
 * {@code enabled}/{@code active} left out when false (client/apps.go AppInfo).</li>
 * <li>GET /v2/find?name=: daemon/api_find.go findOne, unknown snap 404 snap-not-found; ?select=refresh:
 * storeUpdates over overlord/snapstate/storehelpers.go refreshCandidates, which does not look at holds;
 * store trouble there is 500 "cannot list updates: ..." without a kind; findOne's is 500 with the store client's
 * error, observed with the store's port closed: "Get \"...\": dial tcp ...: connect: connection refused" after
 * about 32 s of snapd's retries (this fake answers after {@link #storeUnreachable}'s delay).</li>
 * <li>POST /v2/snaps/&lt;name&gt; refresh: daemon/api_snaps.go snapUpdate and overlord/snapstate: not installed
 * 400 snap-not-installed, a revision the store does not have 404 snap-revision-not-available, a change of the snap
 * in progress 409 snap-change-conflict (overlord/snapstate/conflict.go, value {snap-name, change-kind}), the
 * store unreachable 400 network-timeout. The change's tasks are those of snapstate.go doInstall, in order, with
 * its summaries; {@code link-snap} switches the revision before {@code start-snap-services} runs (snapd.md),
 * and a failure after it (a broken revision, {@link #publishBroken}) is undone: earlier tasks Undone, the change
 * Error with change.go Change.Err's text,
 * the old revision back. A refresh to the installed revision and channel is taken to be 400
 * snap-no-update-available (store.ErrNoUpdateAvailable's text), pending the contract's observation.</li>
 * <li>POST /v2/snaps/&lt;name&gt; revert: snapstate.go Revert: no previous revision (also for a snap that is
 * not installed) 400 "cannot revert "x": no revision to revert to" without a kind.</li>
 * <li>POST /v2/snaps hold/unhold: 2.58+ snapHoldMany (requires {@code time} and {@code hold-level}); the change
 * has no tasks and is Done at once (snapOpMany); 2.57 400 "unsupported multi-snap operation "hold"".</li>
 * <li>GET /v2/changes/&lt;id&gt;: api_general.go change2changeInfo; unknown id 404 "cannot find change with id".
 * GET /v2/changes?select=&amp;for=: getChanges (for {@code snap changes}).</li>
 * <li>GET/PUT /v2/snaps/system/conf: api_snap_conf.go; an unset key 400 option-not-found naming the first
 * missing part of the key ("snap "core" has no "proxy" configuration option", observed), also for a snap that is
 * not installed; PUT to one not installed 404 snap-not-found; PUT starts a configure change,
 * where proxy.store needs a known store assertion with a url (configcore/proxy.go) and refresh.hold must be a
 * time (2.57: not "forever", snapd.md); a null value removes the key.</li>
 * <li>POST /v2/assertions: api_asserts.go doAssert: not assertions 400 "cannot decode request body into
 * assertions: unexpected EOF"; an empty body 200 (observed); a signature by a key snapd does not trust 400
 * "assert failed: ... failed signature verification" (observed with the project's fake store assertions). This
 * fake checks no cryptography: it trusts the sign keys it is told to ({@link #trustSignKey}), and an
 * account-key it accepted, as snapd does after verifying it. GET /v2/assertions/store?json=headers:
 * assertsFindMany.</li>
 * </ul>
 */
public final class FakeSnapdState {
    /** overlord/snapstate/autorefresh.go maxPostponement (2.57). */
    static final Duration MAX_POSTPONEMENT = Duration.ofDays(95);
    /** overlord/snapstate/autorefresh.go maxDuration, what a hold "forever" becomes (2.58+). */
    static final Duration FOREVER = Duration.ofDays(290L * 365);

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

    /** One answer: HTTP status and the JSON envelope. */
    record Reply(int status, Map<String, Object> envelope) {
    }

    private static final class Installed {
        final String name;
        int revision;
        String tracking;
        String version;
        final Deque<Integer> previous = new ArrayDeque<>();
        final List<String> services = new ArrayList<>();
        final Set<String> inactive = new LinkedHashSet<>();
        Optional<Instant> hold = Optional.empty();

        Installed(String name, int revision, String tracking, String version) {
            this.name = name;
            this.revision = revision;
            this.tracking = tracking;
            this.version = version;
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
        // a refresh in progress
        RefreshPlan plan;
        int fromRevision;
        String fromChannel;
        int toRevision;
        String toChannel;
        boolean linked;

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
    private int changeCounter;
    private int taskCounter;

    public FakeSnapdState(Clock clock) {
        this.clock = clock;
        this.seeded = clock.instant().minus(Duration.ofDays(30));
        config.put("refresh.hold", timestamp(seeded.plus(Duration.ofHours(2))));
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

    /** {@code tracking} "" installs a local snap (no channel, unknown to the store). */
    public synchronized FakeSnapdState install(String snap, String tracking, int revision, String... services) {
        Installed snapState = new Installed(snap, revision, tracking, versionOf(snap, revision));
        snapState.services.addAll(List.of(services));
        installed.put(snap, snapState);
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
        publish(snap, channel, revision);
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

    /** How long an answer that needed the unreachable store is held back (outside the state's lock). */
    synchronized Duration storeDelay(String target) {
        boolean asksStore = target.startsWith("/v2/find") || target.startsWith("/v2/snaps/");
        return storeUnreachable && asksStore ? storeDelay : Duration.ZERO;
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
            return error(e.status, e.getMessage(), e.kind, e.value);
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
            if (wanted.isEmpty() || wanted.contains(snap.name)) {
                result.add(localSnap(snap));
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
        json.put("type", "app");
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
        if (!snap.inactive.contains(service)) {
            json.put("active", true);
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
            if (storeUnreachable) {
                throw new ApiError(500, "cannot list updates: " + unreachableStore("/v2/snaps/refresh"), "", null);
            }
            List<Object> result = new ArrayList<>();
            for (Installed snap : installed.values()) {
                Release head = snap.tracking.isEmpty() ? null
                        : store.getOrDefault(snap.name, Map.of()).get(snap.tracking);
                if (head != null && head.revision() != snap.revision) {
                    result.add(storeSnap(snap.name, snap.tracking, head));
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
            throw new ApiError(500, unreachableStore("/v2/snaps/info/" + name), "", null);
        }
        Map<String, Release> channels = store.get(name);
        if (channels == null) {
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
    private static String unreachableStore(String path) {
        return "Get \"http://127.0.0.1:18765" + path + "\": dial tcp 127.0.0.1:18765: connect: connection refused";
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
        conflict(name);
        String channel = instruction.get("channel") instanceof String c && !c.isEmpty() ? c : snap.tracking;
        if (storeUnreachable) {
            throw new ApiError(400, unreachableStore("/v2/snaps/refresh"), "network-timeout", "");
        }
        Map<String, Release> channels = store.getOrDefault(name, Map.of());
        int revision;
        if (instruction.containsKey("revision")) {
            revision = parseRevision(instruction.get("revision"));
            if (!published.getOrDefault(name, Map.of()).containsKey(revision) && revision != snap.revision
                    && !snap.previous.contains(revision)) {
                throw new ApiError(404, "no snap revision available as specified", "snap-revision-not-available",
                        name);
            }
        } else {
            Release head = channels.get(channel);
            if (head == null) {
                throw new ApiError(404, "no snap revision on specified channel", "snap-channel-not-available", name);
            }
            revision = head.revision();
        }
        if (revision == snap.revision && channel.equals(snap.tracking)) {
            throw new ApiError(400, "snap has no updates available", "snap-no-update-available", name);
        }
        if (revision == snap.revision) {
            // snapstate.go UpdateWithDeviceContext: nothing to download, only the tracked channel changes
            Change change = newChange("refresh-snap", "Refresh \"" + name + "\" snap from \"" + channel
                    + "\" channel", Optional.of(name));
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
        String rev = " (" + revision + ")";
        Change change = newChange("refresh-snap", channel.equals("stable") || channel.isEmpty()
                ? "Refresh \"" + name + "\" snap" : "Refresh \"" + name + "\" snap from \"" + channel + "\" channel",
                Optional.of(name));
        addTask(change, "prerequisites", "Ensure prerequisites for \"" + name + "\" are available");
        addTask(change, "download-snap", "Download snap \"" + name + "\"" + rev + " from channel \"" + channel + "\"");
        addTask(change, "validate-snap", "Fetch and check assertions for snap \"" + name + "\"" + rev);
        addTask(change, "mount-snap", "Mount snap \"" + name + "\"" + rev);
        addTask(change, "stop-snap-services", "Stop snap \"" + name + "\" services");
        addTask(change, "unlink-current-snap", "Make current revision for snap \"" + name + "\" unavailable");
        addTask(change, "copy-snap-data", "Copy snap \"" + name + "\" data");
        addTask(change, "setup-profiles", "Setup snap \"" + name + "\"" + rev + " security profiles");
        addTask(change, "link-snap", "Make snap \"" + name + "\"" + rev + " available to the system");
        addTask(change, "start-snap-services", "Start snap \"" + name + "\"" + rev + " services");
        addTask(change, "cleanup", "Clean up \"" + name + "\"" + rev + " install");
        change.plan = plan;
        change.fromRevision = snap.revision;
        change.fromChannel = snap.tracking;
        change.toRevision = revision;
        change.toChannel = channel;
        change.status = "Doing";
        advance();
        return async(change.id);
    }

    private Reply revert(String name) {
        Installed snap = installed.get(name);
        if (snap == null || snap.previous.isEmpty()) {
            throw new ApiError(400, "cannot revert \"" + name + "\": no revision to revert to", "", null);
        }
        conflict(name);
        int previous = snap.previous.pop();
        String rev = " (" + previous + ")";
        Change change = newChange("revert-snap", "Revert \"" + name + "\" snap", Optional.of(name));
        addTask(change, "prerequisites", "Ensure prerequisites for \"" + name + "\" are available");
        addTask(change, "stop-snap-services", "Stop snap \"" + name + "\" services");
        addTask(change, "unlink-current-snap", "Make current revision for snap \"" + name + "\" unavailable");
        addTask(change, "setup-profiles", "Setup snap \"" + name + "\"" + rev + " security profiles");
        addTask(change, "link-snap", "Make snap \"" + name + "\"" + rev + " available to the system");
        addTask(change, "start-snap-services", "Start snap \"" + name + "\"" + rev + " services");
        snap.revision = previous;
        snap.version = versionOf(name, previous);
        snap.inactive.clear();
        change.tasks.forEach(t -> finishTask(t, "Done"));
        finish(change, "Done", "");
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
        value.put("snap-name", name);
        value.put("change-kind", kind);
        return new ApiError(409, "snap \"" + name + "\" has \"" + kind + "\" change in progress",
                "snap-change-conflict", value);
    }

    /** Moves every refresh in progress along by the clock, its plan and releases. */
    private void advance() {
        Instant now = clock.instant();
        for (Change change : changes.values()) {
            if (change.plan == null || change.ready) {
                continue;
            }
            RefreshPlan plan = change.plan;
            String snapName = change.snap.orElseThrow();
            Duration elapsed = Duration.between(change.spawn, now);
            boolean mayLink = elapsed.compareTo(plan.linkAfter()) >= 0;
            boolean mayFinish = elapsed.compareTo(plan.doneAfter()) >= 0 && !heldServiceStarts.contains(snapName);
            if (!change.linked) {
                if (!mayLink) {
                    markUpTo(change, "download-snap");
                    continue;
                }
                link(change);
            }
            if (!mayFinish) {
                markUpTo(change, "start-snap-services");
                continue;
            }
            Optional<String> failure = plan.failure();
            if (failure.isEmpty() && brokenRevisions.getOrDefault(snapName, Set.of()).contains(change.toRevision)) {
                failure = Optional.of("cannot start service(s) of snap \"" + snapName + "\" (" + change.toRevision
                        + "): failed to start");
            }
            if (failure.isPresent()) {
                undo(change, failure.get());
            } else {
                Installed snap = installed.get(change.snap.orElseThrow());
                snap.inactive.clear();
                change.tasks.forEach(t -> finishTask(t, "Done"));
                finish(change, "Done", "");
            }
        }
    }

    /** Tasks before {@code kind} are Done, {@code kind} is Doing, later ones wait in Do. */
    private void markUpTo(Change change, String kind) {
        boolean reached = false;
        for (Task task : change.tasks) {
            if (task.kind.equals(kind)) {
                task.status = "Doing";
                reached = true;
            } else if (!reached && !task.status.equals("Done")) {
                finishTask(task, "Done");
            }
        }
    }

    private void link(Change change) {
        markUpTo(change, "link-snap");
        Installed snap = installed.get(change.snap.orElseThrow());
        snap.previous.push(snap.revision);
        snap.revision = change.toRevision;
        snap.tracking = change.toChannel;
        snap.version = versionOf(snap.name, change.toRevision);
        change.linked = true;
        markUpTo(change, "start-snap-services");
    }

    /**
     * start-snap-services fails: the tasks done so far are undone in reverse (Undone), the failed one is Error
     * with its log line, the rest Hold; the snap is back on its old revision and channel.
     */
    private void undo(Change change, String message) {
        Instant now = clock.instant();
        boolean failed = false;
        for (Task task : change.tasks) {
            if (task.kind.equals("start-snap-services")) {
                task.log.add(timestamp(now) + " ERROR " + message);
                finishTask(task, "Error");
                failed = true;
            } else if (failed) {
                finishTask(task, "Hold");
            } else {
                finishTask(task, "Undone");
            }
        }
        Installed snap = installed.get(change.snap.orElseThrow());
        snap.revision = change.fromRevision;
        snap.tracking = change.fromChannel;
        snap.version = versionOf(snap.name, change.fromRevision);
        if (!snap.previous.isEmpty()) {
            snap.previous.pop();
        }
        String failedTask = change.tasks.stream().filter(t -> t.status.equals("Error")).findFirst()
                .map(t -> t.summary).orElse("");
        finish(change, "Error", "cannot perform the following tasks:\n- " + failedTask + " (" + message + ")");
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
            for (String name : snaps) {
                Installed snap = installed.get(name);
                if (snap == null) {
                    throw new ApiError(400, "snap \"" + name + "\" is not installed", "snap-not-installed", name);
                }
                snap.hold = Optional.of(until);
            }
        } else {
            if (snaps.isEmpty()) {
                config.remove("refresh.hold");
            }
            for (String name : snaps) {
                Installed snap = installed.get(name);
                if (snap == null) {
                    throw new ApiError(400, "snap \"" + name + "\" is not installed", "snap-not-installed", name);
                }
                snap.hold = Optional.empty();
            }
        }
        String summary = action.equals("hold") ? "Hold general refreshes for " + quoted(snaps)
                : "Remove refresh hold on " + quoted(snaps);
        Change change = newChange(action + "-snap", summary, Optional.empty());
        finish(change, "Done", "");
        return async(change.id);
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
                String missing = missingPart(owner.equals("core") ? config.keySet() : Set.of(), key);
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

    /** The shortest prefix of {@code key} that no set option starts with (overlord/configstate/config). */
    private static String missingPart(Set<String> keys, String key) {
        String[] parts = key.split("\\.");
        String prefix = "";
        for (String part : parts) {
            prefix = prefix.isEmpty() ? part : prefix + "." + part;
            String candidate = prefix;
            if (keys.stream().noneMatch(k -> k.equals(candidate) || k.startsWith(candidate + "."))) {
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
        if (!query.getOrDefault("json", "").equals("headers") && !query.getOrDefault("json", "").equals("true")) {
            throw new ApiError(400, "this fake answers assertions as JSON only (json=headers)", "", null);
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

        ApiError(int status, String message, String kind, Object value) {
            super(message, null, false, false);
            this.status = status;
            this.kind = kind;
            this.value = value;
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
