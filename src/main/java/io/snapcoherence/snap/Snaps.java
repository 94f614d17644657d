package io.snapcoherence.snap;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * snapd as the charm drives it: one method per request to snapd's REST API on its socket (the same API the
 * {@code snap} CLI is a client of). Production talks to the real snapd ({@code SnapdClient}); the simulator runs
 * an in-memory machine that follows the same contract, and process-level tests a fake snapd on a socket; all
 * three are held to one set of expectations observed from a real snapd.
 *
 * <p>Every failure is a {@link SnapException} carrying a typed {@link SnapError}, decided by snapd's error
 * {@code kind} and HTTP status, never by matching whole sentences.
 */
public interface Snaps {

    // ---- the machine ---------------------------------------------------------------------------------------

    /** GET /v2/system-info: snapd's version, the machine's architecture (dpkg name), refresh.hold/last. */
    SystemInfo systemInfo();

    /**
     * GET /v2/snaps: installed snaps with their full tracking channel (never the shortened {@code track/risk/…}
     * that {@code snap list} prints), revision and per-snap hold.
     */
    List<InstalledSnap> list();

    /**
     * GET /v2/snaps?select=all: per installed snap, the revisions its sequence holds after the current one (daemon
     * allLocalSnapInfos lists a snap's revisions in sequence order, mapLocal marks the current one "active"). Only a
     * revert leaves any: a refresh links its revision last (handlers.go doLinkSnap). snapd leaves them out of its
     * refresh candidates (snapmgr.go Block; 2.68 spares one whose RevertStatus is NotBlocked), so for such a snap
     * the candidates cannot tell what the store serves. Snaps with none are absent.
     */
    Map<String, List<Integer>> laterRevisions();

    /**
     * GET /v2/apps?select=service: the services of every installed snap. A snap with no services simply has no
     * entry (asking by name would fail for it: {@code snap "kubectl" has no services}).
     */
    List<SnapService> services();

    // ---- the store, as this machine sees it ----------------------------------------------------------------

    /**
     * GET /v2/find?select=refresh: what a refresh of the installed snaps would get now, from the store this
     * machine uses (the proxy's, with its overrides, when proxy.store is set), for this machine's architecture.
     * Snaps without an update are absent.
     */
    List<RefreshCandidate> refreshCandidates();

    // ---- changes -------------------------------------------------------------------------------------------

    /**
     * POST /v2/snaps/&lt;snap&gt; {action: refresh, channel, revision}: starts snapd's change and returns its id
     * at once (like {@code snap refresh --no-wait}). A conflicting change is {@link SnapError.ChangeConflict}.
     */
    String startRefresh(String snap, String channel, int revision);

    /** POST /v2/snaps/&lt;snap&gt; {action: revert}: starts a revert change, returns its id. */
    String startRevert(String snap);

    /** GET /v2/changes/&lt;id&gt;: status, readiness, and on failure snapd's own error text. */
    Change change(String id);

    /** Polls {@link #change} until it is ready or {@code wait} has passed; returns the last state seen. */
    Change await(String id, Duration wait);

    /**
     * GET /v2/changes?select=in-progress&amp;for=&lt;snap&gt;: the snap's changes that are not ready yet (daemon
     * getChanges, filtered by the change's snap-names). How a unit finds a change again whose id it lost (a hook
     * killed after starting it), and how it knows that a revision {@link #list} shows is not still being linked,
     * restarted or undone.
     */
    List<Change> changesInProgress(String snap);

    // ---- configuration, assertions, holds ------------------------------------------------------------------

    /** POST /v2/assertions: acknowledges a stream of assertions. */
    void ack(byte[] assertions);

    /** GET /v2/assertions/store: the acknowledged store assertions (store id and url). */
    List<StoreAssertion> knownStores();

    /** GET /v2/snaps/system/conf?keys=&lt;key&gt;; empty when the option is not set. */
    Optional<String> getSystem(String key);

    /** PUT /v2/snaps/system/conf {key: value}; waits (bounded) for snapd's configure change. */
    void setSystem(String key, String value);

    /** PUT /v2/snaps/system/conf {key: null}: removes the option (not the same as setting it empty). */
    void unsetSystem(String key);

    /** snapd ≥ 2.58: POST /v2/snaps {action: hold, time: forever} for the named snaps. */
    void hold(List<String> snaps);

    /** snapd ≥ 2.58: POST /v2/snaps {action: unhold} for the named snaps. */
    void unhold(List<String> snaps);
}
