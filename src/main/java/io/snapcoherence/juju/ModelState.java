package io.snapcoherence.juju;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What one unit sees of the model during one hook, as plain immutable data: the input and the output of
 * {@code run(event, state) -> state}. {@link StateHookTools} serves the hook tools from it.
 */
public record ModelState(String unitName, boolean leader, Map<String, Object> config,
                         List<RelationState> relations, Map<String, String> unitStore, Status unitStatus,
                         Status appStatus, String workloadVersion, ActionState action, List<String> log,
                         GoalState goalState) {

    public ModelState {
        config = Map.copyOf(config);
        relations = List.copyOf(relations);
        unitStore = Map.copyOf(unitStore);
        log = List.copyOf(log);
        workloadVersion = workloadVersion == null ? "" : workloadVersion;
        goalState = goalState == null ? GoalState.NONE : goalState;
    }

    public static ModelState of(String unitName) {
        return builder(unitName).build();
    }

    /**
     * The unit, not the leader, with no config, relations or stored state, unknown statuses, no workload version,
     * no action, nothing logged and no goal state.
     */
    public static Builder builder(String unitName) {
        return new Builder(unitName);
    }

    public Builder toBuilder() {
        return new Builder(unitName).leader(leader).config(config).relations(relations).unitStore(unitStore)
                .unitStatus(unitStatus).appStatus(appStatus).workloadVersion(workloadVersion).action(action).log(log)
                .goalState(goalState);
    }

    public String appName() {
        return unitName.substring(0, unitName.indexOf('/'));
    }

    public ModelState withLeader(boolean leader) {
        return toBuilder().leader(leader).build();
    }

    public ModelState withConfig(Map<String, Object> config) {
        return toBuilder().config(config).build();
    }

    public ModelState withConfigValue(String key, Object value) {
        Map<String, Object> merged = new LinkedHashMap<>(config);
        merged.put(key, value);
        return withConfig(merged);
    }

    public ModelState withRelations(List<RelationState> relations) {
        return toBuilder().relations(relations).build();
    }

    /** Adds the relation, or replaces the one with the same id. */
    public ModelState withRelation(RelationState relation) {
        List<RelationState> updated = new java.util.ArrayList<>(relations);
        updated.removeIf(r -> r.id().equals(relation.id()));
        updated.add(relation);
        return withRelations(updated);
    }

    public ModelState withUnitStore(Map<String, String> unitStore) {
        return toBuilder().unitStore(unitStore).build();
    }

    public ModelState withStatuses(Status unitStatus, Status appStatus) {
        return toBuilder().unitStatus(unitStatus).appStatus(appStatus).build();
    }

    public ModelState withWorkloadVersion(String version) {
        return toBuilder().workloadVersion(version).build();
    }

    /** What {@code goal-state} answers in this hook. */
    public ModelState withGoalState(GoalState goalState) {
        return toBuilder().goalState(goalState).build();
    }

    public ModelState withAction(ActionState action) {
        return toBuilder().action(action).build();
    }

    public ModelState withLog(List<String> log) {
        return toBuilder().log(log).build();
    }

    public static final class Builder {
        private final String unitName;
        private boolean leader;
        private Map<String, Object> config = Map.of();
        private List<RelationState> relations = List.of();
        private Map<String, String> unitStore = Map.of();
        private Status unitStatus = Status.unknown();
        private Status appStatus = Status.unknown();
        private String workloadVersion = "";
        private ActionState action = ActionState.none();
        private List<String> log = List.of();
        private GoalState goalState = GoalState.NONE;

        private Builder(String unitName) {
            this.unitName = unitName;
        }

        public Builder leader(boolean leader) {
            this.leader = leader;
            return this;
        }

        public Builder config(Map<String, Object> config) {
            this.config = config;
            return this;
        }

        public Builder relations(List<RelationState> relations) {
            this.relations = relations;
            return this;
        }

        public Builder unitStore(Map<String, String> unitStore) {
            this.unitStore = unitStore;
            return this;
        }

        public Builder unitStatus(Status unitStatus) {
            this.unitStatus = unitStatus;
            return this;
        }

        public Builder appStatus(Status appStatus) {
            this.appStatus = appStatus;
            return this;
        }

        public Builder workloadVersion(String workloadVersion) {
            this.workloadVersion = workloadVersion;
            return this;
        }

        public Builder action(ActionState action) {
            this.action = action;
            return this;
        }

        public Builder log(List<String> log) {
            this.log = log;
            return this;
        }

        public Builder goalState(GoalState goalState) {
            this.goalState = goalState;
            return this;
        }

        public ModelState build() {
            return new ModelState(unitName, leader, config, relations, unitStore, unitStatus, appStatus,
                    workloadVersion, action, log, goalState);
        }
    }

    public Optional<RelationState> relation(String id) {
        return relations.stream().filter(r -> r.id().equals(id)).findFirst();
    }

    public List<RelationState> relations(String endpoint) {
        return relations.stream().filter(r -> r.endpoint().equals(endpoint)).toList();
    }

    /**
     * The state as the hook for {@code event} is shown it: during a remote unit's {@code -departed}, relation-list
     * no longer lists that unit (Juju's relation context drops it from the members; its settings stay readable, so
     * a harness reads them from the state before this one).
     */
    public ModelState listedDuring(Event event) {
        if (event instanceof Event.Relation r && r.kind() == Event.RelationKind.DEPARTED
                && r.remoteUnit().isPresent()) {
            return relation(r.relationId()).map(relation -> withRelation(relation.withoutRemoteUnit(
                    r.remoteUnit().get()))).orElse(this);
        }
        return this;
    }

    /** The peer relation with this id, if the state has it. */
    public Optional<PeerRelation> peerRelation(String id) {
        return relation(id).filter(PeerRelation.class::isInstance).map(PeerRelation.class::cast);
    }

    /**
     * One relation as this unit sees it: its own databags and the remote ones. A relation is either the
     * application's peer relation ({@link PeerRelation}) or a container-scoped relation to a principal
     * ({@link ContainerRelation}); the hook tools serve both alike.
     */
    public sealed interface RelationState permits PeerRelation, ContainerRelation {
        String endpoint();

        String id();

        /** The application at the other end: this one for a peer relation, the principal's otherwise. */
        String remoteApp();

        Map<String, String> localUnitData();

        Map<String, String> localAppData();

        /** The remote units in the relation ({@code relation-list}) with their databags. */
        Map<String, Map<String, String>> remoteUnitsData();

        Map<String, String> remoteAppData();

        RelationState withLocalUnitData(Map<String, String> data);

        RelationState withLocalAppData(Map<String, String> data);

        /** The relation without {@code unit} among its remote units. */
        RelationState withoutRemoteUnit(String unit);

        /** The peer relation of {@code app} on {@code endpoint}, empty. */
        static PeerRelation peer(String endpoint, String id, String app) {
            return new PeerRelation(endpoint, id, app, Map.of(), Map.of(), Map.of());
        }

        /** The container relation to {@code principalApp} on {@code endpoint}, empty: no principal unit listed. */
        static ContainerRelation container(String endpoint, String id, String principalApp) {
            return new ContainerRelation(endpoint, id, principalApp, Map.of(), Map.of(), Map.of(), Map.of());
        }
    }

    /**
     * The application's peer relation: this unit's databag, the other units' ({@code peers}, as
     * {@code relation-list} lists them) and the application databag, one databag that every unit reads and only the
     * leader writes (so it is at once the local and the remote application's databag).
     */
    public record PeerRelation(String endpoint, String id, String app, Map<String, String> localUnitData,
                               Map<String, String> appData, Map<String, Map<String, String>> peers)
            implements RelationState {
        public PeerRelation {
            localUnitData = Map.copyOf(localUnitData);
            appData = Map.copyOf(appData);
            peers = copyUnits(peers);
        }

        @Override
        public String remoteApp() {
            return app;
        }

        @Override
        public Map<String, String> localAppData() {
            return appData;
        }

        @Override
        public Map<String, Map<String, String>> remoteUnitsData() {
            return peers;
        }

        @Override
        public Map<String, String> remoteAppData() {
            return appData;
        }

        @Override
        public PeerRelation withLocalUnitData(Map<String, String> data) {
            return new PeerRelation(endpoint, id, app, data, appData, peers);
        }

        @Override
        public PeerRelation withLocalAppData(Map<String, String> data) {
            return withAppData(data);
        }

        public PeerRelation withAppData(Map<String, String> data) {
            return new PeerRelation(endpoint, id, app, localUnitData, data, peers);
        }

        @Override
        public PeerRelation withoutRemoteUnit(String unit) {
            Map<String, Map<String, String>> updated = new LinkedHashMap<>(peers);
            updated.remove(unit);
            return new PeerRelation(endpoint, id, app, localUnitData, appData, updated);
        }

        public PeerRelation withPeer(String unit, Map<String, String> data) {
            Map<String, Map<String, String>> updated = new LinkedHashMap<>(peers);
            updated.put(unit, data);
            return new PeerRelation(endpoint, id, app, localUnitData, appData, updated);
        }
    }

    /**
     * A container-scoped relation of this subordinate unit to its principal: the principal unit (at most one; none
     * before its -joined and from its -departed on) and the principal application's databag; this unit's own
     * databags on it.
     */
    public record ContainerRelation(String endpoint, String id, String principalApp,
                                    Map<String, String> localUnitData, Map<String, String> localAppData,
                                    Map<String, Map<String, String>> principals, Map<String, String> principalAppData)
            implements RelationState {
        public ContainerRelation {
            localUnitData = Map.copyOf(localUnitData);
            localAppData = Map.copyOf(localAppData);
            principals = copyUnits(principals);
            principalAppData = Map.copyOf(principalAppData);
        }

        @Override
        public String remoteApp() {
            return principalApp;
        }

        @Override
        public Map<String, Map<String, String>> remoteUnitsData() {
            return principals;
        }

        @Override
        public Map<String, String> remoteAppData() {
            return principalAppData;
        }

        @Override
        public ContainerRelation withLocalUnitData(Map<String, String> data) {
            return new ContainerRelation(endpoint, id, principalApp, data, localAppData, principals, principalAppData);
        }

        @Override
        public ContainerRelation withLocalAppData(Map<String, String> data) {
            return new ContainerRelation(endpoint, id, principalApp, localUnitData, data, principals, principalAppData);
        }

        @Override
        public ContainerRelation withoutRemoteUnit(String unit) {
            Map<String, Map<String, String>> updated = new LinkedHashMap<>(principals);
            updated.remove(unit);
            return new ContainerRelation(endpoint, id, principalApp, localUnitData, localAppData, updated,
                    principalAppData);
        }

        /** The principal unit listed, with its databag. */
        public ContainerRelation withPrincipal(String unit, Map<String, String> data) {
            Map<String, Map<String, String>> updated = new LinkedHashMap<>(principals);
            updated.put(unit, data);
            return new ContainerRelation(endpoint, id, principalApp, localUnitData, localAppData, updated,
                    principalAppData);
        }
    }

    private static Map<String, Map<String, String>> copyUnits(Map<String, Map<String, String>> units) {
        Map<String, Map<String, String>> copy = new LinkedHashMap<>();
        units.forEach((unit, data) -> copy.put(unit, Map.copyOf(data)));
        return java.util.Collections.unmodifiableMap(copy);
    }

    /** The action being run, if any, and what the charm reported for it. */
    public record ActionState(Optional<String> name, Map<String, Object> params, Map<String, String> results,
                              Optional<String> failure, List<String> logs) {
        public ActionState {
            params = Map.copyOf(params);
            results = Map.copyOf(results);
            logs = List.copyOf(logs);
        }

        public static ActionState none() {
            return new ActionState(Optional.empty(), Map.of(), Map.of(), Optional.empty(), List.of());
        }

        public static ActionState of(String name, Map<String, Object> params) {
            return new ActionState(Optional.of(name), params, Map.of(), Optional.empty(), List.of());
        }
    }
}
