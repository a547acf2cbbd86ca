package io.spindle.optim.coat;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

/**
 * The SIMD codec against the scalar one it must reproduce bit for bit. The build starts test JVMs
 * with {@code --add-modules jdk.incubator.vector}, so the vector codec is what runs here and in
 * every other COAT test.
 */
class VectorGroupCodecTest {
    private static final int GROUP = 128;

    @Test
    void theVectorCodecIsTheOneInUseWhereTheModuleIsPresent() {
        assertInstanceOf(VectorGroupCodec.class, GroupCodec.best(),
                "test JVMs run with --add-modules jdk.incubator.vector (pom.xml vector.jvm.args)");
    }

    /**
     * Groups of every kind of spread: from a factor 1.001 (k capped) through one to three decades
     * (k between 16 and 3/16: the vector path) to twelve decades (k below 3/16: the scalar search),
     * signs mixed, zeros, float subnormals, a group with NaN and one with infinity; lengths that
     * leave a tail shorter than a vector. Codes, max, k and decoded values must all be equal.
     */
    @Test
    void codesMaxKAndValuesEqualTheScalarCodecs() {
        SplittableRandom random = new SplittableRandom(5);
        int groups = 4000;
        int n = groups * GROUP - 37;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            int g = i / GROUP;
            double decades = switch (g % 8) {
                case 0 -> 0.0004;
                case 1 -> 0.02;
                case 2 -> 0.5;
                case 3 -> 1.5;
                case 4 -> 3;
                case 5 -> 6;
                case 6 -> 12;
                default -> 40;
            };
            double magnitude = Math.pow(10, -decades * random.nextDouble()) * Math.pow(10, -(g % 13));
            x[i] = (float) ((random.nextBoolean() ? 1 : -1) * magnitude);
        }
        for (int i = 0; i < n; i += 997) x[i] = 0f;
        x[5 * GROUP + 3] = Float.MIN_VALUE;
        x[9 * GROUP + 7] = Float.NaN;
        x[17 * GROUP + 1] = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < GROUP; i++) x[21 * GROUP + i] = 0f;

        CoatQuantizer scalar = new CoatQuantizer(GROUP, new ScalarGroupCodec());
        CoatQuantizer vector = new CoatQuantizer(GROUP, new VectorGroupCodec());
        Quantized s = Quantized.of(scalar, x);
        Quantized v = Quantized.of(vector, x);
        assertArrayEquals(s.max, v.max, "group max");
        assertArrayEquals(s.k16, v.k16, "k·16");
        for (int i = 0; i < n; i++) assertEquals(s.codes[i], v.codes[i], "code of element " + i + " = " + x[i]);
        for (int i = 0; i < n; i++) {
            assertEquals(Float.floatToIntBits(s.values[i]), Float.floatToIntBits(v.values[i]), "value of element " + i);
        }
    }

    /**
     * Adam-like moments for every k the vector path takes (3/16 .. 16 in steps of 1/16): groups drawn
     * so that their range gives that k, a million values in all. Rounding ties of the arithmetic are
     * where the two could part; they are sent to the scalar path, so no code may differ.
     */
    @Test
    void everyKOfTheVectorPathGivesTheScalarCodes() {
        SplittableRandom random = new SplittableRandom(17);
        double targetLog2Range = Math.log(448.0 * 448.0 / 2.0) / Math.log(2.0);
        int groupsPerK = 32;
        int ks = 16 * 16 - 3 + 1;
        float[] x = new float[ks * groupsPerK * GROUP];
        int at = 0;
        for (int k16 = 3; k16 <= 256; k16++) {
            // a range of log2 = target / k puts the group at (about) this k
            double log2Range = targetLog2Range / (k16 / 16.0) * 0.999;
            for (int g = 0; g < groupsPerK; g++) {
                double top = Math.pow(2, -20 * random.nextDouble());
                for (int i = 0; i < GROUP; i++) {
                    double e = i == 0 ? 0 : i == 1 ? -log2Range : -log2Range * random.nextDouble();
                    x[at++] = (float) ((random.nextBoolean() ? 1 : -1) * top * Math.pow(2, e));
                }
            }
        }
        Quantized s = Quantized.of(new CoatQuantizer(GROUP, new ScalarGroupCodec()), x);
        Quantized v = Quantized.of(new CoatQuantizer(GROUP, new VectorGroupCodec()), x);
        assertArrayEquals(s.k16, v.k16, "k·16");
        int differing = 0;
        for (int i = 0; i < x.length; i++) if (s.codes[i] != v.codes[i]) differing++;
        assertEquals(0, differing, "codes that differ between the scalar and the vector codec");
        assertArrayEquals(s.values, v.values, "decoded values");
    }

    private record Quantized(byte[] codes, float[] max, short[] k16, float[] values) {
        static Quantized of(CoatQuantizer q, float[] x) {
            int n = x.length;
            Quantized r = new Quantized(new byte[n], new float[q.groups(n)], new short[q.groups(n)], new float[n]);
            q.quantize(x, 0, n, 0, r.codes, 0, r.max, r.k16);
            q.dequantize(r.codes, 0, n, 0, r.max, r.k16, r.values, 0);
            return r;
        }
    }
}
