package io.snapcoherence.charm;

import io.snapcoherence.coherence.InstalledRevision;
import io.snapcoherence.coherence.UnitAgent;
import io.snapcoherence.snap.Change;
import io.snapcoherence.snap.InstalledSnap;
import io.snapcoherence.snap.SnapError;
import io.snapcoherence.snap.SnapException;
import io.snapcoherence.snap.Snaps;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * This machine's managed snaps as the unit may report them, read once per hook.
 *
 * <p>snapd switches a snap to its new revision at the change's {@code link-snap} task, before services restart and
 * the post-refresh hook runs, and undoes the change back to the old revision when a later task fails
 * (overlord/snapstate/snapstate.go doInstall; a change with a task in Error ends in Error, state/change.go Status).
 * So what {@code GET /v2/snaps} shows is not "done" while a change of the snap is in progress: for such a snap the
 * unit goes on reporting the revision it last reported ({@link #settled()}), and peers keep counting it as
 * refreshing; so does a snap whose remembered change snapd has finished, until the unit has verified it. A snap is
 * in progress when a change this unit remembers for it is not ready, or, for a snap whose
 * listed revision differs from its last report (a change whose id a killed hook lost, snapd's own auto-refresh), when
 * snapd lists a change of it in progress. In the steady state this costs {@code GET /v2/snaps} alone.
 */
final class MachineReading {
    /** What {@code snap list} prints for a long channel; never a channel snapd would accept back. */
    static final String SHORTENED = "…";

    private final List<InstalledSnap> listed;
    private final Map<String, InstalledRevision> settled;
    private final Map<String, Change> inProgress;
    private final Map<String, Change> followed;

    private MachineReading(List<InstalledSnap> listed, Map<String, InstalledRevision> settled,
                           Map<String, Change> inProgress, Map<String, Change> followed) {
        this.listed = List.copyOf(listed);
        this.settled = java.util.Collections.unmodifiableMap(settled);
        this.inProgress = java.util.Collections.unmodifiableMap(inProgress);
        this.followed = java.util.Collections.unmodifiableMap(followed);
    }

    /**
     * Reads the machine. Throws {@link SnapException} when snapd cannot be read, or answers something that cannot be
     * used (a shortened channel is bad output: passed back to snapd it would name no channel): the unit then reports
     * nothing from a half-read machine.
     */
    static MachineReading read(Snaps snaps, List<String> managed, Map<String, InstalledRevision> lastReported,
                               Optional<RefreshMemory> memory) {
        List<InstalledSnap> listed = snaps.list();
        Map<String, InstalledRevision> listedManaged = UnitAgent.managed(listed, managed);
        listedManaged.forEach((snap, rev) -> {
            if (rev.channel().contains(SHORTENED)) {
                throw new SnapException(new SnapError.BadResponse("GET /v2/snaps", "snap " + snap
                        + " tracks a shortened channel \"" + rev.channel() + "\""));
            }
        });
        Map<String, Change> followed = new LinkedHashMap<>();
        if (memory.isPresent()) {
            for (String snap : listedManaged.keySet()) {
                Optional<String> id = memory.get().changeOf(snap);
                if (id.isPresent()) {
                    follow(snaps, id.get()).ifPresent(c -> followed.put(c.id(), c));
                }
            }
        }
        Map<String, Change> inProgress = new TreeMap<>();
        Map<String, InstalledRevision> settled = new TreeMap<>();
        for (Map.Entry<String, InstalledRevision> entry : listedManaged.entrySet()) {
            String snap = entry.getKey();
            Optional<Change> remembered = memory.flatMap(m -> m.changeOf(snap)).map(followed::get);
            Optional<Change> running;
            if (remembered.isPresent()) {
                running = remembered.filter(c -> !c.ready());
            } else if (!entry.getValue().equals(lastReported.get(snap))) {
                running = snaps.changesInProgress(snap).stream().findFirst();
            } else {
                running = Optional.empty();
            }
            running.ifPresent(c -> inProgress.put(snap, c));
            // A remembered change that snapd has finished is not verified yet: this hook's refresh run checks its
            // services and reports the new revision with its outcome, so until then the leader, which plans from
            // this reading of its own machine, must not count it done (it would complete the plan unverified).
            boolean unsettled = running.isPresent() || remembered.isPresent();
            settled.put(snap, unsettled && lastReported.containsKey(snap) ? lastReported.get(snap)
                    : entry.getValue());
        }
        return new MachineReading(listed, settled, inProgress, followed);
    }

    /** GET /v2/changes/&lt;id&gt;; empty when snapd no longer knows the change (pruned, or its state was reset). */
    static Optional<Change> follow(Snaps snaps, String id) {
        try {
            return Optional.of(snaps.change(id));
        } catch (SnapException e) {
            if (e.error() instanceof SnapError.Other other && other.status() == 404) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /** Everything {@code GET /v2/snaps} listed. */
    List<InstalledSnap> listed() {
        return listed;
    }

    /** The managed snaps as this unit reports them: a snap with a change in progress at its last reported revision. */
    Map<String, InstalledRevision> settled() {
        return settled;
    }

    /** The managed snaps whose listed revision is the one reported (no change of them in progress). */
    Map<String, InstalledRevision> listedManaged(List<String> managed) {
        return UnitAgent.managed(listed, managed);
    }

    /** A change of the snap that is not ready yet, as found this hook. */
    Optional<Change> inProgress(String snap) {
        return Optional.ofNullable(inProgress.get(snap));
    }

    /** Whether a change the unit store remembers is still running (as read this hook). */
    boolean rememberedRunning() {
        return followed.values().stream().anyMatch(c -> !c.ready());
    }

    /** The state of a remembered change as read this hook; empty when not read or gone. */
    Optional<Change> followed(String id) {
        return Optional.ofNullable(followed.get(id));
    }
}
