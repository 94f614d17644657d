package io.snapcoherence.snap;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Every error text of snapd.md, and those observed beyond it, maps to a typed error. */
class SnapErrorsTest {

    private static SnapError classify(int exit, String stderr) {
        return SnapErrors.classify(exit, stderr);
    }

    @Test
    void errorsFromTheReference() {
        assertThat(classify(1, "error: no snap found for \"nosuch\"\n")).isEqualTo(new SnapError.NotFound("nosuch"));
        assertThat(classify(1, "error: snap \"kubectl\" is not installed\n")).isEqualTo(new SnapError.NotInstalled("kubectl"));
        SnapError empty = classify(1, "error: cannot install \"kubectl\": unexpectedly empty response from the server\n"
                + "       (try again later)\n");
        assertThat(empty).isInstanceOf(SnapError.StoreUnreachable.class);
        assertThat(empty.isTransient()).isTrue();
        assertThat(classify(1, "error: snap \"core\" has no \"proxy\" configuration option\n"))
                .isEqualTo(new SnapError.NoSuchOption("proxy"));
        assertThat(classify(1, "error: cannot perform the following tasks:\n- Run configure hook of \"core\" snap "
                + "(run hook \"configure\": cannot set proxy.store to \"abc\" without a matching store assertion)\n"))
                .isEqualTo(new SnapError.NoMatchingStoreAssertion("abc"));
        assertThat(classify(1, "error: cannot assert: cannot decode request body into assertions: unexpected EOF\n"))
                .isEqualTo(new SnapError.AssertionsRejected("unexpected EOF"));
        assertThat(classify(1, "error: cannot perform the following tasks:\n- Run configure hook of \"core\" snap "
                + "(run hook \"configure\": refresh.hold cannot be parsed: parsing time \"forever\" as "
                + "\"2006-01-02T15:04:05Z07:00\": cannot parse \"forever\" as \"2006\")"))
                .isInstanceOf(SnapError.Other.class);
        assertThat(classify(64, "error: unknown flag `hold'\n")).isEqualTo(new SnapError.Other(64, "unknown-flag",
                "unknown flag `hold'"));
    }

    @Test
    void errorsObservedFromSnapd257BeyondTheReference() {
        assertThat(classify(1, "error: snap \"kubectl\" not found\n")).isEqualTo(new SnapError.NotInstalled("kubectl"));
        assertThat(classify(1, "error: cannot revert \"kubectl\": no revision to revert to\n"))
                .isEqualTo(new SnapError.NoRevisionToRevert("kubectl"));
        assertThat(classify(1, "error: cannot assert: assert failed: cannot accept some assertions:\n"
                + " - failed signature verification: openpgp: invalid signature: hash tag doesn't match\n"))
                .isInstanceOf(SnapError.AssertionsRejected.class);
        assertThat(classify(1, "error: cannot assert: assert failed: cannot resolve prerequisite assertion: "
                + "account (fakeoperator)\n")).isInstanceOf(SnapError.AssertionsRejected.class);
        assertThat(classify(1, "error: cannot perform the following tasks:\n- Run configure hook of \"core\" snap "
                + "(run hook \"configure\": cannot set proxy.store to \"fakestoreid\" with a matching store "
                + "assertion with url unset)\n")).isEqualTo(new SnapError.StoreAssertionWithoutUrl("fakestoreid"));
        SnapError down = classify(1, "error: cannot communicate with server: Get \"http://localhost/v2/snaps\": "
                + "dial unix /run/snapd.socket: connect: no such file or directory\n");
        assertThat(down).isInstanceOf(SnapError.SnapdUnavailable.class);
        assertThat(down.isTransient()).isTrue();
        assertThat(classify(1, "error: snap \"kubelet\" has \"refresh-snap\" change in progress\n"))
                .isEqualTo(new SnapError.ChangeConflict("kubelet", "snap \"kubelet\" has \"refresh-snap\" change in progress"));
        // snapd's conflict error without a change kind; the CLI exits 10 ("retryable") for both.
        assertThat(classify(10, "error: snap \"kubelet\" has changes in progress\n"))
                .isEqualTo(new SnapError.ChangeConflict("kubelet", "snap \"kubelet\" has changes in progress"));
    }

    @Test
    void anythingElseKeepsSnapdsWords() {
        assertThat(classify(2, "error: something new\n")).isEqualTo(new SnapError.Other(2, "", "something new"));
    }
}
