package io.snapcoherence.juju;

import java.util.List;

/** A hook tool exited non-zero (or could not run). Carries what was run and what it said. */
public final class HookToolException extends RuntimeException {
    private final String tool;
    private final List<String> argv;
    private final int exitCode;
    private final String stderr;

    public HookToolException(String tool, List<String> argv, int exitCode, String stderr) {
        super(tool + " exited " + exitCode + " (" + String.join(" ", argv) + "): " + stderr.strip());
        this.tool = tool;
        this.argv = List.copyOf(argv);
        this.exitCode = exitCode;
        this.stderr = stderr;
    }

    public String tool() {
        return tool;
    }

    public List<String> argv() {
        return argv;
    }

    public int exitCode() {
        return exitCode;
    }

    public String stderr() {
        return stderr;
    }
}
