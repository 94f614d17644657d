package io.snapcoherence.snap;

import io.snapcoherence.Processes;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The real snap CLI: each call runs the {@code snap} binary with its exact argv (never a shell), under a
 * time limit, and a non-zero exit becomes a {@link SnapException} typed by {@link SnapErrors}.
 */
public final class SnapCli implements Snaps {
    /** Store queries and configuration answer in seconds; a snapd that takes longer is stuck or seeding. */
    static final Duration QUERY_TIMEOUT = Duration.ofSeconds(30);
    /**
     * {@code snap revert} is local (no download) but stops and starts services. snapd keeps running a change when
     * the CLI stops waiting, so this bound only decides how long the hook waits.
     */
    static final Duration REVERT_TIMEOUT = Duration.ofSeconds(40);
    /**
     * snapd before 2.58 has no per-snap hold, only the system-wide {@code refresh.hold} time, and 2.57 caps a hold
     * at 90 days after the last refresh. 60 days stays well inside that cap, and every hook that holds renews it.
     */
    public static final Duration SYSTEM_HOLD = Duration.ofDays(60);
    private static final Pattern CONFIG_KEY = Pattern.compile("[a-z][a-z0-9-]*(\\.[a-z0-9][a-z0-9-]*)*");
    private static final Pattern SNAP_NAME = Pattern.compile("[a-z0-9][a-z0-9-]*(_[a-z0-9]+)?");

    private final Path snapBinary;
    private final Clock clock;
    private Optional<Boolean> perSnapHold = Optional.empty();

    /**
     * {@code snap} as found on PATH: Juju's hook PATH holds /usr/bin, and tests, the training run and the benchmark
     * put an emulated {@code snap} in front of it.
     */
    public SnapCli() {
        this(Path.of("snap"), Clock.systemUTC());
    }

    public SnapCli(Path snapBinary, Clock clock) {
        this.snapBinary = snapBinary;
        this.clock = clock;
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
    public List<String> knownStores() {
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

    /**
     * {@code snap refresh} waits for the whole change (download, unpack, restart of services) and is stopped after
     * {@code wait}: the change goes on in snapd, the call ends in {@link SnapError.Timeout}, and until the change
     * ends snapd refuses another one on the snap ({@link SnapError.ChangeInProgress}).
     */
    @Override
    public void refresh(String snap, String channel, RefreshPin pin, Duration wait) {
        requireSnap(snap);
        String pinArg = pin instanceof RefreshPin.Revision r ? "--revision=" + r.revision()
                : "--cohort=" + ((RefreshPin.Cohort) pin).key();
        run(wait, "refresh", snap, "--channel=" + channel, pinArg);
    }

    @Override
    public void revert(String snap) {
        requireSnap(snap);
        run(REVERT_TIMEOUT, "revert", snap);
    }

    @Override
    public Map<String, String> createCohort(List<String> snaps) {
        snaps.forEach(SnapCli::requireSnap);
        List<String> args = new ArrayList<>();
        args.add("create-cohort");
        args.addAll(snaps);
        String out = run(QUERY_TIMEOUT, args.toArray(String[]::new));
        try {
            return CohortParser.parse(out);
        } catch (RuntimeException e) {
            throw unparseable("create-cohort", e);
        }
    }

    @Override
    public void hold(List<String> snaps) {
        snaps.forEach(SnapCli::requireSnap);
        if (perSnapHold() && perSnapCall("--hold", snaps)) {
            return;
        }
        String until = DateTimeFormatter.ISO_INSTANT.format(clock.instant().plus(SYSTEM_HOLD)
                .truncatedTo(ChronoUnit.SECONDS));
        setSystem("refresh.hold", until);
    }

    /** With the system-wide fallback this releases the hold of every snap: 2.57 has nothing finer. */
    @Override
    public void unhold(List<String> snaps) {
        snaps.forEach(SnapCli::requireSnap);
        if (perSnapHold() && perSnapCall("--unhold", snaps)) {
            return;
        }
        setSystem("refresh.hold", "");
    }

    @Override
    public List<SnapService> services(List<String> snaps) {
        snaps.forEach(SnapCli::requireSnap);
        List<String> args = new ArrayList<>();
        args.add("services");
        args.addAll(snaps);
        String out = run(QUERY_TIMEOUT, args.toArray(String[]::new));
        try {
            return SnapServicesParser.parse(out);
        } catch (RuntimeException e) {
            throw unparseable("services", e);
        }
    }

    @Override
    public SnapVersion version() {
        String out = run(QUERY_TIMEOUT, "version");
        try {
            return SnapVersionParser.parse(out);
        } catch (RuntimeException e) {
            throw unparseable("version", e);
        }
    }

    /** Detected once per instance (one hook): from {@code snap version}, corrected by an exit-64 unknown flag. */
    private boolean perSnapHold() {
        if (perSnapHold.isEmpty()) {
            perSnapHold = Optional.of(version().hasPerSnapHold());
        }
        return perSnapHold.get();
    }

    /** Returns false (and remembers it) when this snap does not know the flag after all. */
    private boolean perSnapCall(String flag, List<String> snaps) {
        List<String> args = new ArrayList<>();
        args.add("refresh");
        args.add(flag);
        args.addAll(snaps);
        try {
            run(QUERY_TIMEOUT, args.toArray(String[]::new));
            return true;
        } catch (SnapException e) {
            if (e.error() instanceof SnapError.UnknownFlag) {
                perSnapHold = Optional.of(false);
                return false;
            }
            throw e;
        }
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
        return new SnapException(new SnapError.Other(0, "unexpected output of snap " + command + ": " + e.getMessage()));
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
