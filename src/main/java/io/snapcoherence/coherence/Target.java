package io.snapcoherence.coherence;

import java.util.Optional;

/**
 * One line of a plan: every unit of architecture {@code arch} tracking {@code snap} on {@code channel} ends on exactly
 * {@code revision}. A store numbers the builds of each architecture on their own (a revision is one build for one
 * architecture), so a plan holds a target per architecture. {@link #ANY_ARCH} is a target of a plan made by the
 * previous charm version, which planned one revision for every architecture; it applies to every unit.
 */
public record Target(String snap, String channel, String arch, int revision) implements Comparable<Target> {

    /** The architecture of a target read from a plan of app databag schema 1: every architecture. */
    public static final String ANY_ARCH = "";

    public SnapChannel snapChannel() {
        return new SnapChannel(snap, channel);
    }

    /**
     * Whether this target concerns a unit of {@code unitArch} ({@link UnitReport#UNKNOWN_ARCH} for a unit that
     * reports none, a previous version: every target could be its own, so every one concerns it).
     */
    public boolean appliesTo(String unitArch) {
        return arch.equals(ANY_ARCH) || unitArch.equals(UnitReport.UNKNOWN_ARCH) || arch.equals(unitArch);
    }

    /** {@code kubelet 3154 (1.29/stable, arm64)}, for statuses and action results. */
    public String describe() {
        return snap + " " + revision + " (" + channel + (arch.equals(ANY_ARCH) ? "" : ", " + arch) + ")";
    }

    /** The architecture as a status names it: empty for a target of every architecture. */
    public Optional<String> namedArch() {
        return arch.equals(ANY_ARCH) ? Optional.empty() : Optional.of(arch);
    }

    @Override
    public int compareTo(Target other) {
        int byChannel = snapChannel().compareTo(other.snapChannel());
        return byChannel != 0 ? byChannel : arch.compareTo(other.arch);
    }
}
