package io.spindle.parallel.comm;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Collectives on views into a flat buffer touch exactly the view's elements. */
class FlatViewTest {

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"tcp", "inprocess"})
    void allReduceOnAnOffsetViewLeavesTheRestOfTheBufferAlone(String kind) throws Exception {
        int n = 3;
        List<Communicator> comms = CommunicatorContractTest.group(kind, n);
        try {
            List<float[]> flats = RankThreads.all(n, r -> {
                INDArray flat = Nd4j.createFromArray(CommunicatorContractTest.input(r, 200, 31));
                INDArray view = flat.get(NDArrayIndex.interval(13, 114));
                assertEquals(13, view.offset(), "the test needs a view with an offset");
                comms.get(r).allReduce(view, ReduceOp.SUM);
                INDArray matrix = flat.get(NDArrayIndex.interval(130, 172)).reshape('c', 6, 7);
                comms.get(r).allReduce(matrix, ReduceOp.AVG);
                return flat.toFloatVector();
            });
            for (int r = 0; r < n; r++) {
                float[] own = CommunicatorContractTest.input(r, 200, 31);
                for (int i = 0; i < 200; i++) {
                    boolean summed = i >= 13 && i < 114;
                    boolean averaged = i >= 130 && i < 172;
                    double expected = own[i];
                    if (summed || averaged) {
                        double sum = 0;
                        for (int q = 0; q < n; q++) sum += CommunicatorContractTest.input(q, 200, 31)[i];
                        expected = averaged ? sum / n : sum;
                    }
                    assertEquals(expected, flats.get(r)[i], 1e-5 * Math.abs(expected) + 1e-30, "rank " + r + " element " + i);
                }
            }
        } finally {
            RankThreads.closeAll(comms);
        }
    }

    @Test
    void rejectsNonContiguousAndNonFloatArrays() {
        INDArray transposed = Nd4j.rand(DataType.FLOAT, 3, 4).transpose();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FlatView.of(transposed, "grad"));
        assertTrue(e.getMessage().contains("grad") && e.getMessage().contains("not contiguous"), e.getMessage());
        IllegalArgumentException d = assertThrows(IllegalArgumentException.class,
                () -> FlatView.of(Nd4j.zeros(DataType.DOUBLE, 4), "grad"));
        assertTrue(d.getMessage().contains("DOUBLE"), d.getMessage());
    }
}
