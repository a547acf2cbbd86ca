package io.spindle.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Child JVM of {@link CollectivesBench}: raw TCP over loopback, no framing, no handshake, no
 * arithmetic; the transport ceiling the all-reduce is compared with. Node r of n sends to node r+1
 * and/or receives from node r−1, with blocking NIO channels and direct buffers: writes of
 * {@code writeKiB}, reads of {@code readKiB}, default socket options. Sending runs on its own thread,
 * receiving on the main thread, so a node that does both keeps both directions busy.
 *
 * <p>With {@code spanMiB} = 0 every write sends the same {@code writeKiB} block and every read
 * lands in the same block: the classic loopback figure, whose buffers stay in the CPU cache. With
 * {@code spanMiB} > 0 writes and reads walk through buffers of that size instead, so the data comes
 * from and goes to main memory, as it does for a real gradient buffer.
 *
 * <p>Usage: {@code LoopbackNode rank n send|recv|both bytesPerTransfer transfers writeKiB readKiB spanMiB}.
 * Prints {@code LISTEN port}, reads {@code PEERS ...} (see {@link RingRendezvous}), then per
 * transfer {@code SPAN raw index startNanos endNanos cpuMs}, and {@code DONE cpuMs} at the end.
 * nanoTime is CLOCK_MONOTONIC, shared by every process on the machine, so the parent can take the
 * span over all nodes.
 */
public final class LoopbackNode {
    private LoopbackNode() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 8) {
            System.err.println("usage: LoopbackNode rank n send|recv|both bytesPerTransfer transfers writeKiB readKiB spanMiB");
            System.exit(2);
        }
        int rank = Integer.parseInt(args[0]);
        int n = Integer.parseInt(args[1]);
        boolean send = !args[2].equals("recv");
        boolean receive = !args[2].equals("send");
        long bytes = Long.parseLong(args[3]);
        int transfers = Integer.parseInt(args[4]);
        int writeBytes = Integer.parseInt(args[5]) << 10;
        int readBytes = Integer.parseInt(args[6]) << 10;
        int span = Integer.parseInt(args[7]) << 20;
        ByteBuffer out = ByteBuffer.allocateDirect(Math.max(span, writeBytes));
        ByteBuffer in = ByteBuffer.allocateDirect(Math.max(span, readBytes));
        for (int i = 0; i < out.capacity(); i++) out.put(i, (byte) (i * 31 + rank));

        ServerSocketChannel listener = RingRendezvous.listen();
        RingRendezvous ring = RingRendezvous.await();
        ExecutorService sender = Executors.newSingleThreadExecutor();
        // dial first on another thread: the successor accepts only after it has dialled too
        Future<SocketChannel> next = sender.submit(() -> send ? dial(ring.peers().get((rank + 1) % n)) : null);
        SocketChannel prev = receive ? listener.accept() : null;
        SocketChannel succ = next.get();
        listener.close();

        for (int t = 0; t < transfers; t++) {
            long cpu0 = CpuTime.process();
            long start = System.nanoTime();
            Future<?> sent = sender.submit(() -> {
                if (send) write(succ, out, writeBytes, bytes);
                return null;
            });
            if (receive) read(prev, in, readBytes, bytes);
            sent.get();
            long end = System.nanoTime();
            System.out.printf("SPAN raw %d %d %d %.1f%n", t, start, end, (CpuTime.process() - cpu0) / 1e6);
        }
        sender.shutdown();
        if (succ != null) succ.close();
        if (prev != null) prev.close();
        System.out.printf("DONE %.1f%n", CpuTime.process() / 1e6);
    }

    private static SocketChannel dial(InetSocketAddress address) throws IOException, InterruptedException {
        for (int attempt = 0; ; attempt++) {
            try {
                return SocketChannel.open(address);
            } catch (java.net.ConnectException e) {
                if (attempt == 500) throw e;
                Thread.sleep(10);
            }
        }
    }

    /** Sends {@code bytes} in writes of {@code size}, walking through {@code buffer} and wrapping around. */
    private static void write(SocketChannel channel, ByteBuffer buffer, int size, long bytes) throws IOException {
        for (long left = bytes, at = 0; left > 0; at += size) {
            window(buffer, at, size, left);
            while (buffer.hasRemaining()) left -= channel.write(buffer);
        }
    }

    /** Receives {@code bytes} in reads of up to {@code size}, walking through {@code buffer} likewise. */
    private static void read(SocketChannel channel, ByteBuffer buffer, int size, long bytes) throws IOException {
        for (long left = bytes, at = 0; left > 0; at += size) {
            window(buffer, at, size, left);
            while (buffer.hasRemaining()) {
                int got = channel.read(buffer);
                if (got < 0) throw new IOException("peer closed after " + (bytes - left) + " of " + bytes + " bytes");
                left -= got;
            }
        }
    }

    /** Points {@code buffer} at the next {@code size} bytes (fewer if only {@code left} remain), from 0 again at its end. */
    private static void window(ByteBuffer buffer, long at, int size, long left) {
        int start = (int) (at % (buffer.capacity() - buffer.capacity() % size));
        buffer.limit(start + (int) Math.min(size, left)).position(start);
    }
}
