package io.spindle.spark.train;

import io.spindle.parallel.comm.CommConfig;
import io.spindle.parallel.comm.Communicator;
import io.spindle.parallel.comm.InProcessGroup;
import io.spindle.parallel.comm.TcpRingCommunicator;
import io.spindle.parallel.mesh.DeviceMesh;
import io.spindle.parallel.mesh.MeshCommunicators;
import org.apache.spark.BarrierTaskContext;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.util.ArrayList;
import java.util.List;

/**
 * Connects one barrier task's rings (DESIGN.md, "Spark integration"; {@link DeviceMesh}): the rank
 * opens a listener for each of its groups of more than one rank (DP and TP), publishes both
 * addresses in one {@code BarrierTaskContext.allGather} (so no rank connects to a peer that is not
 * listening yet), then joins its DP ring and its TP ring, each authenticated with the job secret.
 * Every rank joins DP first, and a ring's connect waits only for the ring's own members, so the two
 * rings cannot wait on each other. A group of one rank needs no ring.
 */
public final class MeshRendezvous {
    private MeshRendezvous() {}

    public static MeshCommunicators join(BarrierTaskContext context, DeviceMesh mesh, int rank, String host, byte[] secret,
                                  CommConfig comm) throws IOException {
        ServerSocketChannel dpListener = mesh.dp() > 1 ? TcpRingCommunicator.listen(host) : null;
        ServerSocketChannel tpListener = null;
        Communicator dp = null;
        try {
            tpListener = mesh.tp() > 1 ? TcpRingCommunicator.listen(host) : null;
            String[] published = context.allGather(host + ":" + port(dpListener) + " " + host + ":" + port(tpListener));
            dp = dpListener == null ? InProcessGroup.create(1).get(0)
                    : TcpRingCommunicator.connect(mesh.dpIndex(rank), addresses(published, mesh.dpGroup(rank), 0),
                            dpListener, secret, comm);
            Communicator tp = tpListener == null ? InProcessGroup.create(1).get(0)
                    : TcpRingCommunicator.connect(mesh.tpIndex(rank), addresses(published, mesh.tpGroup(rank), 1),
                            tpListener, secret, comm);
            return new MeshCommunicators(dp, tp);
        } catch (IOException | RuntimeException e) {
            // a failed rendezvous or ring setup must not leave ports or a half-built ring open; closing twice is harmless
            if (dp != null) dp.close();
            if (dpListener != null) dpListener.close();
            if (tpListener != null) tpListener.close();
            throw e;
        }
    }

    private static int port(ServerSocketChannel listener) throws IOException {
        return listener == null ? 0 : ((InetSocketAddress) listener.getLocalAddress()).getPort();
    }

    /** The addresses of {@code group}'s members, in group-rank order, from field {@code field} of each publication. */
    private static List<InetSocketAddress> addresses(String[] published, List<Integer> group, int field) {
        List<InetSocketAddress> peers = new ArrayList<>(group.size());
        for (int worldRank : group) {
            String address = published[worldRank].split(" ")[field];
            int colon = address.lastIndexOf(':');
            peers.add(new InetSocketAddress(address.substring(0, colon), Integer.parseInt(address.substring(colon + 1))));
        }
        return peers;
    }
}
