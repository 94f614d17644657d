package io.snapcoherence.juju;

import io.snapcoherence.Json;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A directory of emulated Juju hook tools ({@code tests/fake-juju-tools/fake-juju-tool}) with the state they
 * answer from, for tests that spawn real processes. Lay out the model with the setters, run a process with
 * {@link #environment(Map)}, then read what the tools received with {@link #calls()}.
 */
public final class FakeJuju {
    private static final String SCRIPT = "tests/fake-juju-tools/fake-juju-tool";

    private final Path toolsDir;
    private final Path stateDir;

    private FakeJuju(Path toolsDir, Path stateDir) {
        this.toolsDir = toolsDir;
        this.stateDir = stateDir;
    }

    /** Installs the tools under {@code root/tools} and an empty model for {@code unit} under {@code root/state}. */
    public static FakeJuju create(Path root, String unit) {
        Path tools = root.resolve("tools");
        Path state = root.resolve("state");
        try {
            Files.createDirectories(state);
            Process install = new ProcessBuilder("/bin/sh", script().toString(), "--install", tools.toString())
                    .redirectErrorStream(true).start();
            String output = new String(install.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (install.waitFor() != 0) {
                throw new IllegalStateException("cannot install fake Juju tools: " + output);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        FakeJuju juju = new FakeJuju(tools, state);
        juju.write("unit", unit);
        return juju;
    }

    /** The repository root: Maven runs tests from it; {@code basedir} says so when set. */
    public static Path repoRoot() {
        return Path.of(System.getProperty("basedir", System.getProperty("user.dir"))).toAbsolutePath();
    }

    static Path script() {
        return repoRoot().resolve(SCRIPT);
    }

    public Path toolsDir() {
        return toolsDir;
    }

    public Path stateDir() {
        return stateDir;
    }

    public FakeJuju leader(boolean leader) {
        return write("leader", Boolean.toString(leader));
    }

    public FakeJuju config(Map<String, ?> config) {
        return write("config.json", Json.write(config));
    }

    public FakeJuju unitStore(Map<String, String> store) {
        return write("state.json", Json.write(store));
    }

    /** Makes action tools work, as during {@code juju run <unit> <name>}. */
    public FakeJuju action(String name, Map<String, ?> params) {
        write("action", name);
        return write("action-params.json", Json.write(params));
    }

    /** A relation {@code <endpoint>:<n>} with the other side's application name. */
    public FakeJuju relation(String relationId, String remoteApp) {
        return write(relationPath(relationId, "remote-app"), remoteApp);
    }

    /** A unit databag in a relation; the unit's own databag too, which relation-list leaves out. */
    public FakeJuju unitData(String relationId, String unit, Map<String, String> data) {
        return write(relationPath(relationId, "units/" + unit + ".json"), Json.write(data));
    }

    public FakeJuju appData(String relationId, String app, Map<String, String> data) {
        return write(relationPath(relationId, "apps/" + app + ".json"), Json.write(data));
    }

    /** Writes a tool's raw answer file, e.g. to make its output unparseable. */
    public FakeJuju rawFile(String name, String content) {
        return write(name, content);
    }

    /** Makes {@code tool} print {@code ERROR <reason>} and exit 1. */
    public FakeJuju fail(String tool, String reason) {
        return write("fail/" + tool, reason);
    }

    /**
     * A hook process environment as Juju gives it: nothing inherited, PATH = the tools and /usr/bin:/bin,
     * plus {@code juju} (JUJU_* variables) and the state directory for the tools.
     */
    public Map<String, String> environment(Map<String, String> juju) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PATH", toolsDir + ":/usr/bin:/bin");
        env.put("LANG", "C.UTF-8");
        env.put("FAKE_JUJU_STATE", stateDir.toString());
        env.putAll(juju);
        return env;
    }

    /** One tool call as the tool received it. */
    public record Call(String tool, List<String> args, Optional<String> stdin, int exit) {
        public List<String> argv() {
            List<String> argv = new ArrayList<>();
            argv.add(tool);
            argv.addAll(args);
            return argv;
        }
    }

    /** Every call so far, in order. */
    public List<Call> calls() {
        Path log = stateDir.resolve("calls.jsonl");
        if (!Files.exists(log)) {
            return List.of();
        }
        try {
            List<Call> calls = new ArrayList<>();
            for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
                Map<String, Object> node = Json.objectMap(line);
                List<String> args = new ArrayList<>();
                ((List<?>) node.get("args")).forEach(arg -> args.add((String) arg));
                Optional<String> stdin = Optional.ofNullable((String) node.get("stdin"));
                calls.add(new Call((String) node.get("tool"), args, stdin, ((Number) node.get("exit")).intValue()));
            }
            return calls;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public List<Call> calls(String tool) {
        return calls().stream().filter(call -> call.tool().equals(tool)).toList();
    }

    /**
     * Commits the unit-store and databag writes logged so far, as Juju does when a hook succeeds: {@code state-set}
     * and {@code relation-set} (this unit's databag, or with {@code --app} its application's) merge into what the
     * tools answer next, an empty value removing the key (as Juju's tools do). Then starts a new log, so the next
     * hook's calls are its own.
     */
    public FakeJuju keepWrites() {
        String unit = read("unit").orElse("snap-coherence/0");
        String app = unit.substring(0, unit.indexOf('/'));
        for (Call call : calls()) {
            if (call.stdin().isEmpty()) {
                continue;
            }
            Map<String, String> written = Json.stringMap(call.stdin().get());
            if (call.tool().equals("state-set")) {
                merge("state.json", written);
            } else if (call.tool().equals("relation-set")) {
                String relation = call.args().get(call.args().indexOf("-r") + 1);
                merge(relationPath(relation, call.args().contains("--app") ? "apps/" + app + ".json"
                        : "units/" + unit + ".json"), written);
            }
        }
        try {
            Files.deleteIfExists(stateDir.resolve("calls.jsonl"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    /** The unit store ({@code state-get}), as the tools answer it now. */
    public Map<String, String> unitStore() {
        return read("state.json").map(Json::stringMap).orElse(Map.of());
    }

    /** A unit's databag in a relation, as the tools answer it now. */
    public Map<String, String> unitData(String relationId, String unit) {
        return read(relationPath(relationId, "units/" + unit + ".json")).map(Json::stringMap).orElse(Map.of());
    }

    /** An application's databag in a relation, as the tools answer it now. */
    public Map<String, String> appData(String relationId, String app) {
        return read(relationPath(relationId, "apps/" + app + ".json")).map(Json::stringMap).orElse(Map.of());
    }

    private void merge(String name, Map<String, String> written) {
        Map<String, String> data = new LinkedHashMap<>(read(name).map(Json::stringMap).orElse(Map.of()));
        written.forEach((key, value) -> {
            if (value.isEmpty()) {
                data.remove(key);
            } else {
                data.put(key, value);
            }
        });
        write(name, Json.write(data));
    }

    private Optional<String> read(String name) {
        Path file = stateDir.resolve(name);
        try {
            return Files.exists(file) ? Optional.of(Files.readString(file, StandardCharsets.UTF_8).strip())
                    : Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The only call so far; fails when there was not exactly one. */
    public Call onlyCall() {
        List<Call> calls = calls();
        if (calls.size() != 1) {
            throw new AssertionError("expected exactly one hook tool call, got " + calls);
        }
        return calls.get(0);
    }

    private FakeJuju write(String name, String content) {
        io.snapcoherence.testing.TestFiles.write(stateDir, name, content);
        return this;
    }

    private static String relationPath(String relationId, String rest) {
        return "relations/" + relationId + "/" + rest;
    }
}
