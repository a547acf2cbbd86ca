package io.spindle.optim.offload;

import java.util.Arrays;

/**
 * Where one parameter's offloaded state lives: a record in the store's file, {@code [master weights
 * (float32) | slot 0 | slot 1 | ...]}, each slot's section in the store's {@link OffloadFormat}
 * (float32 values, or COAT's FP8 codes with their per-group max and min). A chunk's records are
 * read and written in one piece. Every section is a whole number of floats long, so float views of
 * a record in a frame stay aligned, and the record is padded to a whole number of {@link
 * OffloadFile#ALIGNMENT} blocks, so that chunks can be moved with direct I/O (O_DIRECT needs
 * block-aligned positions, lengths and memory).
 *
 * @param fileOffset byte offset of the record in the file
 * @param slotShapes the shape of each slot, indexed like the store's slot names
 * @param sections   byte offset of each slot's section in the record, then the record's padded length
 */
record StateRecord(String name, long[] shape, long fileOffset, long[][] slotShapes, long[] sections) {
    StateRecord {
        shape = shape.clone();
    }

    /** A record whose slot {@code s} section takes {@code sectionBytes[s]} bytes after the master weights. */
    static StateRecord of(String name, long[] shape, long fileOffset, long[][] slotShapes, long[] sectionBytes) {
        long[] sections = new long[slotShapes.length + 1];
        sections[0] = (long) elements(shape) * Float.BYTES;
        for (int s = 0; s < slotShapes.length; s++) {
            if (sectionBytes[s] % Float.BYTES != 0) {
                throw new IllegalArgumentException("section " + s + " of " + name + " is not a whole number of floats");
            }
            sections[s + 1] = sections[s] + sectionBytes[s];
        }
        long align = OffloadFile.ALIGNMENT;
        sections[slotShapes.length] = (sections[slotShapes.length] + align - 1) / align * align;
        return new StateRecord(name, shape, fileOffset, slotShapes, sections);
    }

    /** Elements of the parameter, which is also the master section's length in floats. */
    int masterFloats() {
        return elements(shape);
    }

    /** Byte offset of slot {@code s}'s section within the record. */
    long section(int s) {
        return sections[s];
    }

    int slotElements(int s) {
        return elements(slotShapes[s]);
    }

    long bytes() {
        return sections[sections.length - 1];
    }

    /** Floats of the whole record. */
    int floats() {
        return Math.toIntExact(bytes() / Float.BYTES);
    }

    static int elements(long[] shape) {
        return Math.toIntExact(Arrays.stream(shape).reduce(1, Math::multiplyExact));
    }
}
