package io.spindle.parallel.mesh;

import io.spindle.parallel.comm.Communicator;
import io.spindle.parallel.comm.InProcessGroup;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * One rank's communicators for its two groups. Closing it closes both.
 *
 * @param dp ranks of {@link DeviceMesh#dpGroup}, with group rank = dpIndex
 * @param tp ranks of {@link DeviceMesh#tpGroup}, with group rank = tpIndex
 */
public record MeshCommunicators(Communicator dp, Communicator tp) implements AutoCloseable {

    /**
     * Communicators for every world rank of {@code mesh} (index = world rank), as threads of this
     * JVM: one in-process group per DP group and per TP group.
     */
    public static List<MeshCommunicators> inProcess(DeviceMesh mesh, Duration timeout) {
        Communicator[] dpComms = new Communicator[mesh.world()];
        Communicator[] tpComms = new Communicator[mesh.world()];
        for (int t = 0; t < mesh.tp(); t++) {
            List<Communicator> group = InProcessGroup.create(mesh.dp(), timeout);
            for (int d = 0; d < mesh.dp(); d++) dpComms[mesh.rankOf(d, t)] = group.get(d);
        }
        for (int d = 0; d < mesh.dp(); d++) {
            List<Communicator> group = InProcessGroup.create(mesh.tp(), timeout);
            for (int t = 0; t < mesh.tp(); t++) tpComms[mesh.rankOf(d, t)] = group.get(t);
        }
        List<MeshCommunicators> all = new ArrayList<>(mesh.world());
        for (int r = 0; r < mesh.world(); r++) all.add(new MeshCommunicators(dpComms[r], tpComms[r]));
        return List.copyOf(all);
    }

    @Override
    public void close() {
        try {
            dp.close();
        } finally {
            tp.close();
        }
    }
}
