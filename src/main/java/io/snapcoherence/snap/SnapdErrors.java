package io.snapcoherence.snap;

import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * snapd's error answers as {@link SnapError}s. snapd writes them as
 * {@code {"type":"error","status-code":N,"result":{"message","kind","value"}}} (daemon/response.go, errors.go);
 * the {@code kind}s are listed in client/errors.go. The kind decides; the message is read only where snapd gives
 * no kind, and each such case names the snapd source that produces the text.
 */
final class SnapdErrors {
    /** overlord/configstate/configcore/proxy.go validateProxyStore (2.57.6 and 2.68.5 alike). */
    private static final Pattern NO_STORE_ASSERTION = Pattern.compile(
            "cannot set proxy\\.store to \"([^\"]*)\" without a matching store assertion");
    private static final Pattern STORE_WITHOUT_URL = Pattern.compile(
            "cannot set proxy\\.store to \"([^\"]*)\" with a matching store assertion with url unset");
    /**
     * Store trouble that snapd passes on without a kind: GET /v2/find and ?select=refresh answer 500 with the
     * store client's error (daemon/api_find.go findOne, storeUpdates), e.g. httputil/retry.go's
     * "persistent network error: ...", Go's "dial tcp ...: connection refused", "no such host", "i/o timeout",
     * or store/errors.go respToError's "got unexpected HTTP status code 5xx".
     */
    private static final Pattern STORE_NETWORK = Pattern.compile("persistent network error|dial tcp|connection refused"
            + "|no such host|i/o timeout|Client\\.Timeout|TLS handshake timeout|unexpected HTTP status code 5\\d\\d"
            + "|unexpectedly empty response from the server");

    private SnapdErrors() {
    }

    /** What a request is about, for the errors that name it: a snap, a configuration key, or nothing. */
    record Subject(Optional<String> snap, Optional<String> key, boolean asksStore) {
        static Subject none() {
            return new Subject(Optional.empty(), Optional.empty(), false);
        }

        static Subject snap(String snap, boolean asksStore) {
            return new Subject(Optional.of(snap), Optional.empty(), asksStore);
        }

        static Subject key(String key) {
            return new Subject(Optional.empty(), Optional.of(key), false);
        }

        static Subject store() {
            return new Subject(Optional.empty(), Optional.empty(), true);
        }
    }

    /**
     * One error answer. {@code maintenance} is the envelope's maintenance kind (daemon-restart, system-restart:
     * snapd is going away, daemon/response.go maintenanceForRestartType), empty when absent.
     */
    static SnapError classify(int status, String kind, String message, Object value, Optional<String> maintenance,
                              Subject subject) {
        String snap = subject.snap().isPresent() ? subject.snap().get() : snapNamed(value).orElse("");
        switch (kind) {
            case "snap-change-conflict", "quota-change-conflict":
                // daemon/errors.go SnapChangeConflict: value {snap-name, change-kind}; 409
                return new SnapError.ChangeConflict(snapNamed(value).orElse(snap), message);
            case "snap-not-installed":
                return new SnapError.NotInstalled(snap);
            case "snap-not-found":
                return new SnapError.NotFound(snap);
            case "snap-no-update-available":
                return new SnapError.NoUpdateAvailable(snap);
            case "snap-revision-not-available", "snap-channel-not-available", "snap-architecture-not-available":
                return new SnapError.RevisionNotAvailable(snap, message);
            case "option-not-found":
                return new SnapError.NoSuchOption(subject.key().orElse(""));
            case "network-timeout", "dns-failure":
                return new SnapError.StoreUnreachable(message);
            case "daemon-restart", "system-restart":
                return new SnapError.SnapdUnavailable(message);
            default:
                break;
        }
        if (maintenance.isPresent()) {
            return new SnapError.SnapdUnavailable(message + " (" + maintenance.get() + ")");
        }
        if (kind.isEmpty()) {
            // overlord/snapstate/snapstate.go Revert: "no revision to revert to", wrapped by daemon/api_snaps.go
            // errToResponse as 400 "cannot revert \"x\": no revision to revert to".
            if (message.endsWith("no revision to revert to")) {
                return new SnapError.NoRevisionToRevert(snap);
            }
            // overlord/snapstate/devicectx.go DevicePastSeeding: a ChangeConflictError, yet observed as 500 without
            // a kind while snapd seeds (docs/real-snapd.md): a change that must wait, like any conflict.
            if (message.startsWith("too early for operation")) {
                return new SnapError.ChangeConflict(snap, message);
            }
            if (subject.asksStore() && STORE_NETWORK.matcher(message).find()) {
                return new SnapError.StoreUnreachable(message);
            }
        }
        return new SnapError.Other(status, kind, message);
    }

    /** A failed configure change (its "err" text) as the error snapd's CLI reports for {@code snap set}. */
    static SnapError configureFailed(String error) {
        Matcher m = NO_STORE_ASSERTION.matcher(error);
        if (m.find()) {
            return new SnapError.NoMatchingStoreAssertion(m.group(1));
        }
        m = STORE_WITHOUT_URL.matcher(error);
        if (m.find()) {
            return new SnapError.StoreAssertionWithoutUrl(m.group(1));
        }
        return new SnapError.Other(0, "", error);
    }

    /** snap-not-found and friends carry the name as the value; conflicts carry {snap-name}. */
    private static Optional<String> snapNamed(Object value) {
        if (value instanceof String name && !name.isEmpty()) {
            return Optional.of(name);
        }
        if (value instanceof Map<?, ?> map && map.get("snap-name") instanceof String name && !name.isEmpty()) {
            return Optional.of(name);
        }
        return Optional.empty();
    }
}
