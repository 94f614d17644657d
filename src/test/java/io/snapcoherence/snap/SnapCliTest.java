package io.snapcoherence.snap;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** The CLI mechanics a real snapd cannot show on demand: argv handling, the watchdog, per-snap holds. */
class SnapCliTest {
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-25T10:00:00Z"), ZoneOffset.UTC);

    @TempDir
    Path dir;

    /** A stand-in snap binary that appends its argv (one argument per line) to calls.log, then runs {@code body}. */
    private SnapCli scripted(String body) throws IOException {
        Path script = dir.resolve("snap");
        Files.writeString(script, "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\" >> " + dir.resolve("calls.log")
                + "; done\necho '--' >> " + dir.resolve("calls.log") + "\n" + body + "\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        return new SnapCli(script, CLOCK);
    }

    private List<String> calls() throws IOException {
        return Files.readAllLines(dir.resolve("calls.log"));
    }

    @Test
    void argumentsAreNeverInterpretedByAShell() throws IOException {
        SnapCli cli = scripted("exit 0");

        cli.setSystem("proxy.store", "a b;$(touch pwned)'\"");

        assertThat(calls()).containsExactly("set", "system", "proxy.store=a b;$(touch pwned)'\"", "--");
        assertThat(dir.resolve("pwned")).doesNotExist();
    }

    @Test
    void aCallThatHangsIsKilledAndTypedAsTimeout() throws IOException {
        SnapCli cli = scripted("exec sleep 30");

        SnapException e = catchThrowableOfType(() -> cli.exec(Duration.ofMillis(300), List.of("info", "kubectl")),
                SnapException.class);

        assertThat(e.error()).isInstanceOf(SnapError.Timeout.class);
        assertThat(e.error().isTransient()).isTrue();
    }

    @Test
    void holdIsPerSnap() throws IOException {
        SnapCli cli = scripted("exit 0");

        cli.hold(List.of("kubelet", "kubectl"));
        cli.unhold(List.of("kubelet"));

        assertThat(String.join(" ", calls())).isEqualTo("refresh --hold kubelet kubectl -- refresh --unhold kubelet --");
    }

    @Test
    void ackPassesAFileThatIsGoneAfterwards() throws IOException {
        Path copy = dir.resolve("seen.assert");
        SnapCli cli = scripted("cp \"$2\" " + copy + "; exit 0");

        cli.ack("type: store\n".getBytes());

        String tempFile = calls().get(1);
        assertThat(Files.readString(copy)).isEqualTo("type: store\n");
        assertThat(Path.of(tempFile)).doesNotExist();
    }

    @Test
    void aMissingBinaryIsSnapdUnavailable() {
        SnapCli cli = new SnapCli(dir.resolve("no-such-snap"), CLOCK);
        assertThat(catchThrowableOfType(cli::version, SnapException.class).error())
                .isInstanceOf(SnapError.SnapdUnavailable.class);
    }
}
