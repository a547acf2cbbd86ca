package io.spindle.data.shard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class DatasetManifestTest {
    private static DatasetManifest manifest() {
        return new DatasetManifest(DatasetManifest.FORMAT, DatasetManifest.VERSION, "byte-v1", 258,
                List.of("hdfs:///corpus/*.txt.gz"), "by hash", 0.05, 99,
                List.of(new DatasetManifest.ShardEntry("train-00000.arrow", 1000, 10),
                        new DatasetManifest.ShardEntry("train-00001.arrow", 500, 4)),
                List.of(new DatasetManifest.ShardEntry("validation-00000.arrow", 70, 1)));
    }

    @Test
    void roundTripsThroughJsonWithSnakeCaseKeys() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        manifest().write(out);
        JsonNode json = new ObjectMapper().readTree(out.toByteArray());
        assertEquals("spindle-dataset", json.get("format").asText());
        assertEquals(258, json.get("vocab_size").asInt());
        assertEquals("train-00001.arrow", json.get("train").get(1).get("file").asText());
        assertEquals(0.05, json.get("validation_fraction").asDouble());
        assertEquals(10, json.size(), json.toString());

        DatasetManifest read = DatasetManifest.read("dataset.json", new ByteArrayInputStream(out.toByteArray()));
        assertEquals(manifest(), read);
        assertEquals(1500, read.trainTokens());
        assertEquals(70, read.validationTokens());
    }

    @Test
    void ignoresFieldsAddedByNewerWriters() throws IOException {
        String json = manifest().toJson().replaceFirst("\\{", "{\"created_by\": \"spindle 9\",");
        assertEquals(manifest(), read(json));
    }

    @Test
    void rejectsAnotherFormatOrVersion() {
        assertRejected(manifest().toJson().replace("spindle-dataset", "spindle-checkpoint"),
                "format is spindle-checkpoint");
        assertRejected(manifest().toJson().replace("\"format_version\" : 1", "\"format_version\" : 7"),
                "format_version 7 is unsupported");
    }

    @Test
    void rejectsShardPathsOutsideTheDatasetDirectory() {
        assertRejected(manifest().toJson().replace("train-00001.arrow", "../etc/train.arrow"), "../etc/train.arrow");
        assertRejected(manifest().toJson().replace("train-00001.arrow", "/abs/train.arrow"), "/abs/train.arrow");
    }

    @Test
    void rejectsADatasetWithoutTrainShards() {
        String json = manifest().toJson().replaceAll("(?s)\"train\" : \\[.*?\\]", "\"train\" : []");
        assertRejected(json, "train lists no shard");
    }

    @Test
    void rejectsSomethingThatIsNotJson() {
        assertRejected("PAR1 garbage", "not valid JSON");
        assertRejected("", "not valid JSON");
    }

    private static DatasetManifest read(String json) throws IOException {
        return DatasetManifest.read("out/dataset.json", new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)));
    }

    private static void assertRejected(String json, String expected) {
        var e = assertThrows(InvalidDatasetException.class, () -> read(json));
        assertTrue(e.getMessage().contains("out/dataset.json"), e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertTrue(e.getMessage().contains("re-run `spindle prepare`"), e.getMessage());
    }
}
