package io.snapcoherence.sim;

import io.snapcoherence.juju.Event;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One unit agent's uniter: what it remembers of the hooks it ran (its local state) and, from that and what the
 * controller tells it (the remote state), the next hook to run. Juju decides the same way, by comparing the two
 * rather than queueing events, so a change seen twice before the agent gets to it is one hook, for the latest data:
 * <ul>
 *   <li>order (internal/worker/uniter/resolver.go NextOp, nextOp): relation-created, leadership, actions (also
 *       in hook error, not while a hook is queued: actions/resolver.go), a failed hook's retry, a queued hook; then, for a Dying unit, relation departures and -broken, stop, remove;
 *       otherwise install, config-changed, relation hooks, and update-status only when nothing else is due;</li>
 *   <li>per relation (internal/worker/uniter/relation/resolver.go nextHookForRelation): the -changed that follows a
 *       -joined, departures (sorted; JUJU_DEPARTING_UNIT is this unit when it is the one dying), -broken (never for
 *       a peer relation), the application's -changed, joins, then units' -changed in sorted name order (names as
 *       strings, set.Strings.SortedValues: /10 before /9); relations
 *       are visited in no fixed order (a Go map);</li>
 *   <li>leadership (internal/worker/uniter/leadership/resolver.go): leader-elected once the lease is held, never
 *       while Dying or with a hook pending; losing the lease, or dying, only clears the agent's own flag;</li>
 *   <li>a failed hook is retried before anything but relation-created, leadership and actions (actions run while
 *       the unit is in error); a hook that commits records its version, so a newer change still gets its hook.</li>
 * </ul>
 * The relation cache ({@link RelationCache}) is the agent's memory of peer data; a restarted agent starts empty.
 */
final class Uniter {

    /** What the controller tells this unit's agent now (remotestate.Snapshot). */
    interface Remote {
        boolean dying();

        boolean leader();

        long configVersion();

        long updateStatusVersion();

        Optional<HookEvent> pendingAction();

        /** Remote units in the relation's scope with their settings versions, sorted (may include this unit). */
        SortedMap<String, Long> members(String relationId);

        /** The remote application settings' version; negative when the relation is gone for this unit. */
        long appVersion(String relationId);

        /** The agent joins its relations' scopes once installed (relationStateTracker.SynchronizeScopes). */
        void enterScope();

        /** Whether to visit the relations in reverse order this time: Go's map iteration has no fixed order. */
        boolean reverseRelations();
    }

    /** Local state of one relation (relation/state.go State). */
    static final class RelationState {
        final String id;
        final String endpoint;
        final boolean peer;
        final String remoteApp;
        boolean created;
        boolean broken;
        final TreeMap<String, Long> members = new TreeMap<>();
        long appVersion;
        String changedPending = "";

        RelationState(String id, String endpoint, boolean peer, String remoteApp) {
            this.id = id;
            this.endpoint = endpoint;
            this.peer = peer;
            this.remoteApp = remoteApp;
        }
    }

    private final String unit;
    final Map<String, RelationState> relations = new LinkedHashMap<>();
    RelationCache cache = new RelationCache();
    boolean installed;
    boolean started;
    boolean stopped;
    boolean removed;
    boolean leader;
    boolean leaderSettingsSeen;
    boolean inScope;
    long configVersion;
    long updateStatusVersion;
    /** A hook that failed (or was killed): retried before any other hook. */
    HookEvent failed;
    /** A hook the last one queued (start after the first config-changed). */
    HookEvent queued;

    Uniter(String unit, List<RelationState> relations) {
        this.unit = unit;
        relations.forEach(r -> this.relations.put(r.id, r));
    }

    RelationState relation(String id) {
        return relations.get(id);
    }

