package io.spindle.parallel.comm;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** TCP and in-process reductions are bit-identical, and repeatable run to run. */
class RingDeterminismTest {

    /** Results of a fixed sequence of reductions, as raw float bits per rank. */
    private static List<int[]> reductions(List<Communicator> comms) {
        int n = comms.size();
        return RankThreads.all(n, r -> {
            Communicator c = comms.get(r);
            INDArray sum = Nd4j.createFromArray(CommunicatorContractTest.input(r, 1003, 21));
            c.allReduce(sum, ReduceOp.SUM);
            INDArray avg = Nd4j.createFromArray(CommunicatorContractTest.input(r, 1003, 22));
            c.allReduce(avg, ReduceOp.AVG);
            INDArray bf16 = Nd4j.createFromArray(CommunicatorContractTest.input(r, 1003, 23));
            c.allReduce(bf16, ReduceOp.AVG, WirePrecision.BFLOAT16);
            INDArray scattered = Nd4j.zeros(DataType.FLOAT, 41);
            c.reduceScatter(Nd4j.createFromArray(CommunicatorContractTest.input(r, 41 * n, 24)), scattered, ReduceOp.SUM);
            List<Float> all = new ArrayList<>();
            for (INDArray a : List.of(sum, avg, bf16, scattered)) for (float f : a.toFloatVector()) all.add(f);
            int[] bits = new int[all.size()];
            for (int i = 0; i < bits.length; i++) bits[i] = Float.floatToRawIntBits(all.get(i));
            return bits;
        });
    }

    @ParameterizedTest(name = "n={0}")
    @ValueSource(ints = {2, 3, 4})
    void tcpAndInProcessAgreeBitForBit(int n) throws Exception {
        List<Communicator> tcp = RankThreads.tcpRing(n, CommunicatorContractTest.SMALL_CHUNKS);
        List<Communicator> tcpAgain = RankThreads.tcpRing(n, CommConfig.defaults().withChunkBytes(1024)
                .withTimeouts(Duration.ofSeconds(20), Duration.ofSeconds(20)));
        List<Communicator> local = InProcessGroup.create(n, Duration.ofSeconds(20));
        try {
            List<int[]> viaTcp = reductions(tcp);
            List<int[]> viaTcpAgain = reductions(tcpAgain);
            List<int[]> inProcess = reductions(local);
            for (int r = 0; r < n; r++) {
                assertArrayEquals(inProcess.get(r), viaTcp.get(r), "rank " + r + ": TCP differs from in-process");
                assertArrayEquals(viaTcp.get(r), viaTcpAgain.get(r), "rank " + r + ": TCP differs between runs/chunk sizes");
            }
        } finally {
            RankThreads.closeAll(tcp);
            RankThreads.closeAll(tcpAgain);
            RankThreads.closeAll(local);
        }
    }

    /** Guards the test above against vacuity: with these inputs the summation order does change bits. */
    @ParameterizedTest(name = "n={0}")
    @ValueSource(ints = {3, 4})
    void summationOrderMattersForTheseInputs(int n) {
        boolean anyDiffers = false;
        for (int i = 0; i < 1003 && !anyDiffers; i++) {
            float rankOrder = 0;
            for (int q = 0; q < n; q++) rankOrder += CommunicatorContractTest.input(q, 1003, 21)[i];
            float reversed = 0;
            for (int q = n - 1; q >= 0; q--) reversed += CommunicatorContractTest.input(q, 1003, 21)[i];
            anyDiffers = Float.floatToRawIntBits(rankOrder) != Float.floatToRawIntBits(reversed);
        }
        assertFalse(!anyDiffers, "inputs too tame: every order gives the same bits, so bit-identity proves nothing");
    }
}
