package io.snapcoherence.snap;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * snapd as the charm drives it, one method per CLI call. Production runs the real {@code snap} CLI
 * ({@link SnapCli}); the simulator runs an in-memory machine that follows the same contract.
 * Every failure is a {@link SnapException} carrying a typed {@link SnapError}.
 */
public interface Snaps {

    /** {@code snap ack <file>}: acknowledges a stream of assertions. */
    void ack(byte[] assertions);

    /** {@code snap known store}: the store ids of the acknowledged store assertions. */
    List<String> knownStores();

    /** {@code snap get system <key>}; empty when the option was never set or is unset. */
    Optional<String> getSystem(String key);

    /** {@code snap set system <key>=<value>}; an empty value unsets the key. */
    void setSystem(String key, String value);

    /**
     * {@code snap info <name>...}: what the store serves for each snap, in one call. A snap the store does not
     * know is absent from the result (never an exception for that alone).
     */
    Map<String, SnapInfo> info(List<String> names);

    /** {@code snap list}: installed snaps. */
    List<InstalledSnap> list();

    /**
     * {@code snap refresh <snap> --channel=<channel> (--revision=<n> | --cohort=<key>)}: one snap per call, waiting
     * at most {@code wait} for snapd's change. A change that takes longer goes on in snapd: the call throws
     * {@link SnapError.Timeout}, and while the change runs another refresh of the snap throws
     * {@link SnapError.ChangeInProgress}.
     */
    void refresh(String snap, String channel, RefreshPin pin, java.time.Duration wait);

    /** {@code snap revert <snap>}: back to the previous revision. */
    void revert(String snap);

    /** {@code snap create-cohort <snap>...}: a cohort key per snap. */
    Map<String, String> createCohort(List<String> snaps);

    /** Holds the snaps from automatic refresh (per-snap hold where snapd has it, else system refresh.hold). */
    void hold(List<String> snaps);

    /** Releases holds set by {@link #hold(List)}. */
    void unhold(List<String> snaps);

    /** {@code snap services <snap>...}: the services of installed snaps. */
    List<SnapService> services(List<String> snaps);

    /** {@code snap version}. */
    SnapVersion version();
}
