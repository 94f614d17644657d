package io.snapcoherence.snap;

/** What a refresh of an installed snap would get (GET /v2/find?select=refresh). */
public record RefreshCandidate(String name, String channel, int revision, String version) {
}
