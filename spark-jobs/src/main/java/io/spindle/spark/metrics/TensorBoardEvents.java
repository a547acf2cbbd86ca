package io.spindle.spark.metrics;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * Writes TensorBoard event records ({@code events.out.tfevents.*}) to a stream: scalar summaries
 * a stock TensorBoard reads. No maintained Java writer is on Maven Central, and the format is
 * small, so it is encoded here by hand:
 *
 * <p>Record framing (TensorFlow's TFRecord): {@code uint64 length}, {@code uint32
 * masked_crc32c(length bytes)}, the payload, {@code uint32 masked_crc32c(payload)}, all
 * little-endian, where {@code masked(c) = ((c >>> 15) | (c << 17)) + 0xa282ead8}.
 *
 * <p>Payload: a {@code tensorflow.Event} protobuf: {@code wall_time} (field 1, double),
 * {@code step} (2, int64), {@code file_version} (3, string) or {@code summary} (5) holding
 * {@code Summary.Value}s (field 1) of {@code tag} (1, string) and {@code simple_value} (2, float).
 * The first record of a file is the version event {@code brain.Event:2}.
 */
public final class TensorBoardEvents implements AutoCloseable {
    static final String FILE_VERSION = "brain.Event:2";
    private static final int MASK_DELTA = 0xa282ead8;

    private final OutputStream out;

    /** Starts a file on {@code out} (which this object then owns) with the version record. */
    public TensorBoardEvents(OutputStream out, double wallTimeSeconds) throws IOException {
        this.out = out;
        ByteArrayOutputStream event = new ByteArrayOutputStream();
        writeDouble(event, 1, wallTimeSeconds);
        writeBytes(event, 3, FILE_VERSION.getBytes(StandardCharsets.UTF_8));
        writeRecord(event.toByteArray());
    }

    /** The file name TensorBoard looks for: {@code events.out.tfevents.<seconds>.<host>}. */
    public static String fileName(long epochSeconds, String host) {
        return "events.out.tfevents." + epochSeconds + "." + host;
    }

    /** One event at {@code step} holding a scalar per tag; non-finite values are written as they are. */
    public synchronized void scalars(long step, double wallTimeSeconds, Map<String, Double> values) throws IOException {
        ByteArrayOutputStream summary = new ByteArrayOutputStream();
        for (Map.Entry<String, Double> e : values.entrySet()) {
            ByteArrayOutputStream value = new ByteArrayOutputStream();
            writeBytes(value, 1, e.getKey().getBytes(StandardCharsets.UTF_8));
            writeFloat(value, 2, e.getValue().floatValue());
            writeBytes(summary, 1, value.toByteArray());
        }
        ByteArrayOutputStream event = new ByteArrayOutputStream();
        writeDouble(event, 1, wallTimeSeconds);
        writeVarintField(event, 2, step);
        writeBytes(event, 5, summary.toByteArray());
        writeRecord(event.toByteArray());
    }

    public synchronized void flush() throws IOException {
        out.flush();
    }

    @Override
    public synchronized void close() throws IOException {
        out.close();
    }

    private void writeRecord(byte[] payload) throws IOException {
        ByteBuffer header = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        header.putLong(payload.length);
        header.putInt(maskedCrc(header.array(), 0, 8));
        out.write(header.array());
        out.write(payload);
        out.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(maskedCrc(payload, 0, payload.length))
                .array());
    }

    /** TFRecord's masked CRC32C: a CRC of data that itself contains CRCs stays informative. */
    static int maskedCrc(byte[] data, int offset, int length) {
        CRC32C crc = new CRC32C();
        crc.update(data, offset, length);
        int c = (int) crc.getValue();
        return ((c >>> 15) | (c << 17)) + MASK_DELTA;
    }

    private static void writeTag(ByteArrayOutputStream out, int field, int wireType) {
        writeVarint(out, ((long) field << 3) | wireType);
    }

    private static void writeVarint(ByteArrayOutputStream out, long value) {
        while ((value & ~0x7FL) != 0) {
            out.write((int) ((value & 0x7F) | 0x80));
            value >>>= 7;
        }
        out.write((int) value);
    }

    private static void writeVarintField(ByteArrayOutputStream out, int field, long value) {
        writeTag(out, field, 0);
        writeVarint(out, value);
    }

    private static void writeDouble(ByteArrayOutputStream out, int field, double value) {
        writeTag(out, field, 1);
        out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putDouble(value).array());
    }

    private static void writeFloat(ByteArrayOutputStream out, int field, float value) {
        writeTag(out, field, 5);
        out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(value).array());
    }

    private static void writeBytes(ByteArrayOutputStream out, int field, byte[] bytes) {
        writeTag(out, field, 2);
        writeVarint(out, bytes.length);
        out.writeBytes(bytes);
    }
}
