package io.snapcoherence.juju;

import java.util.List;
import java.util.Map;

/**
 * The Juju hook tools the charm uses, one method per call. Production spawns the real tools
 * ({@link ProcessHookTools}); tests and the simulator use {@link StateHookTools} over a {@link ModelState}.
 * Every failure is a {@link HookToolException}.
 */
public interface HookTools {

    enum LogLevel { DEBUG, INFO, WARNING, ERROR }

    /** {@code config-get --format=json}: all options that have a value. */
    Map<String, Object> configGet();

    /** {@code is-leader --format=json}. */
    boolean isLeader();

    /**
     * {@code goal-state --format=json}: the units Juju means to exist, joined or not ({@link GoalState}). A call to
     * the controller: asked only where a decision needs it, never in a steady hook.
     */
    GoalState goalState();

    /** {@code relation-ids <endpoint> --format=json}. */
    List<String> relationIds(String endpoint);

    /** {@code relation-list -r <id> --format=json}: remote units, never this unit. */
    List<String> relationList(String relationId);

    /** {@code relation-get -r <id> --format=json - <unit>}: one unit's databag (this unit's own included). */
    Map<String, String> relationGet(String relationId, String unit);

    /** {@code relation-get -r <id> --app --format=json - <app>}: an application databag. */
    Map<String, String> relationGetApp(String relationId, String app);

    /** {@code relation-set -r <id> --file -}: writes this unit's databag; an empty value deletes the key. */
    void relationSet(String relationId, Map<String, String> values);

    /** {@code relation-set -r <id> --app --file -}: writes this application's databag (leader only). */
    void relationSetApp(String relationId, Map<String, String> values);

    /** {@code status-set --application=False <kind> -- <message>}. */
    void statusSet(Status status);

    /** {@code status-set --application=True <kind> -- <message>} (leader only). */
    void appStatusSet(Status status);

    /**
     * {@code status-get --application=True --include-data --format=json} (leader only): the workload status of
     * every unit of the application, by unit name ({@link WorkloadStatus}). Juju reads it from the controller on
     * each call (uniter runner/context {@code HookContext.ApplicationStatus}: no cache, unlike the unit's own
     * {@code UnitStatus}), and a unit's {@code status-set} reaches the controller when it runs ({@code
     * HookContext.SetUnitStatus}), not when its hook commits: the one channel through which a hook reads every
     * unit's latest word. A call to the controller: asked only while a plan runs, never in a steady hook.
     */
    Map<String, WorkloadStatus> unitStatuses();

    /** {@code state-get --format=json}: the unit's local key/value store. */
    Map<String, String> stateGet();

    /**
     * {@code state-set --file -}; an empty value is stored as "" (Juju deletes a key only with {@code state-delete}),
     * which the charm reads as absent.
     */
    void stateSet(Map<String, String> values);

    /** {@code action-get --format=json}. */
    Map<String, Object> actionGet();

    /** {@code action-set key=value ...}; keys use lowercase letters, digits and '-', '.' nests. */
    void actionSet(Map<String, String> results);

    /** {@code action-fail -- <message>}. */
    void actionFail(String message);

    /** {@code action-log -- <message>}. */
    void actionLog(String message);

    /** {@code juju-log --log-level <level> -- <message>}. */
    void log(LogLevel level, String message);

    /** {@code application-version-set -- <version>}. */
    void applicationVersionSet(String version);
}
