package io.snapcoherence.snap;

import io.snapcoherence.Json;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.TreeMap;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * snapd's REST API on its UNIX socket, the API the {@code snap} CLI is a client of: JSON answers instead of the
 * CLI's shortened tables, snapd's typed error kinds, and no process per call. Each request is one HTTP/1.0
 * exchange ({@link UnixSocketHttp}) under a time limit; an answer is read as snapd's envelope
 * ({@code {"type": "sync"|"async"|"error", "status-code", "result", "change"}}, daemon/response.go), and every
 * failure becomes a {@link SnapException}: no socket or a restarting daemon {@link SnapError.SnapdUnavailable},
 * no answer in time {@link SnapError.Timeout}, an answer that is not snapd's envelope
 * {@link SnapError.BadResponse} naming the request, an error answer by its kind ({@link SnapdErrors}).
 *
 * <p>Plain loops and conditions, no lambdas: every hook runs this code interpreted, and a lambda the build's
 * training run did not meet is generated at run time (docs/performance.md).
 */
public final class SnapdClient implements Snaps {
    /** Where snapd listens (dirs/dirs.go: SnapdSocket = &lt;root&gt;/run/snapd.socket). */
    public static final Path SOCKET = Path.of("/run/snapd.socket");
    /**
     * snapd's own client puts its root directory in front of the socket path when this is set (dirs/dirs.go
     * SetRootDir); so does this client, which lets tests, the benchmark and the build's training run point the
     * charm and the {@code snap} CLI alike at a fake snapd. Juju sets no such variable in a hook.
     */
    public static final String ROOT_VARIABLE = "SNAPPY_GLOBAL_ROOT";
    /**
     * The largest answer read. The largest the charm asks for are a store channel map ({@code /v2/find?name=} of a
     * snap with many tracks, tens of kB) and {@code /v2/snaps} of a machine with many snaps (a few kB per snap).
     */
    static final int MAX_RESPONSE_BYTES = 4 << 20;
    private static final Pattern SNAP_NAME = Pattern.compile("[a-z0-9][a-z0-9-]*(_[a-z0-9]+)?");
    private static final Pattern CONFIG_KEY = Pattern.compile("[a-z][a-z0-9-]*(\\.[a-z0-9][a-z0-9-]*)*");
    private static final Pattern CHANGE_ID = Pattern.compile("[0-9A-Za-z-]+");

    /**
     * Time limits. {@code local}: requests snapd answers from its own state (it holds its state lock while working
     * on changes, so a busy snapd takes a while). {@code store}: requests during which snapd asks the store
     * (find, refresh candidates, starting a refresh). snapd's store client retries a store it cannot reach six
     * times, 0.5 s apart growing by 2.5 (store/store.go defaultRetryStrategy): 32.2 s for a refused connection
     * before snapd answers "cannot refresh ...: connect: connection refused" (observed on 2.57.6); the limit lets
     * that answer through, so the status names the store rather than a silent snapd. A store whose every attempt
     * hangs takes longer (up to snapd's 38 s cap plus an attempt) and ends here as a Timeout; both are transient.
     * {@code configure}: setting an option and waiting for snapd's configure change. {@code firstPoll}: the first
     * pause of {@link #await}, doubled up to a second.
     */
    public record Limits(Duration local, Duration store, Duration configure, Duration firstPoll) {
        public static final Limits DEFAULT = new Limits(Duration.ofSeconds(10), Duration.ofSeconds(36),
                Duration.ofSeconds(15), Duration.ofMillis(50));
    }

    private final UnixSocketHttp http;
    private final Limits limits;

    public SnapdClient(Path socket) {
        this(socket, Limits.DEFAULT, MAX_RESPONSE_BYTES);
    }

    SnapdClient(Path socket, Limits limits, int maxResponseBytes) {
        this.http = new UnixSocketHttp(socket, maxResponseBytes);
        this.limits = limits;
    }

    /** The socket as snapd's own client finds it in {@code environment} (read once, by Main). */
    public static Path socketPath(Map<String, String> environment) {
        String root = environment.getOrDefault(ROOT_VARIABLE, "");
        return root.isEmpty() ? SOCKET : Path.of(root, "run", "snapd.socket");
    }

    // ---- the machine ---------------------------------------------------------------------------------------

