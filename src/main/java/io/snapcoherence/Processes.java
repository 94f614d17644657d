package io.snapcoherence;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Timer;
import java.util.TimerTask;

/**
 * Runs a program with its exact argv (no shell) and collects what it printed: the one way the charm spawns hook
 * tools and snap. Plain {@link ProcessBuilder}, streams read on the calling thread: measured on the bundled runtime
 * (docs/performance.md) it spawns in about half the time of commons-exec, which starts two pump threads and a
 * watchdog thread per call. One timer thread for the whole hook enforces the time limits.
 */
public final class Processes {
    private static Timer timer;

    private Processes() {
    }

    /** How a run ended; {@code timedOut} means it was killed after the limit (its exit code is then meaningless). */
    public record Outcome(int exitCode, String stdout, String stderr, boolean timedOut) {
    }

    /**
     * Runs {@code argv}, writing {@code stdin} (if any) before reading the output. Stdout is read to its end before
     * stderr: hook tools and snap print at most a few KiB on stderr, far below a pipe's 64 KiB, so the child cannot
     * block on a full stderr pipe while we wait on stdout.
     *
     * @throws IOException when the program cannot be started or its output cannot be read
     */
    public static Outcome run(List<String> argv, Optional<String> stdin, Duration timeout) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(argv);
        if (stdin.isEmpty()) {
            builder.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        }
        Process process = builder.start();
        Killer killer = new Killer(process);
        timer().schedule(killer, timeout.toMillis());
        try {
            if (stdin.isPresent()) {
                try (OutputStream in = process.getOutputStream()) {
                    in.write(stdin.get().getBytes(StandardCharsets.UTF_8));
                } catch (IOException e) {
                    // The program exited without reading all of its input: its exit code and stderr say why.
                }
            }
            String out;
            String err;
            try {
                out = readAll(process.getInputStream());
                err = readAll(process.getErrorStream());
            } catch (IOException e) {
                if (killer.fired) {
                    // Killing a process closes our ends of its pipes: that ends the read, it is no I/O error.
                    return new Outcome(waitFor(process), "", "", true);
                }
                throw e;
            }
            int exit = waitFor(process);
            return new Outcome(exit, out, err, killer.fired);
        } finally {
            killer.cancel();
        }
    }

    private static String readAll(InputStream stream) throws IOException {
        try (stream) {
            return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static int waitFor(Process process) {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return process.waitFor();
                } catch (InterruptedException e) {
                    interrupted = true; // the output is read, so the exit is moments away: wait for it
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static synchronized Timer timer() {
        if (timer == null) {
            timer = new Timer("process-timeouts", true);
        }
        return timer;
    }

    private static final class Killer extends TimerTask {
        private final Process process;
        private volatile boolean fired;

        Killer(Process process) {
            this.process = process;
        }

        @Override
        public void run() {
            fired = true;
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }
    }
}
