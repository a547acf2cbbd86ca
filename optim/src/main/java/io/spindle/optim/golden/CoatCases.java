package io.spindle.optim.golden;

import io.spindle.optim.coat.CoatQuantizer;
import io.spindle.optim.fp8.Fp8Format;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.LinkedHashMap;
import java.util.Map;

/** The FP8 and COAT function cases: Spindle's encoders run on a case's input, results named as the files name them. */
final class CoatCases {
    private CoatCases() {}

    /** Every element rounded to {@code format} and decoded back: the FP8 value it is stored as. */
    static INDArray roundTrip(Fp8Format format, INDArray input) {
        float[] x = input.castTo(DataType.FLOAT).dup('c').data().asFloat();
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) out[i] = format.decode(format.encode(x[i]));
        return Nd4j.createFromArray(out).reshape('c', input.shape());
    }

    /**
     * Quantizes the input in groups of {@code groupSize} (row-major) and reports, per group, k,
     * scale, S ({@code sqrt_min_max}) and the E4M3 values q, and the dequantized tensor.
     */
    static Map<String, INDArray> quantize(INDArray input, int groupSize) {
        float[] x = input.castTo(DataType.FLOAT).dup('c').data().asFloat();
        CoatQuantizer quantizer = new CoatQuantizer(groupSize);
        int groups = quantizer.groups(x.length);
        byte[] codes = new byte[x.length];
        float[] max = new float[groups];
        short[] k16 = new short[groups];
        quantizer.quantize(x, 0, x.length, 0, codes, 0, max, k16);
        float[] dequantized = new float[x.length];
        quantizer.dequantize(codes, 0, x.length, 0, max, k16, dequantized, 0);

        Map<String, INDArray> out = new LinkedHashMap<>();
        for (int g = 0; g < groups; g++) {
            int start = g * groupSize;
            int len = Math.min(groupSize, x.length - start);
            // the store keeps no min (S and scale cancel out of the codec); the report takes it from the input
            float lo = Float.POSITIVE_INFINITY;
            for (int i = start; i < start + len; i++) lo = Math.min(lo, Math.abs(x[i]));
            CoatQuantizer.Group group = CoatQuantizer.group(max[g], (float) (lo + CoatQuantizer.TINY));
            String prefix = "groups[" + g + "].";
            out.put(prefix + "k", Nd4j.scalar(group.k()));
            out.put(prefix + "scale", Nd4j.scalar(group.scale()));
            out.put(prefix + "sqrt_min_max", Nd4j.scalar(group.center()));
            float[] q = new float[len];
            Fp8Format.E4M3.decode(codes, start, q, 0, len);
            out.put(prefix + "q", Nd4j.createFromArray(q));
        }
        out.put("dequantized", Nd4j.createFromArray(dequantized).reshape('c', input.shape()));
        return out;
    }
}
