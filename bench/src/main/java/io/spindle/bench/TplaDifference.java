package io.spindle.bench;

import io.spindle.data.sampling.ValidationBatches;
import io.spindle.layers.core.Parameter;
import io.spindle.layers.mla.LatentTransform;
import io.spindle.layers.mla.MlaOptions;
import io.spindle.layers.model.ModelConfig;
import io.spindle.layers.model.SubModel;
import io.spindle.layers.model.TplaConversion;
import io.spindle.layers.model.TransformerLM;
import io.spindle.spark.model.CheckpointModels;
import io.spindle.spark.prepare.TokenDatasetLoader;
import org.apache.hadoop.conf.Configuration;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How far TPLA moves a trained MLA model from itself, per latent transform: the model of a run
 * directory is converted ({@link TplaConversion}) with no transform, Hadamard and PCA, and each
 * converted model is evaluated on the run's validation split twice, in MLA form (the conversion
 * must leave it unchanged) and with every attention in TPLA form over T slices (every position
 * attends as a TPLA decoding step does, without the MLA prefill: the larger of the two
 * differences). PCA is fitted on the first {@code --calibration} validation batches and every
 * figure is measured on the batches after them.
 *
 * <p>Usage: {@code TplaDifference RUN_DIR [--tp T] [--calibration N] [--batches N]}. Prints one
 * {@code RESULT tpla ...} line per transform: validation loss (nats/token) in both forms, their
 * difference, and the mean absolute logit difference from MLA.
 */
public final class TplaDifference {
    private TplaDifference() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: TplaDifference RUN_DIR [--tp T] [--calibration N] [--batches N]");
            System.exit(2);
        }
        int tp = option(args, "--tp", 2);
        int calibrationBatches = option(args, "--calibration", 4);
        int evalBatches = option(args, "--batches", 8);
        BenchEnvironment.print();
        Configuration hadoop = new Configuration();
        CheckpointModels.Loaded run = CheckpointModels.load(args[0], List.of(), hadoop, System.err);
        ModelConfig config = run.model().config();
        int seq = run.config().train().seq();
        int batch = run.config().train().batch();
        ValidationBatches batches = new ValidationBatches(
                TokenDatasetLoader.load(run.config().data().prepared(), hadoop).validation(), seq, batch,
                calibrationBatches + evalBatches);
        if (batches.size() < calibrationBatches + evalBatches) {
            throw new IllegalArgumentException("the validation split has " + batches.size() + " batches; need "
                    + (calibrationBatches + evalBatches));
        }
        int[] calibration = batches.inputs(0, calibrationBatches);
        Map<String, INDArray> params = new LinkedHashMap<>();
        for (Parameter p : run.model().parameters().parameters()) params.put(p.name(), p.value());
        System.out.printf(Locale.ROOT, "# %s (step %d): %d layers, latent %d, T=%d, %d calibration and %d eval batches of %d x %d%n",
                run.location(), run.step(), config.layers(), config.variant().mla().shape(config.dModel(), config.heads()).latent(),
                tp, calibrationBatches, evalBatches, batch, seq);
        for (LatentTransform.Kind kind : LatentTransform.Kind.values()) {
            SubModel converted = TplaConversion.fromMla(config, params, tp, kind, calibration, calibrationBatches * batch, seq);
            TransformerLM mla = converted.build(0);
            MlaOptions tpla = converted.config().variant().mla().withTpla(tp, MlaOptions.Form.TPLA);
            TransformerLM sliced = new SubModel(converted.config().withVariant(converted.config().variant().withMla(tpla)),
                    converted.params()).build(0);
            double mlaLoss = loss(mla, batches, calibrationBatches, evalBatches, seq, batch);
            double tplaLoss = loss(sliced, batches, calibrationBatches, evalBatches, seq, batch);
            double logitDiff = meanLogitDifference(mla, sliced, batches, calibrationBatches, evalBatches, seq, batch);
            System.out.printf(Locale.ROOT, "RESULT tpla transform=%s T=%d mla_val_loss=%.4f tpla_val_loss=%.4f delta=%+.4f"
                    + " mean_abs_logit_diff=%.4f slice0_energy=%.3f%n", kind.name().toLowerCase(Locale.ROOT), tp, mlaLoss,
                    tplaLoss, tplaLoss - mlaLoss, logitDiff, firstSliceEnergy(mla, batches, calibrationBatches, seq, batch, tp));
        }
        BenchEnvironment.print();
    }

    private static double loss(TransformerLM model, ValidationBatches batches, int from, int count, int seq, int batch) {
        double nats = 0;
        int[] inputs = new int[batch * seq];
        int[] targets = new int[batch * seq];
        for (int b = from; b < from + count; b++) {
            batches.fill(b, inputs, targets);
            nats += model.forwardLoss(inputs, targets, batch, seq);
        }
        return nats / count;
    }

    private static double meanLogitDifference(TransformerLM a, TransformerLM b, ValidationBatches batches, int from, int count,
                                              int seq, int batch) {
        double sum = 0;
        long n = 0;
        int[] inputs = new int[batch * seq];
        int[] targets = new int[batch * seq];
        for (int i = from; i < from + count; i++) {
            batches.fill(i, inputs, targets);
            INDArray diff = a.forwardLogits(inputs, batch, seq).subi(b.forwardLogits(inputs, batch, seq));
            sum += diff.norm1Number().doubleValue();
            n += diff.length();
        }
        return sum / n;
    }

    /** Share of the latents' squared norm (all MLA blocks, one eval batch) in the first of the T slices. */
    private static double firstSliceEnergy(TransformerLM model, ValidationBatches batches, int index, int seq, int batch, int tp) {
        model.forwardLogits(batches.inputs(index, 1), batch, seq);
        double first = 0;
        double all = 0;
        for (int l = 0; l < model.config().layers(); l++) {
            if (!(model.mixer(l) instanceof io.spindle.layers.mla.MultiHeadLatentAttention attn)) continue;
            INDArray c = attn.latent();
            long slice = c.size(1) / tp;
            first += c.get(org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.interval(0, slice))
                    .norm2Number().doubleValue() * c.get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
                    org.nd4j.linalg.indexing.NDArrayIndex.interval(0, slice)).norm2Number().doubleValue();
            all += Math.pow(c.norm2Number().doubleValue(), 2);
        }
        return first / all;
    }

    private static int option(String[] args, String name, int fallback) {
        for (int i = 1; i + 1 < args.length; i++) if (args[i].equals(name)) return Integer.parseInt(args[i + 1]);
        return fallback;
    }
}