    /** The next hook or action to run, or empty when there is nothing to do. */
    Optional<HookEvent> next(Remote remote) {
        if (removed) {
            return Optional.empty();
        }
        boolean idle = failed == null && queued == null;
        if (installed && !remote.dying() && idle) {
            if (!inScope) {
                inScope = true;
                remote.enterScope();
            }
            for (RelationState relation : ordered(remote)) {
                if (!relation.created) {
                    return Optional.of(relationHook(relation, Event.RelationKind.CREATED, Optional.empty(),
                            Optional.empty(), 0));
                }
            }
        }
        if (installed) {
            boolean canAccept = !leader && !remote.dying() && idle;
            if (remote.leader() && canAccept) {
                leader = true; // operation/leader.go acceptLeadership: set when leader-elected is queued
                return Optional.of(lifecycle(Event.LifecycleKind.LEADER_ELECTED));
            }
            if (leader && (!remote.leader() || remote.dying())) {
                leader = false; // resignLeadership: the agent's own flag only, no hook
            }
            if (!leader && !remote.leader() && !leaderSettingsSeen && !remote.dying() && idle) {
                return Optional.of(lifecycle(Event.LifecycleKind.LEADER_SETTINGS_CHANGED));
            }
        }
        // actions/resolver.go: when idle or in hook error, not while a hook is queued; never before install
        Optional<HookEvent> action = installed && queued == null ? remote.pendingAction() : Optional.empty();
        if (action.isPresent()) {
            return action;
        }
        if (failed != null) {
            return Optional.of(failed);
        }
        if (queued != null) {
            return Optional.of(queued);
        }
        if (remote.dying()) {
            Optional<HookEvent> relationHook = nextRelationHook(remote);
            if (relationHook.isPresent()) {
                return relationHook;
            }
            if (started && !stopped) {
                return Optional.of(lifecycle(Event.LifecycleKind.STOP));
            }
            return installed ? Optional.of(lifecycle(Event.LifecycleKind.REMOVE)) : Optional.empty();
        }
        if (!installed) {
            return Optional.of(lifecycle(Event.LifecycleKind.INSTALL));
        }
        if (configVersion != remote.configVersion()) {
            return Optional.of(HookEvent.hook(new Event.Lifecycle(Event.LifecycleKind.CONFIG_CHANGED),
                    remote.configVersion()));
        }
        Optional<HookEvent> relationHook = nextRelationHook(remote);
        if (relationHook.isPresent()) {
            return relationHook;
        }
        if (updateStatusVersion != remote.updateStatusVersion()) {
            return Optional.of(HookEvent.updateStatus(remote.updateStatusVersion()));
        }
        return Optional.empty();
    }

    private List<RelationState> ordered(Remote remote) {
        List<RelationState> all = new java.util.ArrayList<>(relations.values());
        if (all.size() > 1 && remote.reverseRelations()) {
            java.util.Collections.reverse(all);
        }
        return all;
    }

    private Optional<HookEvent> nextRelationHook(Remote remote) {
        for (RelationState relation : ordered(remote)) {
            if (!relation.created || relation.broken) {
                continue;
            }
            Optional<HookEvent> hook = nextHookFor(relation, remote);
            if (hook.isPresent()) {
                return hook;
            }
        }
        return Optional.empty();
    }

    /** relation/resolver.go nextHookForRelation, for one relation. */
    private Optional<HookEvent> nextHookFor(RelationState relation, Remote remote) {
        boolean dying = remote.dying();
        SortedMap<String, Long> members = dying ? new TreeMap<>() : remote.members(relation.id);
        if (!relation.changedPending.isEmpty()) {
            String pending = relation.changedPending;
            return Optional.of(relationHook(relation, Event.RelationKind.CHANGED, Optional.of(pending),
                    Optional.empty(), members.getOrDefault(pending, 0L)));
        }
        for (Map.Entry<String, Long> local : relation.members.entrySet()) {
            String name = local.getKey();
            if (!members.containsKey(name)) {
                return Optional.of(relationHook(relation, Event.RelationKind.DEPARTED, Optional.of(name),
                        Optional.of(dying ? unit : name), local.getValue()));
            }
        }
        if (dying) {
            return relation.peer ? Optional.empty()
                    : Optional.of(relationHook(relation, Event.RelationKind.BROKEN, Optional.empty(), Optional.empty(), 0));
        }
        long appVersion = remote.appVersion(relation.id);
        if (appVersion >= 0 && appVersion != relation.appVersion) {
            return Optional.of(relationHook(relation, Event.RelationKind.CHANGED, Optional.empty(), Optional.empty(),
                    appVersion));
        }
        for (Map.Entry<String, Long> member : members.entrySet()) {
            if (!member.getKey().equals(unit) && !relation.members.containsKey(member.getKey())) {
                return Optional.of(relationHook(relation, Event.RelationKind.JOINED, Optional.of(member.getKey()),
                        Optional.empty(), member.getValue()));
            }
        }
        for (Map.Entry<String, Long> member : members.entrySet()) {
            Long seen = relation.members.get(member.getKey());
            if (seen != null && !member.getKey().equals(unit) && !seen.equals(member.getValue())) {
                return Optional.of(relationHook(relation, Event.RelationKind.CHANGED, Optional.of(member.getKey()),
                        Optional.empty(), member.getValue()));
            }
        }
        return Optional.empty();
    }

