package io.snapcoherence.sim;

/** The rehearse command. (Placeholder until the simulator lands.) */
public final class Rehearse {
    private Rehearse() {
    }

    public static int main(String[] args) {
        System.err.println("rehearse: the simulator is not built yet");
        return 2;
    }
}
