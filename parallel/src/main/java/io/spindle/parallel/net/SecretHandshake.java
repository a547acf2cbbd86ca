package io.spindle.parallel.net;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;

/**
 * Proves, on every new connection, that the peer knows the job's secret without sending it: the
 * accepting side sends a random challenge, the connecting side answers HMAC-SHA256(secret,
 * challenge || purpose). A wrong answer closes the connection. Used by the metrics channel and
 * the collectives so that nothing else on the network can join a job.
 */
public final class SecretHandshake {
    private static final byte[] MAGIC = {'S', 'P', 'N', 'D', 'L', 'E', '0', '1'};
    private static final int CHALLENGE_BYTES = 32;
    private static final SecureRandom RANDOM = new SecureRandom();

    private SecretHandshake() {}

    /** A fresh random per-job secret. */
    public static byte[] newSecret() {
        byte[] secret = new byte[32];
        RANDOM.nextBytes(secret);
        return secret;
    }

    /** Accepting side: challenge the peer; throws {@link HandshakeException} if it fails. */
    public static void challenge(Socket socket, byte[] secret, String purpose) throws IOException {
        DataOutputStream out = new DataOutputStream(socket.getOutputStream());
        DataInputStream in = new DataInputStream(socket.getInputStream());
        byte[] challenge = new byte[CHALLENGE_BYTES];
        RANDOM.nextBytes(challenge);
        out.write(MAGIC);
        out.write(challenge);
        out.flush();
        byte[] answer = new byte[32];
        in.readFully(answer);
        if (!MessageDigest.isEqual(answer, mac(secret, challenge, purpose))) {
            out.writeByte(0);
            out.flush();
            throw new HandshakeException("peer " + socket.getRemoteSocketAddress()
                    + " failed the job-secret handshake for " + purpose + "; connection refused");
        }
        out.writeByte(1);
        out.flush();
    }

    /** Connecting side: answer the challenge; throws {@link HandshakeException} if refused. */
    public static void answer(Socket socket, byte[] secret, String purpose) throws IOException {
        DataOutputStream out = new DataOutputStream(socket.getOutputStream());
        DataInputStream in = new DataInputStream(socket.getInputStream());
        byte[] magic = new byte[MAGIC.length];
        in.readFully(magic);
        if (!MessageDigest.isEqual(magic, MAGIC)) {
            throw new HandshakeException(socket.getRemoteSocketAddress() + " is not a Spindle endpoint");
        }
        byte[] challenge = new byte[CHALLENGE_BYTES];
        in.readFully(challenge);
        out.write(mac(secret, challenge, purpose));
        out.flush();
        if (in.readByte() != 1) {
            throw new HandshakeException(socket.getRemoteSocketAddress() + " refused this job's secret for " + purpose);
        }
    }

    private static byte[] mac(byte[] secret, byte[] challenge, String purpose) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            mac.update(challenge);
            return mac.doFinal(purpose.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every Java 17 runtime", e);
        }
    }

    /** The peer does not know the job's secret, or is not a Spindle endpoint. */
    public static final class HandshakeException extends IOException {
        public HandshakeException(String message) {
            super(message);
        }
    }
}
