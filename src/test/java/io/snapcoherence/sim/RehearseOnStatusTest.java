package io.snapcoherence.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.snapcoherence.coherence.Role;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code rehearse --status}: the sample Charmed Kubernetes model (3 control-plane + 5 worker units, two of them
 * arm64, the leader not the lowest unit) read as juju status prints it, its config applied, and every malformed
 * input refused with one line naming what is missing.
 */
class RehearseOnStatusTest {
    static final Path STATUS = Path.of("src/test/resources/rehearse/juju-status.yaml");
    static final Path CONFIG = Path.of("src/test/resources/rehearse/juju-config.yaml");
    private static final YAMLMapper YAML = new YAMLMapper();

    @TempDir
    Path dir;

    @Test
    void theSampleReadsAsItsTopology() throws Exception {
        RealModel model = RealModel.read(STATUS, Optional.of(CONFIG));

        assertThat(model.application()).isEqualTo("snap-coherence");
        assertThat(model.modelName()).isEqualTo("ck8s-prod");
        assertThat(model.members()).extracting(RealModel.Member::unit).containsExactly("snap-coherence/0",
                "snap-coherence/1", "snap-coherence/2", "snap-coherence/3", "snap-coherence/4", "snap-coherence/5",
                "snap-coherence/6", "snap-coherence/7");
        assertThat(model.members()).filteredOn(m -> m.role() == Role.CONTROL_PLANE)
                .extracting(RealModel.Member::principal).containsExactly("kubernetes-control-plane/0",
                        "kubernetes-control-plane/1", "kubernetes-control-plane/2");
        assertThat(model.members()).filteredOn(m -> m.role() == Role.WORKER).extracting(RealModel.Member::principal)
                .containsExactly("kubernetes-worker/0", "kubernetes-worker/1", "kubernetes-worker/2",
                        "kubernetes-worker/3", "kubernetes-worker/4");
        assertThat(model.leader()).map(RealModel.Member::unit).contains("snap-coherence/2");
        assertThat(model.members()).filteredOn(m -> m.arch().equals("arm64")).extracting(RealModel.Member::unit)
                .containsExactly("snap-coherence/6", "snap-coherence/7");
        assertThat(model.members()).allMatch(RealModel.Member::archKnown);
        assertThat(model.members()).extracting(RealModel.Member::machine)
                .containsExactly("0", "3", "1", "4", "5", "2", "6", "7");
        assertThat(model.notes()).isEmpty();
    }

    @Test
    void theDocumentedExampleIsTheTestedSample() throws IOException {
        assertThat(Files.readString(Path.of("docs/examples/juju-status.yaml"))).isEqualTo(Files.readString(STATUS));
        assertThat(Files.readString(Path.of("docs/examples/juju-config.yaml"))).isEqualTo(Files.readString(CONFIG));
    }

    @Test
    void jsonOutputReadsTheSameAsYaml() throws Exception {
        Path json = dir.resolve("status.json");
        Files.writeString(json, new ObjectMapper().writeValueAsString(YAML.readTree(STATUS.toFile())));

        assertThat(RealModel.read(json, Optional.empty()).members())
                .isEqualTo(RealModel.read(STATUS, Optional.empty()).members());
    }

    @Test
    void juju29RelationsAsApplicationNamesReadTheSame() throws Exception {
        Path old = mutated(root -> {
            ObjectNode relations = (ObjectNode) root.at("/applications/snap-coherence/relations");
            relations.putArray("control-plane").add("kubernetes-control-plane");
            relations.putArray("worker").add("kubernetes-worker");
        });

        assertThat(RealModel.read(old, Optional.empty()).members())
                .isEqualTo(RealModel.read(STATUS, Optional.empty()).members());
    }

    @Test
    void configValuesSetByTheOperatorOverrideTheDefaults() throws Exception {
        RealModel defaults = RealModel.read(STATUS, Optional.empty());
        RealModel configured = RealModel.read(STATUS, Optional.of(CONFIG));

        assertThat(defaults.configValues()).containsEntry("proxy-url", "").containsEntry("max-unavailable", 1)
                .containsEntry("on-failure", "halt").containsEntry("auto-refresh", true);
        assertThat(configured.configValues()).containsEntry("proxy-url", "http://snap-proxy.internal")
                .containsEntry("max-unavailable", 2).containsEntry("on-failure", "halt")
                .containsEntry("auto-refresh", true);
        assertThat(configured.config().get("max-unavailable").user()).isTrue();
        assertThat(configured.config().get("hold").user()).isFalse();
    }

