package io.spindle.optim;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.nio.FloatBuffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ContiguousFloatsTest {

    @Test
    void viewIsIndexedFromItsOffsetInTheSharedBuffer() {
        INDArray flat = Nd4j.arange(0, 20).castTo(DataType.FLOAT);
        INDArray view = flat.get(NDArrayIndex.interval(6, 18)).reshape('c', 3, 4);
        FloatBuffer b = ContiguousFloats.buffer(view, "view");
        int start = ContiguousFloats.start(view);
        assertEquals(6, start);
        assertEquals(12, ContiguousFloats.length(view));
        assertEquals(view.getFloat(2, 1), b.get(start + 2 * 4 + 1));
        b.put(start + 5, -1f);
        assertEquals(-1f, view.getFloat(1, 1));
        assertEquals(-1f, flat.getFloat(11));
    }

    @Test
    void rejectsOtherDataTypes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ContiguousFloats.buffer(Nd4j.zeros(DataType.DOUBLE, 3), "grad of w"));
        assertTrue(e.getMessage().contains("grad of w") && e.getMessage().contains("DOUBLE"), e.getMessage());
    }

    @Test
    void rejectsStridedAndTransposedViews() {
        INDArray flat = Nd4j.zeros(DataType.FLOAT, 20);
        INDArray everyOther = flat.get(NDArrayIndex.interval(0, 2, 20));
        assertThrows(IllegalArgumentException.class, () -> ContiguousFloats.requireDense(everyOther, "x"));
        // ND4J reports 'c' ordering for this transposed view; its strides give it away.
        INDArray transposed = Nd4j.zeros(DataType.FLOAT, 4, 3).transpose().reshape('c', 3, 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ContiguousFloats.requireDense(transposed, "x"));
        assertTrue(e.getMessage().contains("strides"), e.getMessage());
    }

    @Test
    void acceptsSingletonDimensionsWithAnyStride() {
        INDArray flat = Nd4j.zeros(DataType.FLOAT, 20);
        ContiguousFloats.requireDense(flat.get(NDArrayIndex.interval(4, 10)).reshape('c', 1, 6), "row");
        ContiguousFloats.requireDense(Nd4j.create(DataType.FLOAT, new long[] {3, 1}, 'f'), "column");
    }
}