    /**
     * The relation cache as the hook context finds it (contextfactory.go getContextRelations, HookContext): pruned
     * to the members, the hook's remote unit invalidated (a member from its -joined on) or, for -departed, removed.
     */
    void prepareContext(HookEvent hook, boolean cacheRemoteData) {
        RelationState peer = relations.values().stream().filter(r -> r.peer).findFirst().orElseThrow();
        cache.prune(peer.members.keySet());
        if (!cacheRemoteData) {
            cache.invalidateAll();
        }
        if (hook.event() instanceof Event.Relation r && r.relationId().equals(peer.id) && r.remoteUnit().isPresent()) {
            if (r.kind() == Event.RelationKind.DEPARTED) {
                cache.remove(r.remoteUnit().get());
            } else {
                cache.invalidate(r.remoteUnit().get());
            }
        }
    }

    /** The hook committed: record it in the local state (operation/runhook.go Commit, relation/state.go). */
    void committed(HookEvent hook) {
        if (hook.equals(failed)) {
            failed = null;
        }
        if (hook.equals(queued)) {
            queued = null;
        }
        Event event = hook.event();
        if (event instanceof Event.Lifecycle l) {
            switch (l.kind()) {
                case INSTALL -> installed = true;
                case LEADER_SETTINGS_CHANGED -> leaderSettingsSeen = true;
                case CONFIG_CHANGED -> {
                    configVersion = hook.version();
                    if (!started) {
                        queued = lifecycle(Event.LifecycleKind.START);
                    }
                }
                case START -> started = true;
                case UPDATE_STATUS -> updateStatusVersion = Math.max(updateStatusVersion, hook.version());
                case STOP -> stopped = true;
                case REMOVE -> removed = true;
                default -> { }
            }
        } else if (event instanceof Event.Relation r) {
            RelationState relation = relations.get(r.relationId());
            switch (r.kind()) {
                case CREATED -> relation.created = true;
                case JOINED -> {
                    relation.members.put(r.remoteUnit().orElseThrow(), hook.version());
                    relation.changedPending = r.remoteUnit().get();
                }
                case CHANGED -> {
                    if (r.remoteUnit().isPresent()) {
                        relation.members.put(r.remoteUnit().get(), hook.version());
                        if (relation.changedPending.equals(r.remoteUnit().get())) {
                            relation.changedPending = "";
                        }
                    } else {
                        relation.appVersion = hook.version();
                    }
                }
                case DEPARTED -> relation.members.remove(r.remoteUnit().orElseThrow());
                case BROKEN -> {
                    relation.broken = true;
                    relation.members.clear();
                }
            }
        }
    }

    /** The hook failed or was killed: it stays the next hook until it succeeds. Actions are not retried. */
    void failed(HookEvent hook) {
        if (hook.action().isEmpty()) {
            failed = hook;
            if (hook.equals(queued)) {
                queued = null; // a queued hook that failed is the pending one now (RunHook Pending)
            }
        }
    }

    /** The peers this agent has seen join and not depart: what relation-list shows it outside a hook. */
    List<String> peers() {
        return relations.values().stream().filter(r -> r.peer).findFirst()
                .map(r -> List.copyOf(r.members.keySet())).orElse(List.of());
    }

    private static HookEvent lifecycle(Event.LifecycleKind kind) {
        return HookEvent.hook(new Event.Lifecycle(kind));
    }

    private static HookEvent relationHook(RelationState relation, Event.RelationKind kind, Optional<String> remoteUnit,
                                          Optional<String> departing, long version) {
        Optional<String> remoteApp = Optional.of(relation.remoteApp);
        return HookEvent.hook(new Event.Relation(relation.endpoint, kind, relation.id, remoteUnit, remoteApp,
                departing), version);
    }
}
