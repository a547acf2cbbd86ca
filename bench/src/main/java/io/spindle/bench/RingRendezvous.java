package io.spindle.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * How the benchmark's child JVMs find each other, the way Spark's barrier allGather does for
 * training ranks: every child opens a loopback listener and prints {@code LISTEN port}; once all
 * have, the parent sends each child {@code PEERS secretHex port0,port1,...}. The secret travels on
 * stdin, never on a command line where {@code ps} would show it.
 */
record RingRendezvous(List<InetSocketAddress> peers, byte[] secret) {
    private static final Duration CHILD_START_TIMEOUT = Duration.ofSeconds(120);

    /** Child side: opens the listener and announces its port. */
    static ServerSocketChannel listen() throws IOException {
        ServerSocketChannel listener = ServerSocketChannel.open()
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        System.out.println("LISTEN " + ((InetSocketAddress) listener.getLocalAddress()).getPort());
        return listener;
    }

    /** Child side: waits for the parent's PEERS line. */
    static RingRendezvous await() throws IOException {
        String line = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        if (line == null || !line.startsWith("PEERS ")) {
            throw new IOException("expected 'PEERS secretHex port,port,...' on stdin but got " + line);
        }
        String[] parts = line.split(" ");
        List<InetSocketAddress> peers = new ArrayList<>();
        for (String port : parts[2].split(",")) {
            peers.add(new InetSocketAddress(InetAddress.getLoopbackAddress(), Integer.parseInt(port)));
        }
        return new RingRendezvous(peers, HexFormat.of().parseHex(parts[1]));
    }

    /** Parent side: collects every child's port, then tells each child all of them. */
    static void introduce(List<ChildJvm> children, byte[] secret) throws IOException, InterruptedException {
        List<String> ports = new ArrayList<>();
        for (ChildJvm child : children) ports.add(child.awaitLine("LISTEN", CHILD_START_TIMEOUT).trim());
        String line = "PEERS " + HexFormat.of().formatHex(secret) + " " + String.join(",", ports);
        for (ChildJvm child : children) child.send(line);
    }
}
