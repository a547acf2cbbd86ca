package io.spindle.spark.model;

import io.spindle.layers.mla.MlaOptions;
import io.spindle.layers.model.ChainSubModels;
import io.spindle.layers.model.MatFormerExtraction;
import io.spindle.layers.model.ModelConfig;
import io.spindle.layers.model.SubModel;
import io.spindle.parallel.checkpoint.CheckpointContent;
import io.spindle.parallel.checkpoint.CheckpointWriter;
import io.spindle.spark.config.ConfigLoader;
import io.spindle.spark.config.SpindleConfig;
import io.spindle.spark.fs.HadoopCheckpointStorage;
import io.spindle.spark.train.GitRevision;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Writes a model derived from a checkpoint (a MatFormer sub-model, a CoLM prefix or grown CoLM,
 * a MASA or TPLA conversion) as a run directory of its own: {@code config.resolved.conf} and
 * {@code checkpoints/step-N/} holding the parameters (no optimizer state), so {@code spindle eval}
 * and {@code generate} take it as they take any run, and {@code train} can start from it with
 * {@code run.initFrom}. The new config is the source run's config with the model keys rewritten.
 */
public final class DerivedModels {
    private DerivedModels() {}

    /**
     * A MatFormer sub-model of {@code source}: one FFN width for every layer, or one per layer
     * (Mix'n'Match).
     */
    public static SubModel matFormer(CheckpointModels.Found source, int... widths) {
        ModelConfig model = sourceModel(source);
        int[] perLayer = widths;
        if (widths.length == 1) {
            perLayer = new int[model.layers()];
            java.util.Arrays.fill(perLayer, widths[0]);
        }
        int[] chosen = perLayer;
        return asInputError(() -> MatFormerExtraction.extract(model, source.content().model(), chosen));
    }

    /** The Chain-of-Model sub-model of {@code source}'s first {@code chains} chains. */
    public static SubModel firstChains(CheckpointModels.Found source, int chains) {
        return asInputError(() -> ChainSubModels.firstChains(sourceModel(source), source.content().model(), chains));
    }

    /** {@code source}'s CoLM grown by one chain of {@code size}, new parameters drawn from train.seed + 1. */
    public static SubModel grown(CheckpointModels.Found source, int size) {
        SpindleConfig config = ConfigLoader.fromText(source.content().config());
        return asInputError(() -> ChainSubModels.grow(config.model(), source.content().model(), size,
                config.train().seed() + 1));
    }

    private static ModelConfig sourceModel(CheckpointModels.Found source) {
        return ConfigLoader.fromText(source.content().config()).model();
    }

    /** Extraction refuses a choice the model cannot give with IllegalArgumentException: bad input, exit code 2. */
    private static SubModel asInputError(java.util.function.Supplier<SubModel> extraction) {
        try {
            return extraction.get();
        } catch (io.spindle.spark.config.ConfigException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            throw new io.spindle.spark.config.ConfigException(e.getMessage(), e);
        }
    }

    /** Writes {@code sub} to {@code out}; returns the written config. */
    public static SpindleConfig write(CheckpointModels.Found source, SubModel sub, String out, Configuration hadoopConf)
            throws IOException {
        String name = new Path(out).getName().replaceAll("[^A-Za-z0-9._-]", "_");
        List<String> overrides = new ArrayList<>(modelOverrides(sub.config()));
        overrides.add("run.name=\"" + name + "\"");
        overrides.add("run.dir=\"" + out + "\"");
        overrides.add("run.initFrom=\"\"");
        SpindleConfig config = ConfigLoader.fromText(source.content().config(), overrides);
        if (!config.model().equals(sub.config())) {
            throw new IllegalStateException("the rewritten config describes " + config.model() + ", not the derived model "
                    + sub.config());
        }
        Path dir = new Path(out);
        FileSystem fs = dir.getFileSystem(hadoopConf);
        if (fs.exists(new Path(dir, "checkpoints"))) {
            throw new io.spindle.spark.config.ConfigException(out + " already holds checkpoints; choose a new --out directory");
        }
        try (FSDataOutputStream o = fs.create(new Path(config.run().resolvedConfigFile()), true)) {
            o.write(config.resolvedText().getBytes(StandardCharsets.UTF_8));
        }
        CheckpointContent content = new CheckpointContent(source.content().step(), config.resolvedText(), 1, 1,
                source.content().state(), sub.params(), Map.of());
        new CheckpointWriter(new HadoopCheckpointStorage(config.run().checkpointsDir(), hadoopConf), GitRevision.current(), 1)
                .write(content);
        return config;
    }

    /** {@code --set} lines that make a config describe exactly {@code m}'s model. */
    static List<String> modelOverrides(ModelConfig m) {
        List<String> o = new ArrayList<>();
        o.add("model.vocabSize=" + m.vocabSize());
        o.add("model.dModel=" + m.dModel());
        o.add("model.layers=" + m.layers());
        o.add("model.heads=" + m.heads());
        o.add("model.ffnHidden=" + m.ffnHidden());
        o.add("model.maxSeq=" + m.maxSeq());
        o.add("model.ffnHiddenPerLayer=" + list(m.variant().ffnHiddenPerLayer()));
        o.add("model.matformer.divisors=" + list(m.variant().matformer().divisors()));
        o.add("model.matformer.weights=" + list(m.variant().matformer().weights()));
        o.add("model.colm.chains=" + list(m.variant().colm().chains()));
        o.add("model.colm.air=" + m.variant().colm().air());
        o.add("model.colm.prefixWeights=" + list(m.variant().colm().prefixWeights()));
        o.add("model.masa.atoms=" + m.variant().masa().atoms());
        MlaOptions mla = m.variant().mla();
        o.add("model.attention=" + (mla.enabled() ? "mla" : "mha"));
        o.add("model.mla.latent=" + mla.latent());
        o.add("model.mla.headDim=" + mla.headDim());
        o.add("model.mla.ropeDim=" + mla.ropeDim());
        o.add("model.mla.tplaShards=" + mla.tplaShards());
        o.add("model.mla.sequenceForm=" + mla.sequenceForm().key());
        return o;
    }

    private static String list(List<? extends Number> values) {
        return values.stream().map(String::valueOf).collect(Collectors.joining(", ", "[", "]"));
    }
}