    /**
     * daemon/api_general.go sysInfo: "version", "architecture" (dpkg name), "refresh": {hold, last} if set. Local
     * limit.
     */
    @Override
    public SystemInfo systemInfo() {
        Request request = Request.get("/v2/system-info", limits.local(), SnapdErrors.Subject.none());
        Map<String, Object> info = object(request, sync(request));
        Map<String, Object> refresh = info.containsKey("refresh")
                ? object(request, info.get("refresh"), "refresh") : Map.of();
        return new SystemInfo(string(request, info, "version"), string(request, info, "architecture"),
                time(request, refresh, "hold"), time(request, refresh, "last"));
    }

    /**
     * daemon/api_snaps.go getSnapsInfo; each entry is a client.Snap: "revision" is a string ("x1" for a local
     * revision, read as -1 as snapd counts them), "tracking-channel" is absent for a local snap, "hold" (2.58+) a
     * time (a hold "forever" is now plus about 292 years, overlord/snapstate/autorefresh.go). Local limit.
     */
    @Override
    public List<InstalledSnap> list() {
        Request request = Request.get("/v2/snaps", limits.local(), SnapdErrors.Subject.none());
        List<InstalledSnap> snaps = new ArrayList<>();
        for (Object item : list(request, sync(request))) {
            Map<String, Object> snap = object(request, item, "snap");
            snaps.add(new InstalledSnap(string(request, snap, "name"), optionalString(request, snap, "version"),
                    revision(request, snap), optionalString(request, snap, "tracking-channel"),
                    time(request, snap, "hold")));
        }
        return snaps;
    }

    /**
     * daemon/api_snaps.go getSnapsInfo with select=all: allLocalSnapInfos appends each snap's revisions in the order
     * of its sequence (one snap's entries together, snaps in no fixed order); mapLocal says "active" for the current
     * revision of an active snap, "installed" otherwise. Local limit.
     */
    @Override
    public Map<String, List<Integer>> laterRevisions() {
        Request request = Request.get("/v2/snaps?select=all", limits.local(), SnapdErrors.Subject.none());
        Map<String, List<Integer>> sequences = new LinkedHashMap<>();
        Map<String, Integer> current = new HashMap<>();
        for (Object item : list(request, sync(request))) {
            Map<String, Object> snap = object(request, item, "snap");
            String name = string(request, snap, "name");
            List<Integer> sequence = sequences.computeIfAbsent(name, n -> new ArrayList<>());
            if ("active".equals(snap.get("status"))) {
                current.put(name, sequence.size());
            }
            sequence.add(revision(request, snap));
        }
        Map<String, List<Integer>> later = new TreeMap<>();
        current.forEach((name, at) -> {
            List<Integer> sequence = sequences.get(name);
            if (at + 1 < sequence.size()) {
                later.put(name, List.copyOf(sequence.subList(at + 1, sequence.size())));
            }
        });
        return later;
    }

    /**
     * daemon/api_apps.go getAppsInfo without names: every service of every installed snap (asking by name fails
     * for a snap without services). client.AppInfo leaves out "enabled"/"active" when false. Local limit.
     */
    @Override
    public List<SnapService> services() {
        Request request = Request.get("/v2/apps?select=service", limits.local(), SnapdErrors.Subject.none());
        List<SnapService> services = new ArrayList<>();
        for (Object item : list(request, sync(request))) {
            Map<String, Object> app = object(request, item, "app");
            services.add(new SnapService(string(request, app, "snap"), string(request, app, "name"),
                    flag(request, app, "enabled"), flag(request, app, "active")));
        }
        return services;
    }

    // ---- the store, as this machine sees it ----------------------------------------------------------------

    /** daemon/api_find.go storeUpdates: snapstate.RefreshCandidates as client.Snap entries. Store limit. */
    @Override
    public List<RefreshCandidate> refreshCandidates() {
        Request request = Request.get("/v2/find?select=refresh", limits.store(), SnapdErrors.Subject.store());
        List<RefreshCandidate> candidates = new ArrayList<>();
        for (Object item : list(request, sync(request))) {
            Map<String, Object> snap = object(request, item, "snap");
            candidates.add(new RefreshCandidate(string(request, snap, "name"), optionalString(request, snap, "channel"),
                    revision(request, snap), optionalString(request, snap, "version")));
        }
        return candidates;
    }

