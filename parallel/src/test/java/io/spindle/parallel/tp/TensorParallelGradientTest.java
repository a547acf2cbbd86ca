package io.spindle.parallel.tp;

import io.spindle.layers.core.Parameter;
import io.spindle.layers.model.ModelConfig;
import io.spindle.layers.model.TransformerLM;
import io.spindle.parallel.comm.Communicator;
import io.spindle.parallel.comm.InProcessGroup;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One forward and backward of the sliced model against the whole model on the same batch: every
 * TP rank's loss equals the whole model's, every sliced parameter's gradient equals the matching
 * slice of the whole model's gradient, and every replicated one the whole gradient. Tokens are
 * drawn from the whole vocabulary so every rank's embedding and head slice takes part. This
 * checks each conjugate operator (a missing or doubled all-reduce shows up as a factor of TP in
 * some gradient) independently of training.
 */
class TensorParallelGradientTest {
    private static final ModelConfig MODEL = TensorParallelTrainingTest.MODEL;
    private static final int BATCH = 3;
    private static final int SEQ = 16;

    /** One rank's loss and its (sliced) model after backward. */
    record Result(float loss, TransformerLM model) {}

    private static int[] randomTokens(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] t = new int[BATCH * SEQ];
        for (int i = 0; i < t.length; i++) t[i] = r.nextInt(MODEL.vocabSize());
        return t;
    }

    private static Result forwardBackward(TensorParallel tp, int[] inputs, int[] targets) {
        TransformerLM model = new TransformerLM(MODEL, 5, tp.layout());
        model.parameters().zeroGrads();
        float loss = model.forwardLoss(inputs, targets, BATCH, SEQ);
        model.backward();
        return new Result(loss, model);
    }

    private static void slicedGradientsMatchTheWholeModel(int tpSize) throws Exception {
        int[] inputs = randomTokens(1);
        int[] targets = randomTokens(2);
        Result whole;
        try (TensorParallel alone = TensorParallel.single()) {
            whole = forwardBackward(alone, inputs, targets);
        }
        List<Communicator> group = InProcessGroup.create(tpSize);
        ExecutorService pool = Executors.newFixedThreadPool(tpSize);
        List<Result> ranks = new ArrayList<>();
        try {
            List<Future<Result>> futures = new ArrayList<>();
            for (Communicator c : group) {
                futures.add(pool.submit(() -> {
                    try (TensorParallel tp = new TensorParallel(c, TensorParallelPlan.megatron())) {
                        return forwardBackward(tp, inputs, targets);
                    }
                }));
            }
            for (Future<Result> f : futures) ranks.add(f.get(120, TimeUnit.SECONDS));
        } finally {
            pool.shutdownNow();
        }
        int slicedParameters = 0;
        for (Result rank : ranks) {
            assertEquals(whole.loss(), rank.loss(), 1e-6 * whole.loss(), "loss");
            for (Parameter p : rank.model().parameters().parameters()) {
                INDArray expected = p.slice().isWhole() ? whole.model().parameters().get(p.name()).grad()
                        : LogicalTensors.slice(whole.model().parameters().get(p.name()).grad(), p.slice());
                double scale = expected.amaxNumber().doubleValue();
                double diff = expected.sub(p.grad()).amaxNumber().doubleValue();
                assertTrue(scale > 0, p.name() + " receives a gradient");
                assertTrue(diff <= 1e-4 * scale, p.name() + " " + p.slice() + ": max difference " + diff + " of " + scale);
                if (!p.slice().isWhole()) slicedParameters++;
            }
        }
        assertEquals(tpSize * (2 + 7 * MODEL.layers()), slicedParameters, "embedding, head, q/k/v/o and w1/w2/w3 are sliced");
    }

    @Test
    void twoRanksGradientsAreSlicesOfTheWholeGradient() throws Exception {
        slicedGradientsMatchTheWholeModel(2);
    }

    @Test
    void fourRanksGradientsAreSlicesOfTheWholeGradient() throws Exception {
        slicedGradientsMatchTheWholeModel(4);
    }
}
