package io.snapcoherence.juju;

import io.snapcoherence.Json;
import io.snapcoherence.Processes;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The real hook tools: each call spawns the tool found on PATH with its exact argv (never through a shell),
 * values that may hold anything go on stdin, and a non-zero exit becomes a {@link HookToolException}.
 */
public final class ProcessHookTools implements HookTools {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    /**
     * Linux refuses to start a process with any single argument over 128 KiB (MAX_ARG_STRLEN), so free text
     * such as a stack trace is cut to this many chars (at most 3 UTF-8 bytes each) rather than lost.
     */
    static final int MAX_TEXT_ARGUMENT = 32_000;

    private final Optional<Path> toolsDir;
    /**
     * What each read-only tool answered in this hook, by argv: a hook reads the same config, unit store and
     * databags from several places, and each spawn costs milliseconds. Nothing else changes them during a hook
     * (Juju applies our own writes when the hook ends), and our writes drop the answers they affect.
     */
    private final Map<List<String>, String> answers = new HashMap<>();

    /** Tools found on PATH, as Juju runs a hook. */
    public ProcessHookTools() {
        this.toolsDir = Optional.empty();
    }

    /** Tools taken from {@code toolsDir} instead of PATH: lets tests run emulated tools in-process. */
    ProcessHookTools(Path toolsDir) {
        this.toolsDir = Optional.of(toolsDir.toAbsolutePath());
    }

    @Override
    public Map<String, Object> configGet() {
        return parse("config-get", Json::objectMap, "--format=json");
    }

    @Override
    public boolean isLeader() {
        // Not remembered: leadership is only guaranteed for a while after a "true", and a hook asks once anyway.
        String out = run(null, "is-leader", "--format=json").strip();
        if (!out.equals("true") && !out.equals("false")) {
            throw new HookToolException("is-leader", List.of("is-leader", "--format=json"), 0,
                    "unparseable output: expected true or false, got " + Json.abbreviate(out));
        }
        return out.equals("true");
    }

    @Override
    public GoalState goalState() {
        return parse("goal-state", GoalState::parse, "--format=json");
    }

    @Override
    public List<String> relationIds(String endpoint) {
        return parse("relation-ids", Json::stringList, endpoint, "--format=json");
    }

    @Override
    public List<String> relationList(String relationId) {
        return parse("relation-list", Json::stringList, "-r", relationId, "--format=json");
    }

    @Override
    public Map<String, String> relationGet(String relationId, String unit) {
        return parse("relation-get", Json::stringMap, "-r", relationId, "--format=json", "-", unit);
    }

    @Override
    public Map<String, String> relationGetApp(String relationId, String app) {
        return parse("relation-get", Json::stringMap, "-r", relationId, "--app", "--format=json", "-", app);
    }

    @Override
    public void relationSet(String relationId, Map<String, String> values) {
        forgetRelation(relationId);
        run(databag(values), "relation-set", "-r", relationId, "--file", "-");
    }

    @Override
    public void relationSetApp(String relationId, Map<String, String> values) {
        forgetRelation(relationId);
        run(databag(values), "relation-set", "-r", relationId, "--app", "--file", "-");
    }

    @Override
    public void statusSet(Status status) {
        run(null, "status-set", "--application=False", status.kind().jujuName(), "--", status.message());
    }

    @Override
    public void appStatusSet(Status status) {
        run(null, "status-set", "--application=True", status.kind().jujuName(), "--", status.message());
    }

    /** Not remembered: the point of the call is the controller's answer now. */
    @Override
    public Map<String, WorkloadStatus> unitStatuses() {
        String[] args = {"--application=True", "--include-data", "--format=json"};
        String out = run(null, "status-get", args);
        try {
            return WorkloadStatus.parseApplication(out);
        } catch (IllegalArgumentException e) {
            throw new HookToolException("status-get", argv("status-get", args), 0,
                    "unparseable output: " + e.getMessage());
        }
    }

    @Override
    public Map<String, String> stateGet() {
        return parse("state-get", Json::stringMap, "--format=json");
    }

    @Override
    public void stateSet(Map<String, String> values) {
        answers.remove(argv("state-get", "--format=json"));
        run(databag(values), "state-set", "--file", "-");
    }

    @Override
    public Map<String, Object> actionGet() {
        return parse("action-get", Json::objectMap, "--format=json");
    }

    @Override
    public void actionSet(Map<String, String> results) {
        if (results.isEmpty()) {
            return;
        }
        List<String> args = new ArrayList<>();
        results.forEach((key, value) -> args.add(key + "=" + value));
        run(null, "action-set", args.toArray(String[]::new));
    }

    @Override
    public void actionFail(String message) {
        run(null, "action-fail", "--", text(message));
    }

    @Override
    public void actionLog(String message) {
        run(null, "action-log", "--", text(message));
    }

    @Override
    public void log(LogLevel level, String message) {
        run(null, "juju-log", "--log-level", level.name(), "--", text(message));
    }

    @Override
    public void applicationVersionSet(String version) {
        run(null, "application-version-set", "--", version);
    }

    /** JSON is YAML, which is what {@code --file -} reads; a null value is sent as "" (delete the key). */
    private static String databag(Map<String, String> values) {
        Map<String, String> data = new LinkedHashMap<>();
        values.forEach((key, value) -> data.put(key, value == null ? "" : value));
        return Json.write(data);
    }

    private static String text(String message) {
        String suffix = "\n... (truncated)";
        return message.length() <= MAX_TEXT_ARGUMENT ? message
                : message.substring(0, MAX_TEXT_ARGUMENT - suffix.length()) + suffix;
    }

    private void forgetRelation(String relationId) {
        answers.keySet().removeIf(argv -> argv.get(0).equals("relation-get") && argv.get(2).equals(relationId));
    }

    /** A read-only tool's answer: spawned once per hook, then remembered. */
    private String read(String tool, String... args) {
        List<String> argv = argv(tool, args);
        String known = answers.get(argv);
        if (known != null) {
            return known;
        }
        String out = run(null, tool, args);
        answers.put(argv, out);
        return out;
    }

    private <T> T parse(String tool, java.util.function.Function<String, T> parser, String... args) {
        String out = read(tool, args);
        try {
            return parser.apply(out);
        } catch (IllegalArgumentException e) {
            throw new HookToolException(tool, argv(tool, args), 0, "unparseable output: " + e.getMessage());
        }
    }

    /** Runs one tool; returns its stdout. */
    private String run(String stdin, String tool, String... args) {
        List<String> argv = argv(tool, args);
        List<String> command = new ArrayList<>(argv);
        command.set(0, toolsDir.map(dir -> dir.resolve(tool).toString()).orElse(tool));
        Processes.Outcome outcome;
        try {
            outcome = Processes.run(command, Optional.ofNullable(stdin), TIMEOUT);
        } catch (IOException e) {
            throw new HookToolException(tool, argv, -1, "cannot run: " + e.getMessage());
        }
        if (outcome.timedOut()) {
            throw new HookToolException(tool, argv, outcome.exitCode(),
                    "killed after " + TIMEOUT.toSeconds() + "s. " + outcome.stderr());
        }
        if (outcome.exitCode() != 0) {
            throw new HookToolException(tool, argv, outcome.exitCode(), outcome.stderr());
        }
        return outcome.stdout();
    }

    private static List<String> argv(String tool, String... args) {
        List<String> argv = new ArrayList<>(args.length + 1);
        argv.add(tool);
        argv.addAll(List.of(args));
        return argv;
    }
}
