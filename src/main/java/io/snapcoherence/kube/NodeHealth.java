package io.snapcoherence.kube;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Kubernetes' own word on this node: the API server's readiness ({@code /readyz}) and the kubelet's health
 * ({@code /healthz}), asked on the node itself. A snap refresh can end {@code Done} with its services active while
 * the component inside is not serving (an API server that cannot reach etcd, a kubelet whose config the new
 * revision rejects): these endpoints are where Kubernetes says so.
 */
public interface NodeHealth {

    /**
     * Asks {@code endpoint} until it answers healthy or {@code within} has passed (at least once), and returns the
     * last answer. A problem on this side (certificates, credentials) is {@link Answer.CannotCheck} at once: asking
     * again would not change it.
     */
    Answer check(Endpoint endpoint, Duration within);

    /** The node endpoints the charm asks, each for the snap that serves it. */
    enum Endpoint {
        /** kube-apiserver's readiness: every readiness check of the API server passes (etcd, informers, ...). */
        API_SERVER("kube-apiserver", "/readyz"),
        /** The kubelet's health: its sync loop runs and its config is loaded. */
        KUBELET("kubelet", "/healthz");

        private final String snap;
        private final String path;

        Endpoint(String snap, String path) {
            this.snap = snap;
            this.path = path;
        }

        public String snap() {
            return snap;
        }

        public String path() {
            return path;
        }

        /** The endpoint a snap serves on the node, if any (kubectl, kube-proxy, the scheduler: none asked). */
        public static Optional<Endpoint> of(String snap) {
            for (Endpoint e : values()) {
                if (e.snap.equals(snap)) {
                    return Optional.of(e);
                }
            }
            return Optional.empty();
        }
    }

    /** What an endpoint answered, as the gate tells them apart. */
    sealed interface Answer permits Answer.Healthy, Answer.Unhealthy, Answer.NoAnswer, Answer.Refused,
            Answer.CannotCheck {

        /** One line for a status and a failure text, starting with the endpoint's path. */
        String describe(Endpoint endpoint);

        /** Whether the answer is the node's own word that it is not healthy (or its silence): counted by the gate. */
        default boolean unhealthy() {
            return this instanceof Unhealthy || this instanceof NoAnswer || this instanceof Refused;
        }

        /** HTTP 200: healthy (the body of {@code ?verbose} lists the checks passed). */
        record Healthy() implements Answer {
            @Override
            public String describe(Endpoint endpoint) {
                return endpoint.path() + " ok";
            }
        }

        /** Another HTTP status, with the checks the verbose body names as failed ({@code [-]etcd failed: ...}). */
        record Unhealthy(int status, List<String> failing) implements Answer {
            public Unhealthy {
                failing = List.copyOf(failing);
            }

            @Override
            public String describe(Endpoint endpoint) {
                return endpoint.path() + " " + status + (failing.isEmpty() ? ""
                        : ": " + String.join(", ", failing.stream().map(f -> "[-]" + f + " failed").toList()));
            }
        }

        /** Connected (or trying to) and no answer within the request's time limit. */
        record NoAnswer(Duration waited) implements Answer {
            @Override
            public String describe(Endpoint endpoint) {
                return endpoint.path() + " no answer within " + waited.toMillis() / 1000.0 + " s";
            }
        }

        /** Nothing listens (connection refused, or reset before an answer). */
        record Refused(String why) implements Answer {
            @Override
            public String describe(Endpoint endpoint) {
                return endpoint.path() + " refused: " + why;
            }
        }

        /**
         * The charm could not ask: the node's CA or client credentials are missing or unreadable, the server's
         * certificate is not signed by the cluster CA, or the API server refused the credentials (401, 403). Not the
         * node's fault, so not counted against it: the gate waits, saying so.
         */
        record CannotCheck(String why) implements Answer {
            @Override
            public String describe(Endpoint endpoint) {
                return "cannot check " + endpoint.path() + ": " + why;
            }
        }
    }
}
