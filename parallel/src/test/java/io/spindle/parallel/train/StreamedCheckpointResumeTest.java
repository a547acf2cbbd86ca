package io.spindle.parallel.train;

import io.spindle.layers.model.TransformerLM;
import io.spindle.optim.Optimizer;
import io.spindle.optim.ParamSlot;
import io.spindle.optim.adamw.AdamW;
import io.spindle.optim.muon.Muon;
import io.spindle.optim.offload.OffloadConfig;
import io.spindle.optim.offload.OffloadWindow;
import io.spindle.optim.routing.OptimizerRouter;
import io.spindle.optim.state.StateFormat;
import io.spindle.optim.state.TensorSource;
import io.spindle.parallel.checkpoint.CheckpointCatalog;
import io.spindle.parallel.checkpoint.CheckpointWriter;
import io.spindle.parallel.checkpoint.LocalCheckpointStorage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * RankTrainer's checkpoints of offloaded optimizer state (issue 9): written from the offload files
 * and read back into them a tensor at a time, for the router's parameter groups (Muon on the
 * matrices, AdamW on the rest), dense and COAT. The optimizer here refuses to hand over or take its
 * state as a map, so the save and resume paths are streamed end to end.
 */
class StreamedCheckpointResumeTest {
    @TempDir
    Path dir;

    private static Optimizer router(StateFormat format) {
        return OptimizerRouter.matricesAndRest(new Muon(0.95, true, 5, 0.01, format), 0.5,
                new AdamW(0.9, 0.95, 1e-8, 0.1, AdamW.DEFAULT_DECAYED_ROLES, format), 1.0);
    }

    private Optimizer offloadedRouter(StateFormat format) {
        try (OffloadWindow window = OffloadWindow.open(OffloadConfig.of(340L << 10, dir.resolve("offload").toString()))) {
            return new StreamOnlyOptimizer(router(format.offloadedThrough(window)));
        }
    }

    /**
     * The offloaded run's streamed checkpoints equal the in-memory run's byte for byte, and a run
     * resumed from one (into fresh offload files) logs exactly the uninterrupted run's rows.
     */
    @Test
    void offloadedCheckpointsAreTheInMemoryOnesAndResumeExactly() throws IOException {
        for (StateFormat format : List.of(StateFormat.DENSE, StateFormat.coat(32))) {
            String kind = format.kind().name();
            TrainingConfig cfg = RankTrainerTest.config(10, 4, NonFinitePolicy.STOP, 1e-2);
            LocalCheckpointStorage inMemoryDir = new LocalCheckpointStorage(dir.resolve(kind + "-memory"));
            List<Map<String, Object>> uninterrupted = new ArrayList<>();
            try (Optimizer o = router(format)) {
                RankTrainerTest.trainer(cfg, new TransformerLM(RankTrainerTest.MODEL, 3),
                        Optional.of(new CheckpointWriter(inMemoryDir, "t", 5)), uninterrupted, o).run(Optional.empty());
            }
            LocalCheckpointStorage offloadedDir = new LocalCheckpointStorage(dir.resolve(kind + "-offloaded"));
            try (Optimizer o = offloadedRouter(format)) {
                RankTrainerTest.trainer(cfg, new TransformerLM(RankTrainerTest.MODEL, 3),
                        Optional.of(new CheckpointWriter(offloadedDir, "t", 5)), new ArrayList<>(), o)
                        .run(Optional.empty());
            }
            for (long step : List.of(4L, 8L, 10L)) {
                for (String file : List.of("model-00000.bin", "optimizer-00000.bin")) {
                    assertArrayEquals(Files.readAllBytes(dir.resolve(kind + "-memory/step-" + step + "/" + file)),
                            Files.readAllBytes(dir.resolve(kind + "-offloaded/step-" + step + "/" + file)),
                            kind + " step " + step + " " + file);
                }
                assertEquals(String.valueOf(new CheckpointCatalog(inMemoryDir).manifest(step).tensors()),
                        String.valueOf(new CheckpointCatalog(offloadedDir).manifest(step).tensors()));
            }
            List<Map<String, Object>> resumed = new ArrayList<>();
            try (Optimizer o = offloadedRouter(format)) {
                RankTrainerTest.trainer(cfg, new TransformerLM(RankTrainerTest.MODEL, 99), Optional.empty(), resumed, o)
                        .run(Optional.of(new CheckpointCatalog(offloadedDir).load(4)));
            }
            assertEquals(RankTrainerTest.stepRows(uninterrupted, 4), RankTrainerTest.stepRows(resumed, 4), kind);
            assertEquals(6, RankTrainerTest.stepRows(resumed, 4).stream().filter(r -> r.containsKey("loss")).count());
        }
    }

}
