package io.snapcoherence.snap;

/** One row of {@code snap list}: Name Version Rev Tracking Publisher Notes. */
public record InstalledSnap(String name, String version, int revision, String tracking, String notes) {

    public boolean held() {
        return notes.contains("held");
    }
}
