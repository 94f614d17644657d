package io.snapcoherence.snap;

import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The error answers the fake snapd has no reason to give, classified from the shapes in snapd's source
 * (daemon/errors.go, daemon/response.go maintenance, client/errors.go kinds).
 */
class SnapdErrorsTest {
    private static final SnapdErrors.Subject KUBELET = SnapdErrors.Subject.snap("kubelet", true);

    private static SnapError classify(int status, String kind, String message, Object value) {
        return SnapdErrors.classify(status, kind, message, value, Optional.empty(), KUBELET);
    }

    @Test
    void conflictsNameTheSnapSnapdNames() {
        SnapError error = classify(409, "snap-change-conflict",
                "snap \"core20\" has \"auto-refresh\" change in progress",
                Map.of("snap-name", "core20", "change-kind", "auto-refresh"));
        assertThat(error).isEqualTo(new SnapError.ChangeConflict("core20",
                "snap \"core20\" has \"auto-refresh\" change in progress"));
        assertThat(classify(409, "quota-change-conflict", "quota group busy", Map.of("quota-name", "q")))
                .isInstanceOf(SnapError.ChangeConflict.class);
        // "too early for operation" is a ChangeConflictError without a snap (snapstate/devicectx.go), seen as 500
        // without a kind while snapd seeds
        SnapError seeding = classify(500, "", "too early for operation, device not yet seeded or device model not "
                + "acknowledged", null);
        assertThat(seeding).isEqualTo(new SnapError.ChangeConflict("kubelet",
                "too early for operation, device not yet seeded or device model not acknowledged"));
        assertThat(seeding.isTransient()).isTrue();
    }

    @Test
    void theStoreNotAnsweringIsTransient() {
        assertThat(classify(400, "network-timeout", "Post ...: net/http: request canceled", null))
                .isEqualTo(new SnapError.StoreUnreachable("Post ...: net/http: request canceled"));
        assertThat(classify(400, "dns-failure", "lookup api.snapcraft.io: no such host", null))
                .isInstanceOf(SnapError.StoreUnreachable.class);
        assertThat(classify(500, "", "persistent network error: Post \"https://api.snapcraft.io/v2/snaps/refresh\": "
                + "EOF", null)).isInstanceOf(SnapError.StoreUnreachable.class);
        assertThat(classify(500, "", "cannot list updates: cannot query the store for updates: got unexpected HTTP "
                + "status code 503 via POST to \"https://api.snapcraft.io/v2/snaps/refresh\"", null))
                .isInstanceOf(SnapError.StoreUnreachable.class);
        // the same words from a request that does not ask the store are not taken for store trouble
        assertThat(SnapdErrors.classify(500, "", "dial tcp: connection refused", null, Optional.empty(),
                SnapdErrors.Subject.none())).isInstanceOf(SnapError.Other.class);
    }

    @Test
    void aRestartingSnapdIsUnavailableForNow() {
        SnapError error = SnapdErrors.classify(500, "", "snapd is about to restart", null,
                Optional.of("daemon-restart"), SnapdErrors.Subject.none());
        assertThat(error).isInstanceOf(SnapError.SnapdUnavailable.class);
        assertThat(error.isTransient()).isTrue();
    }

    @Test
    void channelAndArchitectureVariantsAreRevisionsNotAvailable() {
        assertThat(classify(404, "snap-channel-not-available", "no snap revision on specified channel", Map.of()))
                .isEqualTo(new SnapError.RevisionNotAvailable("kubelet", "no snap revision on specified channel"));
        assertThat(classify(404, "snap-architecture-not-available", "no snap revision on specified architecture",
                Map.of())).isInstanceOf(SnapError.RevisionNotAvailable.class);
    }

    @Test
    void configureErrorsOfProxyStoreAreTyped() {
        String prefix = "cannot perform the following tasks:\n- Run configure hook of \"core\" snap (run hook "
                + "\"configure\": ";
        assertThat(SnapdErrors.configureFailed(prefix + "cannot set proxy.store to \"abc\" without a matching store "
                + "assertion)")).isEqualTo(new SnapError.NoMatchingStoreAssertion("abc"));
        assertThat(SnapdErrors.configureFailed(prefix + "cannot set proxy.store to \"abc\" with a matching store "
                + "assertion with url unset)")).isEqualTo(new SnapError.StoreAssertionWithoutUrl("abc"));
        assertThat(SnapdErrors.configureFailed(prefix + "something else)")).isInstanceOf(SnapError.Other.class);
    }

    @Test
    void anythingElseKeepsSnapdsWords() {
        assertThat(classify(403, "login-required", "access denied", null))
                .isEqualTo(new SnapError.Other(403, "login-required", "access denied"));
        assertThat(new SnapError.Other(403, "login-required", "access denied").describe()).isEqualTo("access denied");
    }
}
