package io.snapcoherence.snap;

import io.snapcoherence.snap.fakestore.FakeAssertions;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AssertionsTest {

    private static List<Assertions.Assertion> parse(String text) {
        return Assertions.parse(text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void parsesAProxyStreamOfThreeAssertionsWithABody() {
        List<Assertions.Assertion> all = parse(FakeAssertions.streamFor("abc", "http://p"));

        assertThat(all).extracting(Assertions.Assertion::type).containsExactly("account-key", "account", "store");
        assertThat(all.get(0).body()).startsWith("AcbBTQRWhcGAARAA");
        assertThat(all.get(2).header("store")).hasValue("abc");
        assertThat(all.get(2).signature()).startsWith("AcLBXAQAAQoABgUCWYuXiAAKCRAdLQyY");
    }

    @Test
    void aBodyMayContainBlankLinesWhenBodyLengthSaysSo() {
        String body = "line one\n\nline three";
        String text = "type: thing\nbody-length: " + body.length() + "\n\n" + body + "\n\nAcLBsig==\n";
        assertThat(parse(text).get(0).body()).isEqualTo(body);
    }

    @Test
    void multiLineHeaderValuesAreJoined() {
        String text = "type: thing\nlist:\n  - a\n  - b\nname: x\n\nAcLBsig==";
        assertThat(parse(text).get(0).header("list")).hasValue("- a\n- b");
    }

    @Test
    void rejectsTextThatIsNotAnAssertion() {
        assertThatThrownBy(() -> parse("<html>hello</html>\n")).isInstanceOf(Assertions.FormatException.class);
        assertThatThrownBy(() -> parse("name: x\n\nAcLBsig==")).hasMessageContaining("type:");
        assertThatThrownBy(() -> parse("type: store\nstore: x\n")).hasMessageContaining("blank line");
        assertThatThrownBy(() -> parse("type: store\nstore: x\n\n")).hasMessageContaining("signature");
        assertThatThrownBy(() -> parse("type: t\nbody-length: 50\n\nshort\n\nAcLB==")).hasMessageContaining("body of 50");
        assertThatThrownBy(() -> parse("type: t\nbody-length: -1\n\nAcLB==")).hasMessageContaining("body-length");
    }

    @Test
    void emptyStreamHasNoAssertions() {
        assertThat(parse("")).isEmpty();
    }
}
