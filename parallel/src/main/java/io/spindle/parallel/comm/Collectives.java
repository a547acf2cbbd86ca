package io.spindle.parallel.comm;

/** Argument checks shared by the communicators, with messages that name the bad value. */
final class Collectives {
    private Collectives() {}

    /** k for a collective whose large side has {@code size·k} elements and small side k. */
    static int chunkOf(int large, int small, int size, String collective) {
        if ((long) small * size != large) {
            throw new IllegalArgumentException(collective + ": the larger array has " + large
                    + " elements but must have size·k = " + size + "·" + small + " = " + (long) small * size);
        }
        return small;
    }

    static void checkRoot(int root, int size) {
        if (root < 0 || root >= size) {
            throw new IllegalArgumentException("broadcast root=" + root + " is outside [0, " + size + ")");
        }
    }
}
