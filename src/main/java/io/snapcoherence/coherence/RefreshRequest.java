package io.snapcoherence.coherence;

import java.time.Instant;
import java.util.Optional;

/**
 * An operator's {@code refresh} waiting to act (app databag {@code refresh}, with the snaps it names in
 * {@code requested}): when it was asked, and the halted plan it replaces, if it was run on one. It acts on what
 * units saw the proxy serve since it was asked, and only on that: what they saw before may be what the operator has
 * just changed (a fixed revision published, an override pinning the old one back).
 */
public record RefreshRequest(Instant asked, Optional<Long> replaces) {
}
