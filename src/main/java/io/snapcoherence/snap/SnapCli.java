package io.snapcoherence.snap;

import io.snapcoherence.Processes;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The real snap CLI: each call runs the {@code snap} binary with its exact argv (never a shell), under a
 * time limit, and a non-zero exit becomes a {@link SnapException} typed by {@link SnapErrors}.
 *
 * <p>Superseded by the REST client ({@code SnapdClient}): the requests the CLI cannot make as snapd's API does
 * (changes, refresh candidates) throw {@link UnsupportedOperationException}; SnapdClient replaces this class.
 */
public final class SnapCli implements Snaps {
    /** Store queries and configuration answer in seconds; a snapd that takes longer is stuck or seeding. */
    static final Duration QUERY_TIMEOUT = Duration.ofSeconds(30);
    private static final Pattern CONFIG_KEY = Pattern.compile("[a-z][a-z0-9-]*(\\.[a-z0-9][a-z0-9-]*)*");
    private static final Pattern SNAP_NAME = Pattern.compile("[a-z0-9][a-z0-9-]*(_[a-z0-9]+)?");

    private final Path snapBinary;

    /**
     * {@code snap} as found on PATH: Juju's hook PATH holds /usr/bin, and tests, the training run and the benchmark
     * put an emulated {@code snap} in front of it.
     */
    public SnapCli() {
        this(Path.of("snap"), Clock.systemUTC());
    }

    public SnapCli(Path snapBinary, Clock clock) {
        this.snapBinary = snapBinary;
    }

    /** What one call printed and how it exited. */
    record Outcome(int exitCode, String stdout, String stderr) {
    }

    @Override
    public void ack(byte[] assertions) {
        Path file = null;
        try {
            file = Files.createTempFile("snap-coherence-", ".assert",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.write(file, assertions);
            run(QUERY_TIMEOUT, "ack", file.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the assertions to a temporary file", e);
        } finally {
            if (file != null) {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException ignored) {
                    // /tmp is cleaned by the system; the assertions are public data.
                }
            }
        }
    }

    @Override
    public List<StoreAssertion> knownStores() {
        String out = run(QUERY_TIMEOUT, "known", "store");
        try {
            return KnownStoreParser.parse(out);
        } catch (RuntimeException e) {
            throw unparseable("known store", e);
        }
    }

    @Override
    public Optional<String> getSystem(String key) {
        requireKey(key);
        Outcome outcome = exec(QUERY_TIMEOUT, List.of("get", "system", key));
        if (outcome.exitCode() != 0) {
            SnapError error = SnapErrors.classify(outcome.exitCode(), outcome.stderr());
            if (error instanceof SnapError.NoSuchOption) {
                return Optional.empty();
            }
            throw new SnapException(error);
        }
        return Optional.of(outcome.stdout().strip()).filter(v -> !v.isEmpty());
    }

    @Override
    public void setSystem(String key, String value) {
        requireKey(key);
        run(QUERY_TIMEOUT, "set", "system", key + "=" + value);
    }

    @Override
    public void unsetSystem(String key) {
        requireKey(key);
        run(QUERY_TIMEOUT, "unset", "system", key);
    }

    @Override
    public SystemInfo systemInfo() {
        return new SystemInfo(version().snapd(), "", Optional.empty(), Optional.empty());
    }

    @Override
    public List<RefreshCandidate> refreshCandidates() {
        throw new UnsupportedOperationException("snap refresh --list: replaced by SnapdClient");
    }

    @Override
    public String startRefresh(String snap, String channel, int revision) {
        throw new UnsupportedOperationException("snap refresh --no-wait: replaced by SnapdClient");
    }

    @Override
    public String startRevert(String snap) {
        throw new UnsupportedOperationException("snap revert --no-wait: replaced by SnapdClient");
    }

    @Override
    public Change change(String id) {
        throw new UnsupportedOperationException("snap change: replaced by SnapdClient");
    }

    @Override
    public Change await(String id, Duration wait) {
        throw new UnsupportedOperationException("snap watch: replaced by SnapdClient");
    }

    @Override
    public List<Change> changesInProgress(String snap) {
        throw new UnsupportedOperationException("snap changes: replaced by SnapdClient");
    }

    @Override
    public Map<String, SnapInfo> info(List<String> names) {
        if (names.isEmpty()) {
            return Map.of();
        }
        names.forEach(SnapCli::requireSnap);
        List<String> args = new ArrayList<>();
        args.add("info");
        args.addAll(names);
        Outcome outcome = exec(QUERY_TIMEOUT, args);
        if (outcome.exitCode() != 0) {
            // One unknown name: "no snap found"; several, all unknown: "no valid snaps given".
            SnapError error = SnapErrors.classify(outcome.exitCode(), outcome.stderr());
            if (error instanceof SnapError.NotFound || outcome.stderr().contains("no valid snaps given")) {
                return Map.of();
            }
            throw new SnapException(error);
        }
        try {
            return SnapInfoParser.parse(outcome.stdout()).snaps();
        } catch (RuntimeException e) {
            throw unparseable("info", e);
        }
    }

    @Override
    public List<InstalledSnap> list() {
        String out = run(QUERY_TIMEOUT, "list");
        try {
            return SnapListParser.parse(out);
        } catch (RuntimeException e) {
            throw unparseable("list", e);
        }
    }

    @Override
    public void hold(List<String> snaps) {
        snaps.forEach(SnapCli::requireSnap);
        perSnapCall("--hold", snaps);
    }

    @Override
    public void unhold(List<String> snaps) {
        snaps.forEach(SnapCli::requireSnap);
        perSnapCall("--unhold", snaps);
    }

    @Override
    public List<SnapService> services() {
        String out = run(QUERY_TIMEOUT, "services");
        try {
            return SnapServicesParser.parse(out);
        } catch (RuntimeException e) {
            throw unparseable("services", e);
        }
    }

    SnapVersion version() {
        String out = run(QUERY_TIMEOUT, "version");
        try {
            return SnapVersionParser.parse(out);
        } catch (RuntimeException e) {
            throw unparseable("version", e);
        }
    }

    private void perSnapCall(String flag, List<String> snaps) {
        List<String> args = new ArrayList<>();
        args.add("refresh");
        args.add(flag);
        args.addAll(snaps);
        run(QUERY_TIMEOUT, args.toArray(String[]::new));
    }

    private String run(Duration timeout, String... args) {
        Outcome outcome = exec(timeout, List.of(args));
        if (outcome.exitCode() != 0) {
            throw new SnapException(SnapErrors.classify(outcome.exitCode(), outcome.stderr()));
        }
        return outcome.stdout();
    }

    Outcome exec(Duration timeout, List<String> args) {
        List<String> command = new ArrayList<>(args.size() + 1);
        command.add(snapBinary.toString());
        command.addAll(args);
        Processes.Outcome outcome;
        try {
            outcome = Processes.run(command, Optional.empty(), timeout);
        } catch (IOException e) {
            throw new SnapException(new SnapError.SnapdUnavailable("cannot run " + snapBinary + ": " + e.getMessage()));
        }
        if (outcome.timedOut()) {
            throw new SnapException(new SnapError.Timeout("snap " + String.join(" ", args)
                    + " (no answer within " + timeout.toSeconds() + "s)"));
        }
        return new Outcome(outcome.exitCode(), outcome.stdout(), outcome.stderr());
    }

    private static SnapException unparseable(String command, RuntimeException e) {
        return new SnapException(new SnapError.BadResponse("snap " + command, e.getMessage()));
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
