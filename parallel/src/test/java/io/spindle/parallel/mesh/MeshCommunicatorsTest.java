package io.spindle.parallel.mesh;

import io.spindle.parallel.comm.ReduceOp;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

class MeshCommunicatorsTest {

    /** On a 2×2 mesh, summing world ranks over each group gives the group's member sums. */
    @Test
    void groupCommunicatorsReduceOverTheirOwnMembersOnly() throws Exception {
        DeviceMesh mesh = new DeviceMesh(2, 2);
        List<MeshCommunicators> comms = MeshCommunicators.inProcess(mesh, Duration.ofSeconds(10));
        ExecutorService pool = Executors.newFixedThreadPool(mesh.world());
        try {
            List<Future<float[]>> futures = new ArrayList<>();
            for (int r = 0; r < mesh.world(); r++) {
                int rank = r;
                futures.add(pool.submit(() -> {
                    MeshCommunicators c = comms.get(rank);
                    assertEquals(mesh.dpIndex(rank), c.dp().rank());
                    assertEquals(mesh.tpIndex(rank), c.tp().rank());
                    var dpSum = Nd4j.createFromArray(new float[] {rank});
                    c.dp().allReduce(dpSum, ReduceOp.SUM);
                    var tpSum = Nd4j.createFromArray(new float[] {rank});
                    c.tp().allReduce(tpSum, ReduceOp.SUM);
                    return new float[] {dpSum.getFloat(0), tpSum.getFloat(0)};
                }));
            }
            for (int r = 0; r < mesh.world(); r++) {
                float[] sums = futures.get(r).get(20, TimeUnit.SECONDS);
                float dpExpected = mesh.dpGroup(r).stream().mapToInt(Integer::intValue).sum();
                float tpExpected = mesh.tpGroup(r).stream().mapToInt(Integer::intValue).sum();
                assertEquals(dpExpected, sums[0], "DP sum on rank " + r);
                assertEquals(tpExpected, sums[1], "TP sum on rank " + r);
            }
        } finally {
            pool.shutdownNow();
            for (MeshCommunicators c : comms) c.close();
        }
    }
}
