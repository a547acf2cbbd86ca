package io.spindle.spark.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a run's {@code metrics.jsonl} says, read once into per-step curves. A resumed or relaunched
 * run repeats the steps after its last checkpoint; the later row of a step wins, so the curves are
 * those of the run as it finally went. Events ({@code start}, {@code checkpoint}, {@code resume},
 * {@code relaunch}, {@code non_finite_skip}, ...) are counted by name.
 */
public final class RunMetrics {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One training step's row. */
    public record TrainRow(long step, double loss, double tokensPerS, double stepMs, double gradNorm, double lr) {}

    /** One validation row. */
    public record ValRow(long step, double loss, double bpb) {}

    private final TreeMap<Long, TrainRow> train = new TreeMap<>();
    private final TreeMap<Long, ValRow> validation = new TreeMap<>();
    private final Map<String, Integer> events = new TreeMap<>();
    private long lastCheckpoint = -1;

    private RunMetrics() {}

    /**
     * Parses metrics.jsonl text. {@code source} names the file in error messages. A line that is
     * not JSON is refused with its line number, except a last line cut off mid-write (a killed
     * driver), which is skipped.
     */
    public static RunMetrics read(Reader text, String source) throws IOException {
        RunMetrics m = new RunMetrics();
        List<String> lines = new ArrayList<>();
        try (BufferedReader in = new BufferedReader(text)) {
            for (String line = in.readLine(); line != null; line = in.readLine()) lines.add(line);
        }
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty()) continue;
            JsonNode row;
            try {
                row = JSON.readTree(line);
            } catch (JsonProcessingException e) {
                if (i == lines.size() - 1) break;
                throw new IllegalArgumentException(source + " line " + (i + 1) + " is not a JSON object ("
                        + e.getOriginalMessage() + "); metrics.jsonl holds one JSON object per line as spindle train"
                        + " writes it");
            }
            m.add(row);
        }
        return m;
    }

    private void add(JsonNode row) {
        long step = row.path("step").asLong(-1);
        if (row.has("event")) {
            String event = row.get("event").asText();
            events.merge(event, 1, Integer::sum);
            if (event.equals("checkpoint")) lastCheckpoint = Math.max(lastCheckpoint, step);
        } else if (row.has("val_loss")) {
            validation.put(step, new ValRow(step, row.get("val_loss").asDouble(), row.path("val_bpb").asDouble(Double.NaN)));
        } else if (row.has("loss")) {
            train.put(step, new TrainRow(step, row.get("loss").asDouble(), row.path("tokens_per_s").asDouble(Double.NaN),
                    row.path("step_ms").asDouble(Double.NaN), row.path("grad_norm").asDouble(Double.NaN),
                    row.path("lr").asDouble(Double.NaN)));
        }
    }

    public List<TrainRow> train() {
        return List.copyOf(train.values());
    }

    public List<ValRow> validation() {
        return List.copyOf(validation.values());
    }

    /** How often each event occurred (0 when never). */
    public int count(String event) {
        return events.getOrDefault(event, 0);
    }

    /** The step of the newest checkpoint the run logged, or -1. */
    public long lastCheckpoint() {
        return lastCheckpoint;
    }

    public boolean isEmpty() {
        return train.isEmpty() && validation.isEmpty();
    }
}
