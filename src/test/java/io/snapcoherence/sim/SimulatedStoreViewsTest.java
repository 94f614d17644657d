package io.snapcoherence.sim;

import io.snapcoherence.snap.RefreshCandidate;
import io.snapcoherence.snap.SnapError;
import io.snapcoherence.snap.SnapException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * What a simulated machine's snapd is offered by the store, as the real one: per architecture, through the proxy
 * only while registered, and without a revision it was reverted from (docs/real-snapd.md; snapd's
 * storehelpers.go refreshCandidates and store_action.go; RealSnapdStoreContractTest shows it on snapd 2.57).
 */
class SimulatedStoreViewsTest {
    private static final String CH = "1.29/stable";
    private final SimulatedStore store = new SimulatedStore("store123")
            .publish("amd64", "kubelet", CH, 200).publish("arm64", "kubelet", CH, 1200)
            .publish("kubectl", CH, 300);

    private SimulatedMachine registered(String name, String arch) {
        SimulatedMachine machine = new SimulatedMachine(name, store).withArchitecture(arch)
                .install("kubelet", CH, arch.equals("arm64") ? 1200 : 200).install("kubectl", CH, 300);
        machine.ack(store.assertions());
        machine.setSystem("proxy.store", "store123");
        return machine;
    }

    @Test
    void eachArchitectureIsOfferedItsOwnBuildAndCanGetNoOther() {
        store.override("amd64", "kubelet", CH, 201).override("arm64", "kubelet", CH, 1201);
        SimulatedMachine amd64 = registered("m0", "amd64");
        SimulatedMachine arm64 = registered("m1", "arm64");

        assertThat(amd64.systemInfo().architecture()).isEqualTo("amd64");
        assertThat(arm64.systemInfo().architecture()).isEqualTo("arm64");
        assertThat(amd64.refreshCandidates()).containsExactly(new RefreshCandidate("kubelet", CH, 201, "v201"));
        assertThat(arm64.refreshCandidates()).containsExactly(new RefreshCandidate("kubelet", CH, 1201, "v1201"));
        // snapd asks the store for this machine's architecture: amd64's revision number is nothing on arm64.
        SnapError refused = catchThrowableOfType(() -> arm64.startRefresh("kubelet", CH, 201), SnapException.class)
                .error();
        assertThat(refused).isInstanceOf(SnapError.RevisionNotAvailable.class);
        // A release for every architecture reaches both.
        store.publish("kubectl", CH, 301);
        assertThat(arm64.refreshCandidates()).extracting(RefreshCandidate::name).contains("kubectl");
    }

    @Test
    void offTheProxyAMachineIsOfferedWhatUpstreamServesAndTheStoreRemembersWhoServedWhat() {
        store.override("amd64", "kubelet", CH, 201).publishUpstream("amd64", "kubelet", CH, 221);
        SimulatedMachine machine = registered("m0", "amd64");
        machine.jujuAgentRestart(); // proxy.store cleared
        assertThat(machine.refreshCandidates()).contains(new RefreshCandidate("kubelet", CH, 221, "v221"));
        assertThat(store.served(SimulatedStore.View.PROXY, "amd64", "kubelet", CH, 201)).isTrue();
        assertThat(store.served(SimulatedStore.View.PROXY, "amd64", "kubelet", CH, 221)).isFalse();
        assertThat(store.served(SimulatedStore.View.UPSTREAM, "amd64", "kubelet", CH, 221)).isTrue();
        assertThat(store.served(SimulatedStore.View.PROXY, "arm64", "kubelet", CH, 201)).isFalse();
    }

    @Test
    void aRevisionTheSnapWasRevertedFromIsNotOfferedUntilItIsRefreshedAgain() {
        SimulatedMachine machine = registered("m0", "amd64");
        store.publish("amd64", "kubelet", CH, 201);
        machine.change(machine.startRefresh("kubelet", CH, 201));
        machine.change(machine.startRevert("kubelet"));
        assertThat(machine.installedRevision("kubelet")).contains(200);
        store.publish("kubectl", CH, 301);
        assertThat(machine.refreshCandidates()).extracting(RefreshCandidate::name).containsExactly("kubectl");
        // snapd's timer refreshes everything with the same block: kubectl, not kubelet.
        assertThat(machine.autoRefreshTick()).extracting(RefreshEvent::snap).containsExactly("kubectl");
        assertThat(machine.installedRevision("kubelet")).contains(200);

        // An explicit refresh goes ahead; afterwards nothing is left out.
        machine.change(machine.startRefresh("kubelet", CH, 201));
        store.publish("amd64", "kubelet", CH, 202);
        assertThat(machine.refreshCandidates()).containsExactly(new RefreshCandidate("kubelet", CH, 202, "v202"));
    }

    @Test
    void aRefreshUndoneAfterLinkSnapKeepsTheRevisionsItWasRevertedFromBlocked() {
        SimulatedMachine machine = registered("m0", "amd64").changesTakeRounds(2);
        store.publish("amd64", "kubelet", CH, 201);
        String up = machine.startRefresh("kubelet", CH, 201);
        machine.advanceChanges();
        machine.advanceChanges();
        assertThat(machine.change(up).done()).isTrue();
        String back = machine.startRevert("kubelet");
        machine.advanceChanges();
        machine.advanceChanges();
        assertThat(machine.change(back).done()).isTrue();
        // A refresh to yet another revision fails after link-snap and is undone: the block is as before.
        store.publish("amd64", "kubelet", CH, 202);
        machine.failAfterLink("kubelet", "services failed");
        String failing = machine.startRefresh("kubelet", CH, 202);
        machine.advanceChanges();
        machine.advanceChanges();
        assertThat(machine.change(failing).failed()).isTrue();
        store.publish("amd64", "kubelet", CH, 201);
        assertThat(machine.refreshCandidates()).isEmpty();
    }
}
