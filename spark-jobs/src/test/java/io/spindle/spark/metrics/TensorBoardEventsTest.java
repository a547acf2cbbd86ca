package io.spindle.spark.metrics;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Decodes what the writer wrote with an independent reader of TFRecord framing and the Event protobuf. */
class TensorBoardEventsTest {

    @Test
    void recordsDecodeBackToTheVersionAndTheScalars() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TensorBoardEvents events = new TensorBoardEvents(bytes, 1700000000.5)) {
            Map<String, Double> row = new LinkedHashMap<>();
            row.put("train/loss", 2.5);
            row.put("train/lr", 3e-3);
            events.scalars(7, 1700000001.0, row);
            events.scalars(300, 1700000002.0, Map.of("val/loss", 1.25));
        }
        List<byte[]> records = records(bytes.toByteArray());
        assertEquals(3, records.size());
        Map<Integer, List<Object>> version = fields(records.get(0));
        assertEquals(1700000000.5, version.get(1).get(0));
        assertEquals(TensorBoardEvents.FILE_VERSION, new String((byte[]) version.get(3).get(0), StandardCharsets.UTF_8));

        Map<Integer, List<Object>> first = fields(records.get(1));
        assertEquals(7L, first.get(2).get(0));
        List<Object> values = fields((byte[]) first.get(5).get(0)).get(1);
        assertEquals(2, values.size());
        Map<Integer, List<Object>> loss = fields((byte[]) values.get(0));
        assertEquals("train/loss", new String((byte[]) loss.get(1).get(0), StandardCharsets.UTF_8));
        assertEquals(2.5f, loss.get(2).get(0));
        assertEquals(3e-3f, fields((byte[]) values.get(1)).get(2).get(0));
        assertEquals(300L, fields(records.get(2)).get(2).get(0));
    }

    @Test
    void aFlippedByteFailsTheChecksum() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        new TensorBoardEvents(bytes, 1.0).scalars(1, 2.0, Map.of("a", 1.0));
        byte[] data = bytes.toByteArray();
        data[data.length - 6] ^= 1;
        assertThrows(IllegalStateException.class, () -> records(data));
    }

    @Test
    void crc32cIsTheCastagnoliPolynomial() {
        CRC32C crc = new CRC32C();
        crc.update("123456789".getBytes(StandardCharsets.US_ASCII));
        assertEquals(0xE3069283L, crc.getValue(), "the CRC-32C check value");
        assertTrue(TensorBoardEvents.fileName(1700000000L, "host-1").startsWith("events.out.tfevents.1700000000."));
    }

    /** TFRecord framing, checking both masked CRCs. */
    private static List<byte[]> records(byte[] file) {
        ByteBuffer in = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        List<byte[]> out = new ArrayList<>();
        while (in.hasRemaining()) {
            byte[] header = new byte[8];
            in.get(header);
            long length = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN).getLong();
            if (in.getInt() != masked(header)) throw new IllegalStateException("length checksum");
            byte[] payload = new byte[(int) length];
            in.get(payload);
            if (in.getInt() != masked(payload)) throw new IllegalStateException("payload checksum");
            out.add(payload);
        }
        return out;
    }

    private static int masked(byte[] data) {
        CRC32C crc = new CRC32C();
        crc.update(data);
        int c = (int) crc.getValue();
        return Integer.rotateRight(c, 15) + 0xa282ead8;
    }

    /** A protobuf message's fields by number: varints as Long, fixed64 as Double, fixed32 as Float, bytes as byte[]. */
    private static Map<Integer, List<Object>> fields(byte[] message) {
        ByteBuffer in = ByteBuffer.wrap(message).order(ByteOrder.LITTLE_ENDIAN);
        Map<Integer, List<Object>> out = new LinkedHashMap<>();
        while (in.hasRemaining()) {
            long key = varint(in);
            int field = (int) (key >>> 3);
            Object value = switch ((int) (key & 7)) {
                case 0 -> varint(in);
                case 1 -> in.getDouble();
                case 5 -> in.getFloat();
                case 2 -> {
                    byte[] b = new byte[(int) varint(in)];
                    in.get(b);
                    yield b;
                }
                default -> throw new IllegalStateException("wire type " + (key & 7));
            };
            out.computeIfAbsent(field, k -> new ArrayList<>()).add(value);
        }
        return out;
    }

    private static long varint(ByteBuffer in) {
        long result = 0;
        for (int shift = 0; ; shift += 7) {
            byte b = in.get();
            result |= (long) (b & 0x7F) << shift;
            if (b >= 0) return result;
        }
    }
}
