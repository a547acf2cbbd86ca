package io.spindle.optim.math;

import io.spindle.optim.ContiguousFloats;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;

/**
 * ||X||_F as one Java pass with a double accumulator. An ND4J reduction costs the same pass plus
 * a dispatch and an OpenMP region, and on a machine whose cores are shared the wait for the second
 * thread can cost more than the pass itself; the optimizers call this once or twice per matrix.
 */
final class FrobeniusNorm {
    private FrobeniusNorm() {}

    /** sqrt of the sum of squares of every element; float32 and float64 dense, other layouts via a copy. */
    static double of(INDArray x) {
        if (x.dataType() == DataType.FLOAT && ContiguousFloats.isRowMajorWithoutGaps(x)) {
            return Math.sqrt(sumOfSquares(ContiguousFloats.buffer(x, "matrix"), ContiguousFloats.start(x),
                    ContiguousFloats.length(x)));
        }
        if (x.dataType() == DataType.DOUBLE && ContiguousFloats.isRowMajorWithoutGaps(x)) {
            DoubleBuffer b = x.data().asNioDouble();
            int start = Math.toIntExact(x.offset());
            double s = 0;
            for (int i = start, end = start + Math.toIntExact(x.length()); i < end; i++) s += b.get(i) * b.get(i);
            return Math.sqrt(s);
        }
        return of(x.castTo(x.dataType() == DataType.DOUBLE ? DataType.DOUBLE : DataType.FLOAT).dup('c'));
    }

    static double sumOfSquares(FloatBuffer b, int start, int length) {
        double s = 0;
        for (int i = start, end = start + length; i < end; i++) {
            double v = b.get(i);
            s += v * v;
        }
        return s;
    }
}
