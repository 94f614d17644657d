package io.snapcoherence.charm;

import io.snapcoherence.Json;
import io.snapcoherence.coherence.PeerCodec;
import io.snapcoherence.coherence.Progress;
import io.snapcoherence.coherence.UnitReading;
import io.snapcoherence.coherence.UnitReport;
import io.snapcoherence.coherence.Witnessed;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * What this unit last wrote to its own peer databag, also kept in its unit store. The databag is not the unit's
 * alone in practice: a unit running another version of the charm (a downgrade, a mixed-version model) can write
 * data of another schema there, and a failure report lost that way would turn a halted unit's {@code blocked}
 * into {@code waiting} (I3). The unit store copy is committed with the databag write (same hook), so it is what
 * the unit last reported; when the databag no longer holds it, the next write puts it back.
 */
final class OwnReport {
    static final UnitStore.Key<Map<String, String>> KEY = new UnitStore.Key<>("reported", Json::stringMap,
            report -> Json.write(new LinkedHashMap<>(report)));

    private final UnitStore store;
    private final String unit;
    /** Empty when none is stored or it cannot be read: then the databag is used. */
    private final Optional<Map<String, String>> remembered;

    OwnReport(UnitStore store, String unit) {
        this.store = store;
        this.unit = unit;
        this.remembered = store.get(KEY);
    }

    /** The last reported progress: from the unit store, or from the databag if this unit never stored one. */
    Optional<Progress> lastProgress(Map<String, String> databag) {
        return last(databag).flatMap(UnitReport::progress);
    }

    /** The departed unit's failure this unit last reported, from the same source. */
    Optional<Witnessed> lastWitnessed(Map<String, String> databag) {
        return last(databag).flatMap(UnitReport::witnessed);
    }

    private Optional<UnitReport> last(Map<String, String> databag) {
        Map<String, String> source = remembered.orElse(databag);
        return PeerCodec.decodeUnit(unit, source) instanceof UnitReading.Reported r
                ? Optional.of(r.report()) : Optional.empty();
    }

    /** The soak check last reported. */
    Optional<io.snapcoherence.coherence.Soak.Check> lastSoakCheck(Map<String, String> databag) {
        return last(databag).flatMap(UnitReport::soakCheck);
    }

    /** The architecture last reported; empty when never reported (or by the previous version). */
    Optional<String> lastArch(Map<String, String> databag) {
        return last(databag).map(UnitReport::arch).filter(a -> !a.equals(UnitReport.UNKNOWN_ARCH));
    }

    /** The view of the store last reported. */
    Optional<io.snapcoherence.coherence.StoreView> lastView(Map<String, String> databag) {
        return last(databag).flatMap(UnitReport::view);
    }

    /** The managed snaps as last reported (empty when this unit never reported or its report cannot be read). */
    Map<String, io.snapcoherence.coherence.InstalledRevision> lastInstalled(Map<String, String> databag) {
        Map<String, String> source = remembered.orElse(databag);
        return PeerCodec.decodeUnit(unit, source) instanceof UnitReading.Reported r
                ? r.report().installed() : Map.of();
    }

    /**
     * Writes the keys of {@code wanted} that differ from the databag as read (so data someone else wrote there is
     * replaced), and remembers {@code wanted} in the unit store when it changed.
     */
    void write(Map<String, String> databag, Map<String, String> wanted, Consumer<Map<String, String>> relationSet) {
        Databags.writeChanged(databag, wanted, relationSet);
        if (!remembered.equals(Optional.of(wanted))) {
            store.put(KEY, wanted);
        }
    }
}
