package io.snapcoherence.snap;

/** How a refresh names the exact bits: a revision, or a cohort key. */
public sealed interface RefreshPin permits RefreshPin.Revision, RefreshPin.Cohort {

    record Revision(int revision) implements RefreshPin {
        public Revision {
            if (revision <= 0) {
                throw new IllegalArgumentException("revision must be positive: " + revision);
            }
        }
    }

    record Cohort(String key) implements RefreshPin {
        public Cohort {
            if (key == null || key.isBlank()) {
                throw new IllegalArgumentException("cohort key must not be empty");
            }
        }
    }
}
