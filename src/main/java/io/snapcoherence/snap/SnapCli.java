package io.snapcoherence.snap;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The real snap CLI. (Placeholder until the snap edge lands.) */
public final class SnapCli implements Snaps {
    private static UnsupportedOperationException todo() {
        return new UnsupportedOperationException("snap CLI edge not built yet");
    }

    public void ack(byte[] assertions) { throw todo(); }
    public List<String> knownStores() { throw todo(); }
    public Optional<String> getSystem(String key) { throw todo(); }
    public void setSystem(String key, String value) { throw todo(); }
    public Map<String, SnapInfo> info(List<String> names) { throw todo(); }
    public List<InstalledSnap> list() { throw todo(); }
    public void refresh(String snap, String channel, RefreshPin pin) { throw todo(); }
    public void revert(String snap) { throw todo(); }
    public Map<String, String> createCohort(List<String> snaps) { throw todo(); }
    public void hold(List<String> snaps) { throw todo(); }
    public void unhold(List<String> snaps) { throw todo(); }
    public List<SnapService> services(List<String> snaps) { throw todo(); }
    public SnapVersion version() { throw todo(); }
}
