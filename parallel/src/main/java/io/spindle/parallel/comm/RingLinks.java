package io.spindle.parallel.comm;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * One rank's two authenticated ring connections (to its successor, from its predecessor) and the
 * direct buffers that frame data on them. Owns and closes both channels, the selector and the
 * buffers; buffers are allocated once here, not per collective.
 *
 * <p>Frame: a 16-byte little-endian header {op id, sequence number, chunk index, payload bytes}
 * followed by the payload (little-endian float32 or bf16). The receiver checks every header field
 * against what it expects, so ranks that call different collectives fail instead of mixing data.
 *
 * <p>float32 payloads are written straight from the caller's (off-heap) buffer with a gathering
 * write after their header, and a chunk that is only copied (all-gather, broadcast) is read straight
 * into it; only chunks that are reduced or bf16-encoded pass through a staging buffer. Each copy
 * avoided is a pass over the data that the two cores would otherwise spend next to the kernel's own
 * copies (docs/benchmarks.md, "Collectives").
 *
 * <p>A rank that fails sends an ABORT frame carrying its reason before closing, and every rank that
 * receives one forwards it; so the rank that names the dead or stalled peer is quoted around the
 * ring, instead of each neighbour blaming the neighbour that closed on it.
 *
 * <p>Sending and receiving run in one thread over a non-blocking selector: a rank must read from its
 * predecessor while writing to its successor, or two ranks with full socket buffers would deadlock.
 */
final class RingLinks implements AutoCloseable {
    static final int HEADER_BYTES = 16;
    private static final int MAX_REASON_BYTES = 2048;
    private static final long ABORT_SEND_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

    private final int rank;
    private final int size;
    private final SocketChannel next;
    private final SocketChannel prev;
    private final String nextName;
    private final String prevName;
    private final Selector selector;
    private final SelectionKey nextKey;
    private final SelectionKey prevKey;
    private final CommConfig config;
    private final ByteBuffer sendHeader;
    /** bf16-encoded payloads and ABORT reasons; float32 payloads are slices of the work buffer instead. */
    private final ByteBuffer sendStaging;
    /** What is being written: the header and one payload buffer, written together (gathering write). */
    private final ByteBuffer[] sendParts = new ByteBuffer[2];
    private final ByteBuffer recvHeader;
    /** Payloads that are reduced or decoded (and ABORT reasons); copied float32 payloads go straight to work. */
    private final ByteBuffer recvStaging;
    private final WireCodec codec;
    private boolean abortSent;