    @Test
    void theSampleRehearsesControlPlaneFirstInBatchesOfItsMaxUnavailable() throws Exception {
        StatusRehearsal.Result result = StatusRehearsal.run(RealModel.read(STATUS, Optional.of(CONFIG)), 1, 20_000);
        String report = print(result);

        assertThat(result.held()).as(report).isTrue();
        assertThat(result.refreshed()).hasSize(8);
        long lastControlPlane = result.refreshed().stream().filter(r -> r.role() == Role.CONTROL_PLANE)
                .mapToLong(StatusRehearsal.Refreshed::lastRound).max().orElseThrow();
        assertThat(result.refreshed()).filteredOn(r -> r.role() == Role.WORKER)
                .allMatch(r -> r.firstRound() >= lastControlPlane);
        // The leader is granted last in its tier: it refreshes after the other control-plane units.
        assertThat(result.refreshed()).filteredOn(r -> r.role() == Role.CONTROL_PLANE)
                .extracting(StatusRehearsal.Refreshed::unit).last().isEqualTo("snap-coherence/2");
        assertThat(report).contains("rehearsal of model ck8s-prod", "3 control-plane + 5 worker units",
                "snap-coherence/6     on kubernetes-worker/3          worker        machine 6        arm64",
                "machine 1        amd64  leader", "max-unavailable=2 (set)",
                "proxy-url=http://snap-proxy.internal (set)", "2 at a time",
                "control-plane  1: snap-coherence/0 snap-coherence/5", "control-plane  2: snap-coherence/2",
                "maintenance: rolling out plan 1: control plane 0/3, workers 0/5",
                "active: up to date (plan 1)", "invariants held");
        // arm64 units go to the arm64 builds (numbered 1,000 above amd64's), amd64 units to theirs.
        SimUnit arm = result.model().unit("snap-coherence/6");
        assertThat(arm.machine().installedSnaps()).anyMatch(s -> s.name().equals("kubelet")
                && s.revision() == Rehearsal.next("arm64").get("kubelet"));
        assertThat(result.model().unit("snap-coherence/1").machine().installedSnaps())
                .anyMatch(s -> s.name().equals("kubelet") && s.revision() == Rehearsal.NEW.get("kubelet"));
    }

    @Test
    void withoutConfigTheCharmDefaultsApplyOneUnitAtATimeAndNoProxy() throws Exception {
        StatusRehearsal.Result result = StatusRehearsal.run(RealModel.read(STATUS, Optional.empty()), 1, 20_000);
        String report = print(result);

        assertThat(result.held()).as(report).isTrue();
        assertThat(report).contains("1 at a time", "store (no proxy-url)", "control-plane  3: snap-coherence/2",
                "worker         5:");
    }

    @Test
    void autoRefreshOffRehearsesTheRefreshAction() throws Exception {
        Path config = dir.resolve("config.yaml");
        JsonNode root = YAML.readTree(CONFIG.toFile());
        ((ObjectNode) root.at("/settings/auto-refresh")).put("source", "user").put("value", false);
        YAML.writeValue(config.toFile(), root);

        StatusRehearsal.Result result = StatusRehearsal.run(RealModel.read(STATUS, Optional.of(config)), 1, 20_000);

        assertThat(result.refreshAction()).isTrue();
        assertThat(result.held()).as(print(result)).isTrue();
        assertThat(result.refreshed()).hasSize(8);
    }

    // ---- malformed and foreign input: one line, exit 2 ------------------------------------------------------

    @Test
    void notYamlAtAll() throws IOException {
        Path file = dir.resolve("status.yaml");
        Files.writeString(file, "model: [unclosed\n  applications: {");
        assertRefused(file, null, file + ": not YAML or JSON: ");
    }

    @Test
    void notJujuStatus() throws IOException {
        Path file = dir.resolve("status.yaml");
        Files.writeString(file, "kind: Pod\nmetadata:\n  name: x\n");
        assertRefused(file, null, file + ": no applications (not the output of juju status --format=yaml)");
    }

    @Test
    void noApplicationRunsTheCharm() throws IOException {
        Path file = mutated(root -> ((ObjectNode) root.get("applications")).remove("snap-coherence"));
        assertRefused(file, null, file + ": no application runs charm snap-coherence");
    }