    // ---- changes -------------------------------------------------------------------------------------------

    /**
     * daemon/api_snaps.go postSnap → snapUpdate: snapd asks the store for the revision within the request, so it
     * has the store limit. The revision goes as a string, as snapd's client sends it (client/snap_op.go).
     */
    @Override
    public String startRefresh(String snap, String channel, int revision) {
        requireSnap(snap);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("action", "refresh");
        body.put("channel", channel);
        body.put("revision", String.valueOf(revision));
        return async(Request.post("/v2/snaps/" + snap, body, limits.store(), SnapdErrors.Subject.snap(snap, true)));
    }

    /** daemon/api_snaps.go snapRevert: no store. Local limit. */
    @Override
    public String startRevert(String snap) {
        requireSnap(snap);
        return async(Request.post("/v2/snaps/" + snap, Map.of("action", "revert"), limits.local(),
                SnapdErrors.Subject.snap(snap, false)));
    }

    /**
     * daemon/api_general.go getChange/change2changeInfo: "status" is overlord/state's Status.String(), "err"
     * (change.go Change.Err) is set only in Error status; otherwise a failed change's story is in its failed
     * tasks' log lines ("&lt;time&gt; ERROR &lt;text&gt;", overlord/state/task.go addLog). Local limit.
     */
    @Override
    public Change change(String id) {
        return change(id, limits.local());
    }

    private Change change(String id, Duration limit) {
        if (!CHANGE_ID.matcher(id).matches()) {
            throw new IllegalArgumentException("not a snapd change id: " + id);
        }
        Request request = Request.get("/v2/changes/" + id, limit, SnapdErrors.Subject.none());
        return changeOf(request, object(request, sync(request)));
    }

    /**
     * daemon/api_general.go getChanges with select=in-progress and for=&lt;snap&gt;: the changes not ready whose
     * "snap-names" name the snap (a refresh, revert or install of it, not a hold). Local limit.
     */
    @Override
    public List<Change> changesInProgress(String snap) {
        requireSnap(snap);
        Request request = Request.get("/v2/changes?select=in-progress&for=" + encode(snap), limits.local(),
                SnapdErrors.Subject.snap(snap, false));
        List<Change> changes = new ArrayList<>();
        for (Object item : list(request, sync(request))) {
            changes.add(changeOf(request, object(request, item, "change")));
        }
        return changes;
    }

    private static Change changeOf(Request request, Map<String, Object> change) {
        String status = string(request, change, "status");
        boolean ready = flag(request, change, "ready");
        String err = optionalString(request, change, "err");
        Optional<String> error = err.isEmpty() ? Optional.empty() : Optional.of(err);
        if (error.isEmpty() && ready && !status.equals("Done")) {
            error = failedTaskLogs(request, change);
        }
        return new Change(string(request, change, "id"), optionalString(request, change, "kind"), status, ready,
                error);
    }

    /**
     * Polls like {@code snap watch} (cmd/snap/wait.go, every 100 ms), starting sooner and backing off to a second:
     * most changes the charm awaits are done within the first polls, a download takes seconds or minutes. Each poll
     * has the local limit, cut to the time left of {@code wait} (at least a second).
     */
    @Override
    public Change await(String id, Duration wait) {
        long deadline = System.nanoTime() + wait.toNanos();
        Duration pause = limits.firstPoll();
        while (true) {
            long left = deadline - System.nanoTime();
            // Each poll may take the local limit, but not much longer than the wait asked for.
            Duration limit = Duration.ofNanos(Math.min(limits.local().toNanos(),
                    Math.max(left, Duration.ofSeconds(1).toNanos())));
            Change change = change(id, limit);
            left = deadline - System.nanoTime();
            if (change.ready() || left <= 0) {
                return change;
            }
            sleep(Duration.ofNanos(Math.min(pause.toNanos(), left)));
            pause = pause.multipliedBy(2).compareTo(Duration.ofSeconds(1)) > 0 ? Duration.ofSeconds(1)
                    : pause.multipliedBy(2);
        }
    }

    // ---- configuration, assertions, holds ------------------------------------------------------------------

