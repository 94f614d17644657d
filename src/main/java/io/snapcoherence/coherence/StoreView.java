package io.snapcoherence.coherence;

import io.snapcoherence.snap.SnapInfo;

import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** What the leader learnt from the store this hook: revisions per (snap, channel), or why it could not ask. */
public sealed interface StoreView permits StoreView.Revisions, StoreView.Unavailable {

    record Revisions(Map<SnapChannel, Integer> revisions) implements StoreView {
        public Revisions {
            revisions = java.util.Collections.unmodifiableMap(new TreeMap<>(revisions));
        }

        public Optional<Integer> revision(String snap, String channel) {
            return Optional.ofNullable(revisions.get(new SnapChannel(snap, channel)));
        }
    }

    /** The store could not be asked (outage, timeout, snapd error): no plan is made or cancelled for it. */
    record Unavailable(String reason) implements StoreView {
    }

    /**
     * The revisions {@code snap info} gave for the channels units track. A channel the store closed, or a snap it
     * does not know, has no revision: nothing is planned for it. {@code latest/x} and {@code x} name one channel.
     */
    static Revisions of(Map<String, SnapInfo> infos, Collection<SnapChannel> tracked) {
        Map<SnapChannel, Integer> out = new TreeMap<>();
        for (SnapChannel sc : tracked) {
            SnapInfo info = infos.get(sc.snap());
            if (info == null) {
                continue;
            }
            Optional<Integer> rev = info.revision(sc.channel())
                    .or(() -> info.revision(alias(sc.channel())));
            rev.ifPresent(r -> out.put(sc, r));
        }
        return new Revisions(out);
    }

    public static Revisions fromInfo(Map<String, SnapInfo> infos, Collection<SnapChannel> tracked) {
        return of(infos, tracked);
    }

    private static String alias(String channel) {
        return channel.startsWith("latest/") ? channel.substring("latest/".length()) : "latest/" + channel;
    }
}
