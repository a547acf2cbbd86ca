package io.spindle.layers.core;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TensorSliceTest {
    /** [2, 3, 4] with element (i, j, k) = 100 i + 10 j + k. */
    private static float[] tensor() {
        float[] t = new float[24];
        for (int i = 0; i < 2; i++) for (int j = 0; j < 3; j++) for (int k = 0; k < 4; k++) t[i * 12 + j * 4 + k] = 100 * i + 10 * j + k;
        return t;
    }

    @Test
    void slicesAlongAnInnerAxisPickTheIndexedColumns() {
        long[] shape = {2, 3, 4};
        TensorSlice second = new TensorSlice(2, 1, 2);
        assertArrayEquals(new long[] {2, 3, 2}, second.localShape("t", shape));
        assertEquals(2, second.start(shape));
        float[] local = new float[12];
        second.copyOut(tensor(), shape, local);
        assertArrayEquals(new float[] {2, 3, 12, 13, 22, 23, 102, 103, 112, 113, 122, 123}, local);
    }

    @Test
    void slicesAlongTheFirstAxisAreContiguousBlocksAndAllSlicesRebuildTheTensor() {
        long[] shape = {2, 3, 4};
        for (int dim = 0; dim < 3; dim++) {
            int count = (int) shape[dim];
            float[] rebuilt = new float[24];
            for (int index = 0; index < count; index++) {
                TensorSlice s = new TensorSlice(dim, index, count);
                float[] local = new float[24 / count];
                s.copyOut(tensor(), shape, local);
                s.copyIn(local, shape, rebuilt);
            }
            assertArrayEquals(tensor(), rebuilt, "axis " + dim);
        }
        float[] rows = new float[12];
        new TensorSlice(0, 1, 2).copyOut(tensor(), shape, rows);
        assertEquals(100f, rows[0]);
        assertEquals(123f, rows[11]);
    }

    @Test
    void anAxisThatDoesNotSplitEvenlyIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new TensorSlice(0, 0, 4).localShape("embed.weight", new long[] {258, 32}));
        assertTrue(e.getMessage().contains("embed.weight") && e.getMessage().contains("258"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new TensorSlice(0, 2, 2));
    }

    @Test
    void aSlicedParameterSetHoldsTheSliceOfTheWholeInitialization() {
        ParameterSet whole = new ParameterSet();
        whole.add("w", new long[] {4, 6}, ParameterRole.MATRIX, Initializer.normal(1.0));
        whole.allocate(7);
        ShardLayout columns = new ShardLayout() {
            @Override
            public TensorSlice sliceOf(String name, long[] logicalShape) { return new TensorSlice(1, 1, 3); }

            @Override
            public void sumPartials(org.nd4j.linalg.api.ndarray.INDArray partial) { }

            @Override
            public void maxOverSlices(org.nd4j.linalg.api.ndarray.INDArray values) { }
        };
        ParameterSet sliced = new ParameterSet(columns);
        Parameter p = sliced.add("w", new long[] {4, 6}, ParameterRole.MATRIX, Initializer.normal(1.0));
        sliced.allocate(7);
        assertArrayEquals(new long[] {4, 2}, p.shape());
        assertArrayEquals(new long[] {4, 6}, p.logicalShape());
        assertEquals(8, sliced.totalSize());
        for (int r = 0; r < 4; r++) {
            for (int c = 0; c < 2; c++) {
                assertEquals(whole.get("w").value().getFloat(r, 2 + c), p.value().getFloat(r, c), 0f);
            }
        }
    }
}
