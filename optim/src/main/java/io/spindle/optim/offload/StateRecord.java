package io.spindle.optim.offload;

import java.util.Arrays;

/**
 * Where one parameter's offloaded state lives: a record of float32 values in the store's file,
 * {@code [master weights | slot 0 | slot 1 | ...]}, each section row-major in the parameter's (or
 * the per-row slot's) shape. A chunk's records are read and written in one piece.
 *
 * @param fileOffset byte offset of the record in the file
 * @param slotShapes the shape of each slot, indexed like the store's slot names
 */
record StateRecord(String name, long[] shape, long fileOffset, long[][] slotShapes) {
    StateRecord {
        shape = shape.clone();
    }

    /** Elements of the parameter, which is also the master section's length. */
    int masterFloats() {
        return elements(shape);
    }

    /** Offset in floats of slot {@code s} within the record (the master section comes first). */
    int slotOffset(int s) {
        int at = masterFloats();
        for (int i = 0; i < s; i++) at += elements(slotShapes[i]);
        return at;
    }

    int slotFloats(int s) {
        return elements(slotShapes[s]);
    }

    /** Floats of the whole record. */
    int floats() {
        return slotOffset(slotShapes.length);
    }

    long bytes() {
        return (long) floats() * Float.BYTES;
    }

    static int elements(long[] shape) {
        return Math.toIntExact(Arrays.stream(shape).reduce(1, Math::multiplyExact));
    }
}
