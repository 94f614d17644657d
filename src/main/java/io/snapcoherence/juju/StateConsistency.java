package io.snapcoherence.juju;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Whether a {@link ModelState} is one Juju could present to the unit for the hook about to run, checked before the
 * charm runs on it (by {@link HookRun#run}): a state Juju would never produce makes a test pass or fail for a reason
 * that says nothing about the charm. What Juju guarantees, and where (juju-hook-contract.md, "Verified against
 * Juju's source"):
 * <ul>
 *   <li>the hook runs for the unit the state describes;</li>
 *   <li>relation ids are unique; a peer relation's remote application is the unit's own, and {@code relation-list}
 *       never lists the unit itself;</li>
 *   <li>a container-scoped relation of a subordinate lists at most its one principal unit, a unit of the relation's
 *       application;</li>
 *   <li>a relation hook names a relation the unit is in (its own {@code -broken} aside); {@code JUJU_REMOTE_UNIT}
 *       of a {@code -joined} or {@code -changed} is listed by {@code relation-list} and belongs to the relation's
 *       application; during {@code -departed} the departing unit is no longer listed;</li>
 *   <li>only the leader sees its application's databag on a relation that is not a peer relation
 *       ({@code relation-get --app} of its own application is refused to the others).</li>
 * </ul>
 */
public final class StateConsistency {

    /** A state Juju could not present for the event; its message lists every reason. */
    public static final class InconsistentState extends IllegalArgumentException {
        InconsistentState(String message) {
            super(message);
        }
    }

    private StateConsistency() {
    }

    /** Refuses a state Juju could not present to {@code context}'s unit for its event. */
    public static void check(ModelState state, JujuContext context) {
        List<String> problems = problems(state, context);
        if (!problems.isEmpty()) {
            throw new InconsistentState("inconsistent state for " + context.unitName() + " " + context.event().name()
                    + ": " + String.join("; ", problems));
        }
    }

    /** Every reason the state is not one Juju could present for the event; empty when it is. */
    public static List<String> problems(ModelState state, JujuContext context) {
        List<String> problems = new ArrayList<>();
        if (!state.unitName().equals(context.unitName())) {
            problems.add("the state is of " + state.unitName() + ", the hook runs on " + context.unitName());
        }
        Set<String> ids = new HashSet<>();
        for (ModelState.RelationState relation : state.relations()) {
            if (!ids.add(relation.id())) {
                problems.add("relation id " + relation.id() + " appears twice");
            }
            if (relation.remoteUnitsData().containsKey(state.unitName())) {
                problems.add("relation " + relation.id() + " lists the unit itself among its remote units");
            }
            if (relation instanceof ModelState.PeerRelation peer && !peer.app().equals(state.appName())) {
                problems.add("peer relation " + peer.id() + " is of application " + peer.app()
                        + ", not of the unit's own, " + state.appName());
            }
            if (relation instanceof ModelState.ContainerRelation container) {
                checkContainer(state, container, problems);
            }
        }
        if (context.event() instanceof Event.Relation event) {
            checkRelationEvent(state, event, problems);
        }
        return problems;
    }

    private static void checkContainer(ModelState state, ModelState.ContainerRelation container,
                                       List<String> problems) {
        Map<String, Map<String, String>> principals = container.principals();
        if (principals.size() > 1) {
            problems.add("container relation " + container.id() + " lists " + principals.size()
                    + " principal units " + principals.keySet() + ": a subordinate unit has one principal");
        }
        principals.keySet().stream().filter(unit -> !unit.startsWith(container.principalApp() + "/"))
                .forEach(unit -> problems.add("container relation " + container.id() + " lists " + unit
                        + ", not a unit of its application " + container.principalApp()));
        if (!state.leader() && !container.localAppData().isEmpty()) {
            problems.add("container relation " + container.id() + " gives a unit that is not the leader its"
                    + " application's databag, which only the leader can read");
        }
    }

    private static void checkRelationEvent(ModelState state, Event.Relation event, List<String> problems) {
        var relation = state.relation(event.relationId());
        if (relation.isEmpty()) {
            if (event.kind() != Event.RelationKind.BROKEN) {
                problems.add(event.name() + " for relation " + event.relationId() + ", which the state does not have");
            }
            return;
        }
        Map<String, Map<String, String>> listed = relation.get().remoteUnitsData();
        event.remoteUnit().ifPresent(unit -> {
            switch (event.kind()) {
                case JOINED, CHANGED -> {
                    if (!listed.containsKey(unit)) {
                        problems.add("JUJU_REMOTE_UNIT " + unit + " is not in relation " + event.relationId()
                                + " " + listed.keySet());
                    }
                }
                case DEPARTED -> {
                    if (listed.containsKey(unit)) {
                        problems.add("departing unit " + unit + " is still listed in relation "
                                + event.relationId() + " during its -departed");
                    }
                }
                default -> {
                }
            }
            if (!unit.startsWith(relation.get().remoteApp() + "/")) {
                problems.add("JUJU_REMOTE_UNIT " + unit + " is not a unit of " + relation.get().remoteApp()
                        + ", the application at the other end of " + event.relationId());
            }
        });
    }
}