    RingLinks(int rank, int size, SocketChannel next, InetSocketAddress nextAddress,
              SocketChannel prev, InetSocketAddress prevAddress, CommConfig config) throws IOException {
        this.rank = rank;
        this.size = size;
        this.next = next;
        this.prev = prev;
        this.nextName = peerName((rank + 1) % size, nextAddress);
        this.prevName = peerName((rank + size - 1) % size, prevAddress);
        this.config = config;
        next.configureBlocking(false);
        prev.configureBlocking(false);
        this.selector = Selector.open();
        this.nextKey = next.register(selector, 0);
        this.prevKey = prev.register(selector, 0);
        this.sendHeader = ByteBuffer.allocateDirect(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        this.sendStaging = ByteBuffer.allocateDirect(config.chunkBytes()).order(ByteOrder.LITTLE_ENDIAN);
        this.recvHeader = ByteBuffer.allocateDirect(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        this.recvStaging = ByteBuffer.allocateDirect(config.chunkBytes()).order(ByteOrder.LITTLE_ENDIAN);
        this.codec = new WireCodec(config.chunkBytes());
        clearSend();
    }

    static String peerName(int rank, InetSocketAddress address) {
        return "rank " + rank + " at " + address.getHostString() + ":" + address.getPort();
    }

    /**
     * Runs one collective's schedule over {@code work}: little-endian float32 bytes, byte 0 = first
     * byte of the collective's element 0; ideally direct (ND4J's memory), so that no copy is needed.
     */
    void exchange(RingSchedule schedule, ByteBuffer work, int sequence) {
        new Transfer(schedule, work, sequence).run();
    }

    private void clearSend() {
        sendHeader.clear().limit(0);
        sendParts[0] = sendHeader;
        sendParts[1] = sendStaging.clear().limit(0);
    }

    /** Whether a frame is partly written. */
    private boolean sending() {
        return sendHeader.hasRemaining() || sendParts[1].hasRemaining();
    }

    /**
     * Best effort, bounded in time: tells the successor why this rank gives up. A partly written
     * frame is completed first so that the ABORT frame starts on a frame boundary.
     */
    void abort(String reason) {
        if (abortSent) return;
        abortSent = true;
        byte[] text = reason.getBytes(StandardCharsets.UTF_8);
        int length = Math.min(text.length, Math.min(MAX_REASON_BYTES, config.chunkBytes()));
        long deadline = System.nanoTime() + ABORT_SEND_NANOS;
        try {
            if (!drain(deadline)) return;
            sendHeader.clear();
            sendHeader.putInt(CollectiveOp.ABORT.id).putInt(-1).putInt(-1).putInt(length).flip();
            sendParts[1] = sendStaging.clear().put(text, 0, length).flip();
            drain(deadline);
        } catch (IOException ignored) {
            // the successor is gone too; it will learn of the failure from the closed connection
        }
    }

    private boolean drain(long deadline) throws IOException {
        while (sending()) {
            if (System.nanoTime() > deadline) return false;
            if (next.write(sendParts) == 0) Thread.onSpinWait();
        }
        return true;
    }

    @Override
    public void close() {
        closeQuietly(selector);
        closeQuietly(next);
        closeQuietly(prev);
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // closing is best effort: the peer notices through EOF or its own timeout
        }
    }

    /** The state of one collective in flight: which chunk is being sent and which is being received. */
    private final class Transfer {
        private final RingSchedule schedule;
        private final FloatBuffer work;
        /** Windows into the work buffer's bytes for sending and receiving float32 chunks in place. */
        private final ByteBuffer sendWindow;
        private final ByteBuffer recvWindow;
        private final int sequence;
        private final int chunkElements;
        private ByteBuffer recvTarget;
        private int sendStep;
        private int sendChunk;
        private int sendIndex;
        private int recvStep;
        private int recvChunk;
        private int recvIndex;
        private boolean recvInPayload;
        private boolean recvAbort;

        Transfer(RingSchedule schedule, ByteBuffer work, int sequence) {
            this.schedule = schedule;
            this.work = work.duplicate().order(ByteOrder.LITTLE_ENDIAN).clear().asFloatBuffer();
            this.sendWindow = work.duplicate();
            this.recvWindow = work.duplicate();
            this.sequence = sequence;
            this.chunkElements = config.chunkBytes() / schedule.wire.bytes();
            clearSend();
            recvHeader.clear();
        }

        void run() {
            long timeoutNanos = config.ioTimeout().toNanos();
            long lastProgress = System.nanoTime();
            while (!done()) {
                boolean progress = pumpSend() | pumpReceive();
                long now = System.nanoTime();
                if (progress) {
                    lastProgress = now;
                    continue;
                }
                long idle = now - lastProgress;
                if (idle >= timeoutNanos) throw explainStall(stalled(idle));
                waitForIo(timeoutNanos - idle);
            }
        }

        private boolean done() {
            return sendStep == schedule.sends.size() && !sending() && recvStep == schedule.receives.size();
        }

        private boolean pumpSend() {
            boolean progress = false;
            while (true) {
                if (!sending()) {
                    if (sendStep == schedule.sends.size() || !sendReady()) return progress;
                    frameNextChunk();
                }
                long written;
                try {
                    written = next.write(sendParts);
                } catch (IOException e) {
                    throw new CommunicatorException(failure("lost the connection to " + nextName), e);
                }
                if (written == 0) return progress;
                progress = true;
            }
        }

        private boolean sendReady() {
            int dependsOn = schedule.sends.get(sendStep).dependsOn();
            return dependsOn < 0 || recvStep > dependsOn || (recvStep == dependsOn && recvChunk > sendChunk);
        }

        private void frameNextChunk() {
            RingSchedule.Step step = schedule.sends.get(sendStep);
            int from = step.start() + sendChunk * chunkElements;
            int count = Math.min(chunkElements, step.start() + step.length() - from);
            count = Math.max(count, 0);
            sendHeader.clear();
            sendHeader.putInt(schedule.op.id).putInt(sequence).putInt(sendIndex).putInt(count * schedule.wire.bytes()).flip();
            if (schedule.wire == WirePrecision.FLOAT32) {
                sendParts[1] = sendWindow.clear().position(from * Float.BYTES).limit((from + count) * Float.BYTES);
            } else {
                codec.encodeBf16(work, from, count, sendStaging.clear());
                sendParts[1] = sendStaging.limit(count * schedule.wire.bytes());
            }
            sendIndex++;
            if (++sendChunk == RingSchedule.chunks(step.length(), chunkElements)) {
                sendChunk = 0;
                sendStep++;
            }
        }

        private boolean pumpReceive() {
            boolean progress = false;
            while (recvStep < schedule.receives.size()) {
                ByteBuffer target = recvInPayload ? recvTarget : recvHeader;
                int read;
                try {
                    read = target.hasRemaining() ? prev.read(target) : 0;
                } catch (IOException e) {
                    throw new CommunicatorException(failure("lost the connection from " + prevName), e);
                }
                if (read < 0) throw new CommunicatorException(failure(prevName + " closed the connection"));
                if (read > 0) progress = true;
                if (target.hasRemaining()) return progress;
                if (recvAbort) {
                    recvStaging.flip();
                    throw new CommunicatorException(failure(prevName + " gave up: "
                            + StandardCharsets.UTF_8.decode(recvStaging)));
                } else if (recvInPayload) {
                    applyChunk();
                } else {
                    startPayload();
                }
                progress = true;
            }
            return progress;
        }

        private int expectedCount() {
            RingSchedule.Step step = schedule.receives.get(recvStep);
            int from = step.start() + recvChunk * chunkElements;
            return Math.max(0, Math.min(chunkElements, step.start() + step.length() - from));
        }

        private void startPayload() {
            recvHeader.flip();
            int op = recvHeader.getInt();
            int seq = recvHeader.getInt();
            int index = recvHeader.getInt();
            int bytes = recvHeader.getInt();
            int expectedBytes = expectedCount() * schedule.wire.bytes();
            if (op == CollectiveOp.ABORT.id) {
                recvTarget = recvStaging.clear().limit(Math.max(0, Math.min(bytes, recvStaging.capacity())));
                recvAbort = true;
                recvInPayload = true;
                return;
            }
            if (op != schedule.op.id || seq != sequence || index != recvIndex || bytes != expectedBytes) {
                throw new CommunicatorException(failure("expected " + schedule.op + " #" + sequence + " chunk "
                        + recvIndex + " (" + expectedBytes + " bytes) but " + prevName + " sent "
                        + CollectiveOp.nameOf(op) + " #" + seq + " chunk " + index + " (" + bytes + " bytes)"
                        + "; the ranks called different collectives or different sizes"));
            }
            RingSchedule.Step step = schedule.receives.get(recvStep);
            if (step.action() == RingSchedule.Action.COPY && schedule.wire == WirePrecision.FLOAT32) {
                int from = (step.start() + recvChunk * chunkElements) * Float.BYTES;
                recvTarget = recvWindow.clear().position(from).limit(from + bytes);
            } else {
                recvTarget = recvStaging.clear().limit(bytes);
            }
            recvInPayload = true;
        }

        private void applyChunk() {
            RingSchedule.Step step = schedule.receives.get(recvStep);
            int from = step.start() + recvChunk * chunkElements;
            int count = expectedCount();
            if (step.action() != RingSchedule.Action.COPY) {
                codec.accumulate(recvStaging.flip(), work, from, count, schedule.wire,
                        step.action() == RingSchedule.Action.REDUCE_AND_FINISH, schedule.reduceOp, schedule.worldSize);
            } else if (schedule.wire == WirePrecision.BFLOAT16) {
                codec.copyBf16(recvStaging.flip(), work, from, count);
            } // a float32 copy was read straight into the work buffer
            recvHeader.clear();
            recvInPayload = false;
            recvIndex++;
            if (++recvChunk == RingSchedule.chunks(step.length(), chunkElements)) {
                recvChunk = 0;
                recvStep++;
            }
        }

        private void waitForIo(long nanos) {
            nextKey.interestOps(!abortSent && sending() ? SelectionKey.OP_WRITE : 0);
            prevKey.interestOps(recvStep < schedule.receives.size() ? SelectionKey.OP_READ : 0);
            try {
                selector.select(Math.max(1, TimeUnit.NANOSECONDS.toMillis(nanos)));
                selector.selectedKeys().clear();
            } catch (IOException e) {
                throw new CommunicatorException(failure("selector failed"), e);
            }
        }

        /**
         * Every rank behind a stalled peer times out at about the same moment, each seeing only its
         * silent neighbour. So a rank that times out first tells its successor why, then listens a
         * little longer for its predecessor's reason, which names the peer further up the ring.
         */
        private CommunicatorException explainStall(CommunicatorException own) {
            abort(own.getMessage());
            long deadline = System.nanoTime() + Math.min(config.ioTimeout().toNanos() / 4, TimeUnit.MILLISECONDS.toNanos(500));
            try {
                while (recvStep < schedule.receives.size() && System.nanoTime() < deadline) {
                    if (!pumpReceive()) waitForIo(deadline - System.nanoTime());
                }
            } catch (CommunicatorException upstream) {
                if (recvAbort) return upstream;
            }
            return own;
        }

        private CommunicatorException stalled(long idleNanos) {
            long ms = TimeUnit.NANOSECONDS.toMillis(idleNanos);
            String culprit = recvStep < schedule.receives.size()
                    ? "received nothing from " + prevName
                    : nextName + " accepted no data";
            return new CommunicatorException(failure(culprit + " for " + ms + " ms (comm ioTimeout="
                    + config.ioTimeout().toMillis() + " ms); the peer is stalled or dead"));
        }

        private String failure(String what) {
            return "rank " + rank + " of " + size + ", " + schedule.op + " #" + sequence + ": " + what;
        }
    }
}
