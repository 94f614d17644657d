package io.snapcoherence.sim;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The rehearse command: options, the report, and a halted rollout resumed. */
class RehearseTest {

    private static String report(String... args) {
        Rehearsal.Result result = Rehearsal.run(Rehearse.parse(args));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Rehearse.print(result, false, 60, 0, new PrintStream(out, true, StandardCharsets.UTF_8));
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aRolloutReportsControlPlaneBeforeWorkersAndTheInvariantsHeld() {
        String report = report("--control-plane", "2", "--workers", "3", "--seed", "4");

        assertThat(report).contains("== control plane on the new revisions", "== every unit on the new revisions",
                "invariants held: [I1, I2, I3, I4, I5, I6, I7, I8, I9, I10, I11]", "proxy http://snap-proxy.internal");
        assertThat(report.indexOf("== control plane on the new revisions"))
                .isLessThan(report.indexOf("== first worker refresh"));
    }

    @Test
    void aFailedRefreshHaltsWithTheUnitBlockedAndResumeFinishesTheRollout() {
        String halted = report("--control-plane", "1", "--workers", "3", "--fail", "kubelet@worker/1");
        String resumed = report("--control-plane", "1", "--workers", "3", "--fail", "kubelet@worker/1", "--resume");

        assertThat(halted).contains("kubelet FAILED", "kubernetes-worker/1", "blocked")
                .doesNotContain("== every unit on the new revisions");
        assertThat(resumed).contains("resumed after a halt: 1 time(s)", "== every unit on the new revisions");
    }

    @Test
    void badArgumentsAreRefusedWithAReason() {
        assertThatThrownBy(() -> Rehearse.parse(new String[] {"--workers", "many"}))
                .hasMessageContaining("--workers wants a number");
        assertThatThrownBy(() -> Rehearse.parse(new String[] {"--fail", "kubelet"}))
                .hasMessageContaining("SNAP@UNIT");
        assertThat(Rehearse.main(new String[] {"--bogus"})).isEqualTo(2);
    }
}
