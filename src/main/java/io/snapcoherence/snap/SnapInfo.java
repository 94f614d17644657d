package io.snapcoherence.snap;

import java.util.Map;
import java.util.Optional;

/**
 * What the store serves for one snap: channel name to revision for every open channel (a channel shown as
 * {@code ^} carries the revision of the line above it; closed channels are absent), and what is installed.
 */
public record SnapInfo(String name, Map<String, Integer> channels, Optional<String> tracking,
                       Optional<Integer> installedRevision) {
    public SnapInfo {
        channels = Map.copyOf(channels);
    }

    public Optional<Integer> revision(String channel) {
        return Optional.ofNullable(channels.get(channel));
    }
}
