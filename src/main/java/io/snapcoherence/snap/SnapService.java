package io.snapcoherence.snap;

/** One service (GET /v2/apps?select=service): e.g. snap kubelet, service daemon. */
public record SnapService(String snap, String service, boolean enabled, boolean active) {
}