    /**
     * daemon/api_asserts.go doAssert: 400 "cannot decode request body into assertions: ..." for what is not an
     * assertion stream, 400 "assert failed: ..." for what snapd will not accept (signature, prerequisites). An
     * empty body is accepted silently by snapd (observed, snapd.md), so it is refused here instead of sent. Local
     * limit.
     */
    @Override
    public void ack(byte[] assertions) {
        Request request = Request.raw("POST", "/v2/assertions", assertions, "application/x.ubuntu.assertion",
                limits.local(), SnapdErrors.Subject.none());
        if (new String(assertions, StandardCharsets.UTF_8).isBlank()) {
            throw new SnapException(new SnapError.AssertionsRejected(
                    "empty assertion stream (not sent: snapd would acknowledge it silently)"));
        }
        try {
            sync(request);
        } catch (SnapException e) {
            if (e.error() instanceof SnapError.Other other && other.status() == 400) {
                throw new SnapException(new SnapError.AssertionsRejected(other.message()));
            }
            throw e;
        }
    }

    /** daemon/api_asserts.go assertsFindMany with json=headers: [{"headers": {"store", "url", ...}}]. Local limit. */
    @Override
    public List<StoreAssertion> knownStores() {
        Request request = Request.get("/v2/assertions/store?json=headers", limits.local(),
                SnapdErrors.Subject.none());
        List<StoreAssertion> stores = new ArrayList<>();
        for (Object item : list(request, sync(request))) {
            Map<String, Object> headers = object(request, object(request, item, "assertion").get("headers"),
                    "headers");
            String url = optionalString(request, headers, "url");
            stores.add(new StoreAssertion(string(request, headers, "store"),
                    url.isEmpty() ? Optional.empty() : Optional.of(url)));
        }
        return stores;
    }

    /**
     * daemon/api_snap_conf.go getSnapConf ("system" is "core" there): {key: value}, 400 option-not-found when
     * the option is not set. An option set to the empty string is present and empty. Local limit.
     */
    @Override
    public Optional<String> getSystem(String key) {
        requireKey(key);
        Request request = Request.get("/v2/snaps/system/conf?keys=" + encode(key), limits.local(),
                SnapdErrors.Subject.key(key));
        Object result;
        try {
            result = sync(request);
        } catch (SnapException e) {
            if (e.error() instanceof SnapError.NoSuchOption) {
                return Optional.empty();
            }
            throw e;
        }
        Map<String, Object> values = object(request, result);
        if (!values.containsKey(key)) {
            throw bad(request, "no value for " + key);
        }
        Object value = values.get(key);
        return value == null ? Optional.empty() : Optional.of(value instanceof String s ? s : Json.write(value));
    }

    /**
     * daemon/api_snap_conf.go setSnapConf starts a configure change; snapd's own checks of the value run in that
     * change (for proxy.store: configcore/proxy.go), so the call waits for it: request and change together within
     * the configure limit.
     */
    @Override
    public void setSystem(String key, String value) {
        configure(key, value);
    }

    /** A JSON null removes the option (config.Transaction.Set with nil), unlike an empty string. Configure limit. */
    @Override
    public void unsetSystem(String key) {
        configure(key, null);
    }

    private void configure(String key, String value) {
        requireKey(key);
        long start = System.nanoTime();
        Map<String, Object> patch = new LinkedHashMap<>();
        patch.put(key, value);
        Request request = new Request("PUT", "/v2/snaps/system/conf", Optional.of(Json.write(patch)
                .getBytes(StandardCharsets.UTF_8)), "application/json", limits.configure(),
                SnapdErrors.Subject.key(key));
        String id = async(request);
        Duration left = limits.configure().minus(Duration.ofNanos(System.nanoTime() - start));
        Change change = await(id, left.isNegative() ? Duration.ZERO : left);
        if (!change.ready()) {
            throw new SnapException(new SnapError.Timeout(request.describe() + ": configure change " + id
                    + " still " + change.status() + " after " + limits.configure().toSeconds() + "s"));
        }
        if (change.failed()) {
            throw new SnapException(SnapdErrors.configureFailed(change.error()
                    .orElse("configure change " + id + " ended " + change.status())));
        }
    }

    /**
     * snapd ≥ 2.58 (daemon/api_snaps.go snapHoldMany): "time" forever or RFC 3339, "hold-level" general (what
     * {@code snap refresh --hold <snap>} sends, cmd/snap/cmd_snap_op.go). The change it answers is Done at once
     * (no tasks). snapd 2.57 answers 400 "unsupported multi-snap operation \"hold\"". Local limit.
     */
    @Override
    public void hold(List<String> snaps) {
        holdRequest("hold", snaps);
    }

