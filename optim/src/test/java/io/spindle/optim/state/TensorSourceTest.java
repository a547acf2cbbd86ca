package io.spindle.optim.state;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TensorSourceTest {
    private static Map<String, INDArray> tensors() {
        Map<String, INDArray> m = new LinkedHashMap<>();
        m.put("step", Nd4j.scalar(DataType.INT64, 3L));
        m.put("w/m", Nd4j.createFromArray(new float[] {1, 2, 3, 4, 5, 6}).reshape(2, 3));
        m.put("w/v", Nd4j.createFromArray(new float[] {7, 8}));
        return m;
    }

    @Test
    void specsAnnounceWhatIsProducedInOrder() throws IOException {
        TensorSource s = TensorSource.of(tensors());
        assertEquals(List.of(new TensorSpec("step", DataType.LONG, new long[0]),
                new TensorSpec("w/m", DataType.FLOAT, new long[] {2, 3}),
                new TensorSpec("w/v", DataType.FLOAT, new long[] {2})), s.specs());
        List<String> produced = new ArrayList<>();
        s.produce((spec, t) -> {
            spec.requireMatches(t);
            produced.add(spec.name());
        });
        assertEquals(List.of("step", "w/m", "w/v"), produced);
    }

    /** Prefixing and selecting under a prefix are inverses; joined sources keep their order; unwanted tensors are skipped. */
    @Test
    void viewsRenameSelectAndJoin() throws IOException {
        TensorSource joined = TensorSource.concat(List.of(
                TensorSource.of(Map.of("step", Nd4j.scalar(DataType.INT64, 9L))),
                TensorSource.of(tensors()).prefixed("adamw/"),
                TensorSource.of(Map.of("x/m", Nd4j.ones(DataType.FLOAT, 2))).prefixed("muon/")));
        assertEquals(List.of("step", "adamw/step", "adamw/w/m", "adamw/w/v", "muon/x/m"),
                joined.specs().stream().map(TensorSpec::name).toList());
        TensorSource adamw = joined.under("adamw/");
        assertEquals(TensorSource.of(tensors()).specs(), adamw.specs());
        List<String> produced = new ArrayList<>();
        adamw.produce(name -> !name.equals("w/m"), (spec, t) -> produced.add(spec.name()));
        assertEquals(List.of("step", "w/v"), produced);
        assertArrayEquals(new float[] {7, 8}, adamw.read("w/v").toFloatVector(), 0f);
        assertEquals(9L, joined.read("step").getLong(0));
        assertTrue(joined.contains("muon/x/m"));
        assertThrows(IllegalArgumentException.class, () -> adamw.read("x/m"));
        Map<String, INDArray> all = joined.toMap();
        assertEquals(joined.specs().stream().map(TensorSpec::name).toList(), List.copyOf(all.keySet()));
        assertEquals(3L, all.get("adamw/step").getLong(0));
    }

    @Test
    void aSpecRefusesATensorOfAnotherTypeOrShape() {
        TensorSpec spec = new TensorSpec("w/m", DataType.FLOAT, new long[] {2, 3});
        spec.requireMatches(Nd4j.zeros(DataType.FLOAT, 2, 3));
        assertThrows(IllegalStateException.class, () -> spec.requireMatches(Nd4j.zeros(DataType.FLOAT, 3, 2)));
        assertThrows(IllegalStateException.class, () -> spec.requireMatches(Nd4j.zeros(DataType.BYTE, 2, 3)));
    }
}
