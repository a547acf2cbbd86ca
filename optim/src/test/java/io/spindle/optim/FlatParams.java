package io.spindle.optim;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Test parameters laid out as a model lays them out: views into one flat value buffer and one flat
 * gradient buffer. One guard element sits before each parameter so every view has a non-zero
 * offset and a write outside a view shows up in the guards.
 */
public final class FlatParams {
    public static final float GUARD = 12345.0f;

    public final INDArray values;
    public final INDArray grads;
    public final List<ParamSlot> slots = new ArrayList<>();
    private final List<Long> guardIndices = new ArrayList<>();

    /** {@code specs} alternates name, role and shape: {@code "w", "matrix", new long[]{4, 3}, ...}. */
    public FlatParams(Object... specs) {
        long total = 0;
        for (int i = 2; i < specs.length; i += 3) total += 1 + size((long[]) specs[i]);
        values = Nd4j.zeros(DataType.FLOAT, total);
        grads = Nd4j.zeros(DataType.FLOAT, total);
        long offset = 0;
        for (int i = 0; i < specs.length; i += 3) {
            long[] shape = (long[]) specs[i + 2];
            guardIndices.add(offset);
            values.putScalar(offset, GUARD);
            grads.putScalar(offset, GUARD);
            offset++;
            long n = size(shape);
            INDArray v = values.get(NDArrayIndex.interval(offset, offset + n)).reshape('c', shape);
            INDArray g = grads.get(NDArrayIndex.interval(offset, offset + n)).reshape('c', shape);
            slots.add(new ParamSlot((String) specs[i], shape, (String) specs[i + 1], v, g));
            offset += n;
        }
    }

    /** Fills every parameter value from a normal distribution. */
    public void randomValues(SplittableRandom random) {
        for (ParamSlot p : slots) fill(p.value(), random, 1.0);
    }

    /** Fills every gradient from a normal distribution with the given scale. */
    public void randomGrads(SplittableRandom random, double scale) {
        for (ParamSlot p : slots) fill(p.grad(), random, scale);
    }

    /** True while no write has landed outside the parameter views. */
    public boolean guardsIntact() {
        for (long i : guardIndices) {
            if (values.getFloat(i) != GUARD || grads.getFloat(i) != GUARD) return false;
        }
        return true;
    }

    private static void fill(INDArray x, SplittableRandom random, double scale) {
        float[] data = new float[(int) x.length()];
        for (int i = 0; i < data.length; i++) data[i] = (float) (scale * gaussian(random));
        x.assign(Nd4j.createFromArray(data).reshape('c', x.shape()));
    }

    private static double gaussian(SplittableRandom random) {
        // Box–Muller: SplittableRandom has no nextGaussian on Java 17.
        double u = 1.0 - random.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.nextDouble());
    }

    private static long size(long[] shape) {
        long n = 1;
        for (long s : shape) n *= s;
        return n;
    }
}
