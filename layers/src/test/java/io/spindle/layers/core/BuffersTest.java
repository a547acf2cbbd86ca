package io.spindle.layers.core;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

class BuffersTest {

    @Test
    void floatsIndexesViewsFromTheRootBuffer() {
        INDArray root = Nd4j.arange(0, 40).castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT);
        INDArray view = root.get(NDArrayIndex.interval(10, 30)).reshape('c', 4, 5);
        INDArray row = view.getRow(2);
        assertEquals(22f, Buffers.floats(row).get((int) row.offset() + 2), 0f);
        assertEquals(row.getFloat(2), Buffers.floats(row).get((int) row.offset() + 2), 0f);
    }

    /** Long enough to be split over threads and staged in blocks with a partial last block. */
    @Test
    void addIsExactOnLongArrays() {
        int n = 200_003;
        INDArray a = Nd4j.arange(0, n).castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT);
        INDArray b = a.mul(-0.5f);
        INDArray out = Buffers.zeros(n);
        Buffers.add(a, b, out);
        for (int i = 0; i < n; i += 997) assertEquals(a.getFloat(i) + b.getFloat(i), out.getFloat(i), 0f, "element " + i);
        assertEquals(a.getFloat(n - 1) + b.getFloat(n - 1), out.getFloat(n - 1), 0f);
    }

    @Test
    void addSumsElementwiseAndReuseKeepsMatchingShapes() {
        INDArray a = Nd4j.createFromArray(1f, 2f, 3f, 4f).reshape(2, 2);
        INDArray b = Nd4j.createFromArray(10f, 20f, 30f, 40f).reshape(2, 2);
        INDArray out = Buffers.reuse(null, 2, 2);
        Buffers.add(a, b, out);
        assertEquals(Nd4j.createFromArray(11f, 22f, 33f, 44f).reshape(2, 2), out);
        assertSame(out, Buffers.reuse(out, 2, 2));
        assertEquals(3, Buffers.reuse(out, 3, 2).size(0));
        assertThrows(IllegalArgumentException.class, () -> Buffers.add(a, Buffers.zeros(3), out));
    }
}
