package io.snapcoherence.snap;

/** {@code snap version}'s snapd line, and what that version can do. */
public record SnapVersion(String snapd) {

    /** {@code snap refresh --hold <snap>} exists from snapd 2.58. */
    public boolean hasPerSnapHold() {
        String[] parts = snapd.split("[.+~-]");
        try {
            int major = Integer.parseInt(parts[0]);
            int minor = parts.length > 1 ? Integer.parseInt(parts[1]) : 0;
            return major > 2 || (major == 2 && minor >= 58);
        } catch (NumberFormatException e) {
            return false;
        }
    }
}
