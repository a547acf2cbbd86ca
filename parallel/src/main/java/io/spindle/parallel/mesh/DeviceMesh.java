package io.spindle.parallel.mesh;

import java.util.ArrayList;
import java.util.List;

/**
 * The world of dp × tp ranks, laid out TP-major-inner: rank = dpIndex·tp + tpIndex. Tensor-parallel
 * peers, which communicate inside every layer's forward and backward, are thus adjacent ranks (on
 * one executor where Spark places consecutive tasks together), as in Megatron-LM; data-parallel
 * peers, which talk once per step, are tp ranks apart.
 *
 * <p>Each group gets its own communicator. In-process: {@link MeshCommunicators#inProcess}. Over
 * TCP, each rank opens one listener per group it belongs to (its DP group and its TP group),
 * publishes both addresses in one {@code BarrierTaskContext.allGather}, and joins two independent
 * rings with {@code TcpRingCommunicator.connect(groupRank, groupAddresses, listener, secret, cfg)},
 * where groupAddresses lists the addresses of {@link #dpGroup(int)} or {@link #tpGroup(int)} in
 * group-rank order.
 */
public record DeviceMesh(int dp, int tp) {

    public DeviceMesh {
        if (dp < 1) throw new IllegalArgumentException("mesh.dp=" + dp + " must be at least 1");
        if (tp < 1) throw new IllegalArgumentException("mesh.tp=" + tp + " must be at least 1");
        if ((long) dp * tp > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("mesh.dp=" + dp + " × mesh.tp=" + tp + " exceeds " + Integer.MAX_VALUE + " ranks");
        }
    }

    /** A mesh of {@code world} ranks with the given tensor-parallel degree; tp must divide world. */
    public static DeviceMesh of(int world, int tp) {
        if (world < 1) throw new IllegalArgumentException("world=" + world + " must be at least 1");
        if (tp < 1 || world % tp != 0) {
            throw new IllegalArgumentException("mesh.tp=" + tp + " does not divide world=" + world
                    + "; choose a divisor of " + world);
        }
        return new DeviceMesh(world / tp, tp);
    }

    public int world() {
        return dp * tp;
    }

    public int rankOf(int dpIndex, int tpIndex) {
        if (dpIndex < 0 || dpIndex >= dp) throw new IllegalArgumentException("dpIndex=" + dpIndex + " is outside [0, " + dp + ")");
        if (tpIndex < 0 || tpIndex >= tp) throw new IllegalArgumentException("tpIndex=" + tpIndex + " is outside [0, " + tp + ")");
        return dpIndex * tp + tpIndex;
    }

    /** Which model replica the rank belongs to; also its rank within its DP group. */
    public int dpIndex(int rank) {
        return checkRank(rank) / tp;
    }

    /** Which tensor-parallel shard the rank holds; also its rank within its TP group. */
    public int tpIndex(int rank) {
        return checkRank(rank) % tp;
    }

    /** World ranks holding the same TP shard, in DP-index order: the rank's gradient all-reduce group. */
    public List<Integer> dpGroup(int rank) {
        int tpIndex = tpIndex(rank);
        List<Integer> members = new ArrayList<>(dp);
        for (int d = 0; d < dp; d++) members.add(d * tp + tpIndex);
        return List.copyOf(members);
    }

    /** World ranks that together hold one model replica, in TP-index order: adjacent ranks. */
    public List<Integer> tpGroup(int rank) {
        int base = dpIndex(rank) * tp;
        List<Integer> members = new ArrayList<>(tp);
        for (int t = 0; t < tp; t++) members.add(base + t);
        return List.copyOf(members);
    }

    private int checkRank(int rank) {
        if (rank < 0 || rank >= world()) {
            throw new IllegalArgumentException("rank=" + rank + " is outside the mesh's world [0, " + world()
                    + ") of dp=" + dp + " × tp=" + tp);
        }
        return rank;
    }
}