    @Test
    void aPrincipalUnitWithoutOurSubordinate() throws IOException {
        Path file = mutated(root -> ((ObjectNode) root.at(
                "/applications/kubernetes-worker/units/kubernetes-worker~13/subordinates")).remove("snap-coherence/6"));
        assertRefused(file, null, file + ": applications.kubernetes-worker.units.kubernetes-worker/3: no subordinate"
                + " of snap-coherence");
    }

    @Test
    void aRelatedPrincipalApplicationMissing() throws IOException {
        Path file = mutated(root -> ((ObjectNode) root.get("applications")).remove("kubernetes-worker"));
        assertRefused(file, null, file + ": applications.kubernetes-worker: missing (snap-coherence relates to it on"
                + " worker)");
    }

    @Test
    void noControlPlaneOrWorkerRelation() throws IOException {
        Path file = mutated(root -> ((ObjectNode) root.at("/applications/snap-coherence")).remove("relations"));
        assertRefused(file, null, file + ": applications.snap-coherence.relations: no control-plane or worker"
                + " relation");
    }

    @Test
    void aMachineMissing() throws IOException {
        Path file = mutated(root -> ((ObjectNode) root.get("machines")).remove("6"));
        assertRefused(file, null, file + ": machines.6: missing (kubernetes-worker/3 runs on it)");
    }

    @Test
    void twoLeaders() throws IOException {
        Path file = mutated(root -> ((ObjectNode) root.at(
                "/applications/kubernetes-worker/units/kubernetes-worker~10/subordinates/snap-coherence~11"))
                .put("leader", true));
        assertRefused(file, null, file + ": snap-coherence/1 and snap-coherence/2 are both marked leader: true");
    }

    @Test
    void aSubordinateWithoutPrincipals() throws IOException {
        Path file = mutated(root -> ((ObjectNode) root.at("/applications/snap-coherence")).remove("subordinate-to"));
        assertRefused(file, null, file + ": applications.snap-coherence: no subordinate-to (snap-coherence is a"
                + " subordinate charm)");
    }

    @Test
    void configOfAnotherCharm() throws IOException {
        Path config = dir.resolve("config.yaml");
        Files.writeString(config, "application: kubernetes-worker\ncharm: kubernetes-worker\nsettings: {}\n");
        assertRefused(STATUS, config, config + ": charm is kubernetes-worker, not snap-coherence (juju config"
                + " snap-coherence --format=yaml)");
    }

    @Test
    void configWithAnOptionThisCharmHasNot() throws IOException {
        Path config = dir.resolve("config.yaml");
        JsonNode root = YAML.readTree(CONFIG.toFile());
        ((ObjectNode) root.get("settings")).putObject("channel").put("source", "user").put("value", "1.30/stable");
        YAML.writeValue(config.toFile(), root);
        assertRefused(STATUS, config, config + ": settings.channel: not an option of this snap-coherence");
    }

    @Test
    void configWithAValueTheCharmRefuses() throws IOException {
        Path config = dir.resolve("config.yaml");
        JsonNode root = YAML.readTree(CONFIG.toFile());
        ((ObjectNode) root.at("/settings/max-unavailable")).put("value", 0);
        YAML.writeValue(config.toFile(), root);
        assertRefused(STATUS, config, config + ": max-unavailable must be between 1 and 100, got 0");
    }

    @Test
    void aMissingFile() {
        Path missing = dir.resolve("nope.yaml");
        assertRefused(missing, null, missing + ": cannot read: ");
    }

    private void assertRefused(Path status, Path config, String line) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        String[] args = config == null ? new String[] {"--status", status.toString()}
                : new String[] {"--status", status.toString(), "--config", config.toString()};

        int exit = Rehearse.mainOnStatus(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));

        String error = err.toString(StandardCharsets.UTF_8);
        assertThat(exit).isEqualTo(2);
        assertThat(out.toString(StandardCharsets.UTF_8)).isEmpty();
        assertThat(error.lines().toList()).as(error).hasSize(1);
        assertThat(error).startsWith("rehearse: " + line).doesNotContain("Exception", "\tat ");
    }

    /** The sample with one change (JSON pointers: {@code ~1} is a slash in a key). */
    private Path mutated(Consumer<JsonNode> change) throws IOException {
        JsonNode root = YAML.readTree(STATUS.toFile());
        change.accept(root);
        Path file = dir.resolve("status.yaml");
        YAML.writeValue(file.toFile(), root);
        return file;
    }

    private static String print(StatusRehearsal.Result result) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        StatusRehearsal.print(result, false, new PrintStream(out, true, StandardCharsets.UTF_8));
        return out.toString(StandardCharsets.UTF_8);
    }
}
