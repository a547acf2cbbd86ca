package io.spindle.optim.coat;

import io.spindle.optim.fp8.Fp8Format;
import io.spindle.optim.state.StateTensors;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.ByteBuffer;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@link CoatStateStore}'s checkpoint form. A compressed slot is saved as it is kept:
 * {@code <param>/<slot>.fp8} (int8 codes, the parameter's shape), {@code .max} (float32 per group)
 * and {@code .k} (k per group as float32: a multiple of 1/16 below 4096, exact in float32; the
 * checkpoint has no 16-bit type, memory keeps the 16-bit code). Per-row slots are float32
 * {@code <param>/<slot>}.
 *
 * <p>Checkpoints of the earlier layout hold {@code .max} and {@code .min} per group instead of
 * {@code .k}; they load by computing k from max and min exactly as that layout did when it
 * quantized, so the codes keep their values. Only a group whose k exceeded the 16-bit code (values
 * agreeing to 0.3 %) is decoded with its old k and quantized again.
 */
final class CoatCheckpoint {
    /** The suffixes a compressed slot's tensors may have, for error messages. */
    static final String PARTS = CoatStateStore.CODES + "|" + CoatStateStore.MAX + "|" + CoatStateStore.K;
    /** The earlier layout's per-group min. */
    static final String LEGACY_MIN = ".min";

    private final CoatQuantizer quantizer;
    private final List<String> slotNames;
    private final boolean[] perRow;

    CoatCheckpoint(CoatQuantizer quantizer, List<String> slotNames, boolean[] perRow) {
        this.quantizer = quantizer;
        this.slotNames = slotNames;
        this.perRow = perRow;
    }

    /** Adds one compressed slot's tensors, copies of the arrays, under {@code key} (= {@code <param>/<slot>}). */
    static void put(Map<String, INDArray> out, String key, long[] shape, byte[] codes, float[] max, short[] k16) {
        out.put(key + CoatStateStore.CODES, Nd4j.createFromArray(codes.clone()).reshape('c', shape));
        out.put(key + CoatStateStore.MAX, Nd4j.createFromArray(max.clone()));
        out.put(key + CoatStateStore.K, kTensor(k16));
    }

    /** The k per group as float32, from the 16-bit codes k·16. */
    static INDArray kTensor(short[] k16) {
        float[] k = new float[k16.length];
        for (int g = 0; g < k.length; g++) k[g] = CoatQuantizer.k16(k16[g]) / 16f;
        return Nd4j.createFromArray(k);
    }

    /** The 16-bit codes of a {@code .k} tensor, checked: every k a multiple of 1/16 in [1/16, 65535/16]. */
    static short[] k16Of(INDArray k, int groups, String name) {
        float[] values = floatsOf(k, groups, name);
        short[] out = new short[values.length];
        for (int g = 0; g < values.length; g++) {
            float k16 = values[g] * 16;
            if (!(k16 >= 1 && k16 <= CoatQuantizer.MAX_K16 && k16 == Math.rint(k16))) {
                throw new IllegalArgumentException("optimizer state tensor " + name + " holds k = " + values[g]
                        + " at group " + g + "; COAT's k is a multiple of 1/16 in [1/16, 65535/16]");
            }
            out[g] = (short) (int) k16;
        }
        return out;
    }

    /** One parameter's entry from its tensors {@code <slot>.fp8/.max/.k} (or {@code .min}, or {@code <slot>} per row). */
    CoatStateStore.Entry entryOf(String param, Map<String, INDArray> parts) {
        Set<String> expected = new HashSet<>();
        long[] shape = null;
        for (int s = 0; s < slotNames.size() && shape == null; s++) {
            if (!perRow[s]) shape = require(parts, param, slotNames.get(s) + CoatStateStore.CODES, DataType.BYTE).shape();
        }
        if (shape == null) throw new IllegalArgumentException("COAT state of " + param + " holds no compressed slot");
        CoatStateStore.Entry e = new CoatStateStore.Entry(shape, slotNames.size());
        int groups = quantizer.groups(e.length);
        for (int s = 0; s < slotNames.size(); s++) {
            String slot = slotNames.get(s);
            if (perRow[s]) {
                INDArray dense = require(parts, param, slot, DataType.FLOAT);
                StateTensors.requireShape(StateTensors.key(param, slot), dense.shape(),
                        StateTensors.perRowShape(slot, shape), "the per-row shape of " + param);
                e.dense[s] = dense.dup('c');
                expected.add(slot);
                continue;
            }
            String codesName = slot + CoatStateStore.CODES;
            INDArray codes = require(parts, param, codesName, DataType.BYTE);
            StateTensors.requireShape(StateTensors.key(param, codesName), codes.shape(), shape, param + "'s first slot");
            e.codes[s] = bytesOf(codes.dup('c'));
            String maxName = slot + CoatStateStore.MAX;
            e.max[s] = floatsOf(require(parts, param, maxName, DataType.FLOAT), groups, StateTensors.key(param, maxName));
            String kName = slot + (parts.containsKey(slot + LEGACY_MIN) ? LEGACY_MIN : CoatStateStore.K);
            INDArray k = require(parts, param, kName, DataType.FLOAT);
            e.k16[s] = kName.endsWith(LEGACY_MIN)
                    ? fromMaxAndMin(e.codes[s], e.max[s], floatsOf(k, groups, StateTensors.key(param, kName)))
                    : k16Of(k, groups, StateTensors.key(param, kName));
            expected.addAll(List.of(codesName, maxName, kName));
        }
        Set<String> extra = new HashSet<>(parts.keySet());
        extra.removeAll(expected);
        if (!extra.isEmpty()) {
            throw new IllegalArgumentException("unexpected optimizer state tensors " + extra + " of " + param
                    + "; COAT slots are " + slotNames + " with parts " + PARTS);
        }
        return e;
    }

    /**
     * The k codes of a slot saved with per-group max and min, which quantized with k from the
     * same formula without the 16-bit cap. A group beyond the cap is decoded with its own k,
     * {@code (|q|/448)^(1/k) max}, and quantized again into {@code codes} and {@code max}.
     */
    short[] fromMaxAndMin(byte[] codes, float[] max, float[] min) {
        int groupSize = quantizer.groupSize();
        short[] k16 = new short[max.length];
        float[] values = new float[groupSize];
        for (int g = 0; g < max.length; g++) {
            double uncapped = CoatQuantizer.uncappedK16(max[g], min[g]);
            if (uncapped <= CoatQuantizer.MAX_K16) {
                k16[g] = (short) (int) uncapped;
                continue;
            }
            int start = g * groupSize;
            int len = Math.min(groupSize, codes.length - start);
            for (int i = 0; i < len; i++) {
                float q = Fp8Format.E4M3.decode(codes[start + i]);
                values[i] = (float) Math.copySign(Math.pow(Math.abs(q) / Fp8Format.E4M3.max(), 16.0 / uncapped) * max[g], q);
            }
            quantizer.quantize(values, 0, len, start, codes, start, max, k16);
        }
        return k16;
    }

    private static INDArray require(Map<String, INDArray> parts, String param, String part, DataType type) {
        INDArray t = parts.get(part);
        String name = StateTensors.key(param, part);
        if (t == null) throw new IllegalArgumentException("optimizer state is missing tensor " + name);
        if (t.dataType() != type) {
            throw new IllegalArgumentException("optimizer state tensor " + name + " must be " + type + ", got "
                    + t.dataType());
        }
        return t;
    }

    private static byte[] bytesOf(INDArray codes) {
        byte[] out = new byte[Math.toIntExact(codes.length())];
        ByteBuffer buffer = codes.data().asNio();
        int offset = Math.toIntExact(codes.offset());
        for (int i = 0; i < out.length; i++) out[i] = buffer.get(offset + i);
        return out;
    }

    private static float[] floatsOf(INDArray t, int groups, String name) {
        if (t.length() != groups) {
            throw new IllegalArgumentException("optimizer state tensor " + name + " has " + t.length()
                    + " values but the parameter has " + groups + " groups");
        }
        return t.dup('c').data().asFloat();
    }
}
