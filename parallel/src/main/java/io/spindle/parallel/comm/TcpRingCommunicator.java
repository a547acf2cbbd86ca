package io.spindle.parallel.comm;

import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;
import java.lang.ref.Reference;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.ServerSocketChannel;
import java.util.List;

/**
 * Collectives over a ring of TCP connections: rank r sends to r+1 and receives from r−1.
 * All-reduce is a ring reduce-scatter followed by a ring all-gather, each segment cut into
 * {@link CommConfig#chunkBytes()} chunks that are forwarded as soon as they arrive, so each link
 * carries 2(n−1)/n of the buffer and large buffers run at link bandwidth.
 *
 * <p>After any failure the communicator sends its reason to its successor and closes its
 * connections, so the failure reaches every other rank of the ring promptly, naming the peer that
 * caused it, instead of each rank waiting for its own timeout.
 */
public final class TcpRingCommunicator implements Communicator {
    private final int rank;
    private final int size;
    private final RingLinks links;
    /** The one element a barrier all-reduces; direct, like every buffer the ring moves. */
    private final ByteBuffer barrierToken = ByteBuffer.allocateDirect(Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    private int sequence;
    private boolean closed;

    private TcpRingCommunicator(int rank, int size, RingLinks links) {
        this.rank = rank;
        this.size = size;
        this.links = links;
    }

    /**
     * Opens a rank's ring listener on {@code host} alone, the address it advertises to its peers,
     * on a free port. Never the wildcard address: the ring's port must not be reachable through the
     * machine's other interfaces (handshake or not, a listener there only invites strangers).
     */
    public static ServerSocketChannel listen(String host) throws IOException {
        ServerSocketChannel listener = ServerSocketChannel.open();
        try {
            listener.bind(new InetSocketAddress(InetAddress.getByName(host), 0));
            return listener;
        } catch (IOException | RuntimeException e) {
            listener.close();
            throw e;
        }
    }

    /**
     * Joins the ring. Every rank must have opened its listener before any rank's address is
     * published (Spark: open, then {@code BarrierTaskContext.allGather}), then each rank calls this.
     * This call takes ownership of {@code ownListener} and closes it once the ring is formed or
     * forming it failed.
     *
     * @param peers every rank's listener address, indexed by rank
     */
    public static TcpRingCommunicator connect(int rank, List<InetSocketAddress> peers, ServerSocketChannel ownListener,
                                              byte[] secret, CommConfig config) {
        if (peers == null || peers.isEmpty()) {
            throw new IllegalArgumentException("peers is empty; pass one listener address per rank");
        }
        if (rank < 0 || rank >= peers.size()) {
            throw new IllegalArgumentException("rank=" + rank + " is outside [0, " + peers.size() + ")");
        }
        if (secret == null || secret.length == 0) {
            throw new IllegalArgumentException("secret is empty; use SecretHandshake.newSecret() once per job");
        }
        if (peers.size() == 1) {
            try {
                ownListener.close();
            } catch (IOException ignored) {
                // a lone rank never listens; failing to close an unused listener changes nothing
            }
            return new TcpRingCommunicator(0, 1, null);
        }
        try {
            return new TcpRingCommunicator(rank, peers.size(), RingConnector.connect(rank, peers, ownListener, secret, config));
        } catch (IOException e) {
            throw new CommunicatorException("rank " + rank + " could not join the ring: " + e.getMessage(), e);
        }
    }

    @Override
    public int rank() {
        return rank;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public void allReduce(INDArray buf, ReduceOp op, WirePrecision wire) {
        FlatView work = FlatView.of(buf, "allReduce buf");
        if (size == 1) {
            RingPlan.finish(work.window(), 0, work.length(), op, 1, wire);
            return;
        }
        int[] bounds = RingPlan.balanced(work.length(), size);
        run(RingSchedule.reduce(CollectiveOp.ALL_REDUCE, bounds, rank, op, wire, true), work.bytes());
        // The ring works on direct buffers over the array's native memory, which do not keep the array
        // alive: a caller's temporary could be collected, and its memory freed, mid-collective.
        Reference.reachabilityFence(buf);
    }

    @Override
    public void reduceScatter(INDArray in, INDArray out, ReduceOp op) {
        FlatView input = FlatView.of(in, "reduceScatter in");
        FloatBuffer output = FlatView.of(out, "reduceScatter out").window();
        int k = Collectives.chunkOf(input.length(), output.capacity(), size, "reduceScatter");
        // the ring accumulates in place; a copy keeps the caller's input unchanged
        ByteBuffer work = ByteBuffer.allocateDirect(input.length() * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN)
                .put(input.bytes()).clear();
        FloatBuffer sums = work.asFloatBuffer();
        if (size == 1) {
            RingPlan.finish(sums, 0, k, op, 1, WirePrecision.FLOAT32);
        } else {
            run(RingSchedule.reduce(CollectiveOp.REDUCE_SCATTER, RingPlan.equal(k, size), rank, op,
                    WirePrecision.FLOAT32, false), work);
        }
        output.put(sums.position(rank * k).limit(rank * k + k));
        Reference.reachabilityFence(in);
        Reference.reachabilityFence(out);
    }

    @Override
    public void allGather(INDArray in, INDArray out) {
        FloatBuffer input = FlatView.of(in, "allGather in").window();
        FlatView output = FlatView.of(out, "allGather out");
        int k = Collectives.chunkOf(output.length(), input.capacity(), size, "allGather");
        output.window().position(rank * k).put(input);
        if (size > 1) run(RingSchedule.gather(RingPlan.equal(k, size), rank), output.bytes());
        Reference.reachabilityFence(in);
        Reference.reachabilityFence(out);
    }

    @Override
    public void broadcast(INDArray buf, int root) {
        Collectives.checkRoot(root, size);
        FlatView work = FlatView.of(buf, "broadcast buf");
        if (size > 1) run(RingSchedule.broadcast(work.length(), rank, root, size), work.bytes());
        Reference.reachabilityFence(buf);
    }

    @Override
    public void barrier() {
        if (size == 1) return;
        // a one-element all-reduce completes on a rank only after every rank has contributed
        barrierToken.putFloat(0, 0f);
        run(RingSchedule.reduce(CollectiveOp.BARRIER, RingPlan.balanced(1, size), rank, ReduceOp.SUM,
                WirePrecision.FLOAT32, true), barrierToken);
    }

    private void run(RingSchedule schedule, ByteBuffer work) {
        if (closed) throw new CommunicatorException("rank " + rank + ": communicator is closed");
        int seq = sequence++;
        try {
            links.exchange(schedule, work, seq);
        } catch (RuntimeException e) {
            links.abort(String.valueOf(e.getMessage()));
            close();
            throw e;
        }
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        if (links != null) links.close();
    }
}
