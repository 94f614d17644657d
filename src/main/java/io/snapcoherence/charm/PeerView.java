package io.snapcoherence.charm;

import io.snapcoherence.coherence.PeerCodec;
import io.snapcoherence.coherence.UnitReading;
import io.snapcoherence.juju.HookToolException;
import io.snapcoherence.juju.HookTools;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The peer relation as one hook reads it: this unit's own databag, the app databag, the other units in the relation,
 * and their readings, each read (one relation-get) at most once per hook and only when asked for. A departing unit
 * is not among the others: it is leaving, its grant is freed now (I8).
 */
final class PeerView {
    private final HookTools tools;
    private final String unit;
    private final Optional<String> departing;
    final String relationId;
    final Map<String, String> ownData;
    final List<String> otherUnits;
    final PeerCodec.AppReading app;
    final Map<String, String> appData;
    private List<UnitReading> others;
    private final Map<String, Optional<UnitReading>> readings = new HashMap<>();
    private List<UnitReading> leaving;
    private final Set<String> reportedLeft = new TreeSet<>();

    private PeerView(HookTools tools, String unit, Optional<String> departing, String relationId,
                     Map<String, String> ownData, List<String> otherUnits, PeerCodec.AppReading app,
                     Map<String, String> appData) {
        this.tools = tools;
        this.unit = unit;
        this.departing = departing;
        this.relationId = relationId;
        this.ownData = ownData;
        this.otherUnits = otherUnits;
        this.app = app;
        this.appData = appData;
    }

    /** relation-list, and relation-get of the app databag and of this unit's own. */
    static PeerView read(HookTools tools, String relationId, String unit, Optional<String> departing) {
        String app = unit.substring(0, unit.indexOf('/'));
        List<String> others = tools.relationList(relationId).stream()
                .filter(peer -> !departing.equals(Optional.of(peer))).toList();
        Map<String, String> appData = tools.relationGetApp(relationId, app);
        return new PeerView(tools, unit, departing, relationId, tools.relationGet(relationId, unit), others,
                PeerCodec.decodeApp(app, appData), appData);
    }

    /** The other units' readings: one relation-get each, so read once and only when needed. */
    List<UnitReading> others() {
        if (others == null) {
            others = read(otherUnits);
        }
        return others;
    }

    /** The readings of those of {@code units} in the relation, each read at most once per hook. */
    List<UnitReading> read(Collection<String> units) {
        Set<String> wanted = new HashSet<>(units);
        List<UnitReading> out = new ArrayList<>();
        for (String peer : otherUnits) {
            if (wanted.contains(peer)) {
                readings.computeIfAbsent(peer, p -> readOne(p).map(data -> {
                    reportedLeft.addAll(PeerCodec.decodeLeft(data));
                    return PeerCodec.decodeUnit(p, data);
                })).ifPresent(out::add);
            }
        }
        return out;
    }

    private Optional<Map<String, String>> readOne(String peer) {
        try {
            return Optional.of(tools.relationGet(relationId, peer));
        } catch (HookToolException e) {
            // Left between relation-list and relation-get: departed, its grant is freed.
            tools.log(HookTools.LogLevel.DEBUG, "peer " + peer + " gone: " + e.getMessage());
            return Optional.empty();
        }
    }

    /**
     * In a {@code -departed} hook, the departing unit's reading: Juju still shows its data. It is no longer a
     * peer (its grant is freed now), but while it leaves, its failure must still stop this unit and halt the
     * rollout (I4), and a refresh it may be in must still count.
     */
    List<UnitReading> leaving() {
        if (leaving == null) {
            leaving = departing.filter(d -> !d.equals(unit))
                    .flatMap(d -> readOne(d).map(data -> PeerCodec.decodeUnit(d, data))).stream().toList();
        }
        return leaving;
    }

    /** {@code readings} and the departing unit's: what this unit's own refresh decision must see. */
    List<UnitReading> withLeaving(List<UnitReading> readings) {
        List<UnitReading> all = new ArrayList<>(readings);
        all.addAll(leaving());
        return all;
    }

    /** Units the other units report as having left while granted (read with {@link #others()}). */
    Set<String> reportedLeft() {
        others();
        return reportedLeft;
    }
}
