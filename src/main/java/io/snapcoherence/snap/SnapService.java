package io.snapcoherence.snap;

/** One row of {@code snap services}: Service Startup Current Notes, e.g. {@code kubelet.daemon enabled active -}. */
public record SnapService(String snap, String service, boolean enabled, boolean active) {
}