    /** Without names snapd would release the system-wide refresh.hold: never sent. */
    @Override
    public void unhold(List<String> snaps) {
        holdRequest("unhold", snaps);
    }

    private void holdRequest(String action, List<String> snaps) {
        if (snaps.isEmpty()) {
            return;
        }
        for (String snap : snaps) {
            requireSnap(snap);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("action", action);
        body.put("snaps", List.copyOf(snaps));
        if (action.equals("hold")) {
            body.put("time", "forever");
            body.put("hold-level", "general");
        }
        async(Request.post("/v2/snaps", body, limits.local(), SnapdErrors.Subject.none()));
    }

    // ---- the exchange --------------------------------------------------------------------------------------

    /** One request: what it is, how long it may take, and what its errors are about. */
    private record Request(String method, String target, Optional<byte[]> body, String contentType, Duration limit,
                           SnapdErrors.Subject subject) {
        static Request get(String target, Duration limit, SnapdErrors.Subject subject) {
            return new Request("GET", target, Optional.empty(), "", limit, subject);
        }

        static Request post(String target, Map<String, Object> json, Duration limit, SnapdErrors.Subject subject) {
            return new Request("POST", target, Optional.of(Json.write(json).getBytes(StandardCharsets.UTF_8)),
                    "application/json", limit, subject);
        }

        static Request raw(String method, String target, byte[] body, String contentType, Duration limit,
                           SnapdErrors.Subject subject) {
            return new Request(method, target, Optional.of(body), contentType, limit, subject);
        }

        String describe() {
            return method + " " + target;
        }
    }

    /** The "result" of a sync answer. */
    private Object sync(Request request) {
        Map<String, Object> envelope = exchange(request);
        if (!"sync".equals(envelope.get("type"))) {
            throw bad(request, "expected a sync answer, got type " + envelope.get("type"));
        }
        return envelope.get("result");
    }

    /** The change id of an async answer (202). */
    private String async(Request request) {
        Map<String, Object> envelope = exchange(request);
        if (!"async".equals(envelope.get("type"))) {
            throw bad(request, "expected an async answer, got type " + envelope.get("type"));
        }
        if (!(envelope.get("change") instanceof String id) || !CHANGE_ID.matcher(id).matches()) {
            throw bad(request, "async answer without a change id");
        }
        return id;
    }

    /** The envelope of a sync or async answer; an error answer is thrown as its {@link SnapError}. */
    private Map<String, Object> exchange(Request request) {
        UnixSocketHttp.Response response;
        try {
            response = http.exchange(request.method(), request.target(), request.body(), request.contentType(),
                    request.limit());
        } catch (UnixSocketHttp.Unreachable e) {
            throw new SnapException(new SnapError.SnapdUnavailable(e.getMessage()));
        } catch (UnixSocketHttp.TimedOut e) {
            throw new SnapException(new SnapError.Timeout(request.describe() + " (no answer within "
                    + seconds(request.limit()) + ", " + e.getMessage() + ")"));
        } catch (UnixSocketHttp.Malformed e) {
            throw bad(request, e.getMessage());
        } catch (IOException e) {
            throw new SnapException(new SnapError.SnapdUnavailable("connection to " + http.socket() + " broke during "
                    + request.describe() + ": " + (e.getMessage() == null ? e.getClass().getSimpleName()
                    : e.getMessage())));
        }
        Map<String, Object> envelope;
        try {
            envelope = Json.objectMap(new String(response.body(), StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            throw bad(request, "HTTP " + response.status() + ", not snapd's JSON: " + e.getMessage());
        }
        Object type = envelope.get("type");
        if ("error".equals(type)) {
            throw new SnapException(error(request, response.status(), envelope));
        }
        if (!"sync".equals(type) && !"async".equals(type)) {
            throw bad(request, "HTTP " + response.status() + ", answer of type " + type);
        }
        return envelope;
    }

    private SnapError error(Request request, int httpStatus, Map<String, Object> envelope) {
        int status = envelope.get("status-code") instanceof Integer code ? code : httpStatus;
        Map<String, Object> result = object(request, envelope.get("result"), "error result");
        String message = optionalString(request, result, "message");
        String kind = optionalString(request, result, "kind");
        Optional<String> maintenance = Optional.empty();
        if (envelope.get("maintenance") instanceof Map<?, ?> m && m.get("kind") instanceof String maintenanceKind) {
            maintenance = Optional.of(maintenanceKind);
        }
        return SnapdErrors.classify(status, kind, message, result.get("value"), maintenance, request.subject());
    }

    private static Optional<String> failedTaskLogs(Request request, Map<String, Object> change) {
        List<String> lines = new ArrayList<>();
        if (change.get("tasks") instanceof List<?> tasks) {
            for (Object item : tasks) {
                Map<String, Object> task = object(request, item, "task");
                if (!"Error".equals(task.get("status")) || !(task.get("log") instanceof List<?> log)) {
                    continue;
                }
                for (Object line : log) {
                    if (line instanceof String text && text.contains(" ERROR ")) {
                        lines.add(text.substring(text.indexOf(" ERROR ") + " ERROR ".length()));
                    }
                }
            }
        }
        return lines.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", lines));
    }

    // ---- reading the JSON ----------------------------------------------------------------------------------

    private static Map<String, Object> object(Request request, Object value) {
        return object(request, value, "result");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> object(Request request, Object value, String what) {
        if (!(value instanceof Map)) {
            throw bad(request, what + " is not an object");
        }
        return (Map<String, Object>) value;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Request request, Object value) {
        if (!(value instanceof List)) {
            throw bad(request, "result is not a list");
        }
        return (List<Object>) value;
    }

    private static String string(Request request, Map<String, Object> object, String field) {
        if (!(object.get(field) instanceof String value) || value.isEmpty()) {
            throw bad(request, "no \"" + field + "\"");
        }
        return value;
    }

    /** A string field snapd leaves out when empty (omitempty). */
    private static String optionalString(Request request, Map<String, Object> object, String field) {
        Object value = object.get(field);
        if (value == null) {
            return "";
        }
        if (!(value instanceof String text)) {
            throw bad(request, "\"" + field + "\" is not a string");
        }
        return text;
    }

    private static boolean flag(Request request, Map<String, Object> object, String field) {
        Object value = object.get(field);
        if (value != null && !(value instanceof Boolean)) {
            throw bad(request, "\"" + field + "\" is not a boolean");
        }
        return Boolean.TRUE.equals(value);
    }

    /** snap/revision.go: a positive number as a string, "x&lt;n&gt;" for a local revision (-n). */
    private static int revision(Request request, Map<String, Object> object) {
        Object value = object.get("revision");
        String text = value instanceof String s ? s : value instanceof Integer i ? String.valueOf(i) : "";
        try {
            int revision = text.startsWith("x") ? -Integer.parseInt(text.substring(1)) : Integer.parseInt(text);
            if (revision != 0) {
                return revision;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw bad(request, "not a snap revision: " + value);
    }

    /** RFC 3339 as Go writes it (with or without fractions, any offset); absent or "" when unset. */
    private static Optional<Instant> time(Request request, Map<String, Object> object, String field) {
        String text = optionalString(request, object, field);
        if (text.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(OffsetDateTime.parse(text).toInstant());
        } catch (DateTimeParseException e) {
            throw bad(request, "\"" + field + "\" is not a time: " + text);
        }
    }

    private static SnapException bad(Request request, String detail) {
        return new SnapException(new SnapError.BadResponse(request.describe(), detail));
    }

    private static String seconds(Duration limit) {
        return limit.toMillis() % 1000 == 0 ? limit.toSeconds() + "s" : limit.toMillis() + "ms";
    }

    private static String encode(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8);
    }

    private static void sleep(Duration pause) {
        try {
            Thread.sleep(Math.max(1, pause.toMillis()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SnapException(new SnapError.Timeout("interrupted while waiting for a snapd change"));
        }
    }

    private static void requireKey(String key) {
        if (!CONFIG_KEY.matcher(key).matches()) {
            throw new IllegalArgumentException("not a snap configuration key: " + key);
        }
    }

    private static void requireSnap(String snap) {
        if (!SNAP_NAME.matcher(snap).matches()) {
            throw new IllegalArgumentException("not a snap name: " + snap);
        }
    }
}
