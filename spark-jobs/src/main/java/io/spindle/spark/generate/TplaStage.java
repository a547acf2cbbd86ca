package io.spindle.spark.generate;

import io.spindle.data.tokenizer.ByteTokenizer;
import io.spindle.layers.model.TransformerLM;
import io.spindle.parallel.mesh.DeviceMesh;
import io.spindle.parallel.mesh.MeshCommunicators;
import io.spindle.parallel.net.SecretHandshake;
import io.spindle.parallel.tpla.TplaDecoder;
import io.spindle.spark.SparkSessions;
import io.spindle.spark.config.ConfigException;
import io.spindle.spark.config.SpindleConfig;
import io.spindle.spark.model.CheckpointModels;
import io.spindle.spark.train.ClusterPreflight;
import io.spindle.spark.train.MeshRendezvous;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.SparkContext;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import scala.collection.Iterator;
import scala.collection.JavaConverters;
import scala.reflect.ClassTag$;
import scala.runtime.AbstractFunction1;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * TPLA decoding with its ranks as Spark tasks: one barrier stage of T tasks (T =
 * model.mla.tplaShards), each loading the checkpoint, caching its 1/T of every KV latent and joining
 * the others on the authenticated TCP ring (the training mesh's rendezvous, a TP group of T), where
 * each step's partial outputs are all-reduced ({@link TplaDecoder#decodeAsRank}). Rank 0 samples
 * with the run's temperature, top-k and seed and broadcasts each token, so the text equals
 * {@link TextGenerator}'s in-process TPLA decoding of the same checkpoint.
 */
public final class TplaStage {
    private TplaStage() {}

    /** Prompt + continuation sampled with {@code loaded}'s generate.* settings; the checkpoint is read again by every task. */
    public static String generate(SparkSession spark, String source, List<String> overrides, CheckpointModels.Loaded loaded,
                                  PrintStream console) throws InterruptedException {
        SpindleConfig config = loaded.config();
        int ranks = config.model().variant().mla().tplaShards();
        try {
            TplaDecoder.requireTplaModel(loaded.model(), Math.max(2, ranks));
        } catch (IllegalArgumentException e) {
            throw new ConfigException("--spark runs the ranks of a TPLA model as Spark tasks: " + e.getMessage());
        }
        SpindleConfig.Generate g = config.generate();
        ByteTokenizer tokenizer = new ByteTokenizer();
        int[] prompt = tokenizer.encode(g.prompt());
        if (prompt.length == 0) prompt = new int[] {ByteTokenizer.END_OF_TEXT}; // start as at a document boundary
        SparkContext sc = spark.sparkContext();
        ClusterPreflight.check(sc, ranks, config.parallel().timeoutSeconds(), console);
        sc.setJobGroup("spindle-generate-tpla", "spindle generate (TPLA over " + ranks + " tasks)", true);
        try {
            Object collected = new JavaSparkContext(sc).parallelize(IntStream.range(0, ranks).boxed().collect(Collectors.toList()), ranks)
                    .rdd().barrier()
                    .mapPartitions(new RankTask(source, overrides, prompt, g.tokens(), config.train().seq(), g.temperature(),
                            g.topK(), g.seed(), SecretHandshake.newSecret()), false, ClassTag$.MODULE$.apply(int[].class))
                    .collect();
            int[] sampled = ((int[][]) collected)[0];
            int[] ids = Arrays.copyOf(prompt, prompt.length + sampled.length);
            System.arraycopy(sampled, 0, ids, prompt.length, sampled.length);
            return tokenizer.decode(ids);
        } finally {
            sc.clearJobGroup();
        }
    }

    /** One TPLA rank: the closure carries the checkpoint's location, the settings and the ring's secret. */
    static final class RankTask extends AbstractFunction1<Iterator<Integer>, Iterator<int[]>> implements Serializable {
        private static final long serialVersionUID = 1L;
        private final String source;
        private final List<String> overrides;
        private final int[] prompt;
        private final int tokens;
        private final int context;
        private final double temperature;
        private final int topK;
        private final long seed;
        private final byte[] secret;

        RankTask(String source, List<String> overrides, int[] prompt, int tokens, int context, double temperature, int topK,
                 long seed, byte[] secret) {
            this.source = source;
            this.overrides = List.copyOf(overrides);
            this.prompt = prompt.clone();
            this.tokens = tokens;
            this.context = context;
            this.temperature = temperature;
            this.topK = topK;
            this.seed = seed;
            this.secret = secret.clone();
        }

        @Override
        public Iterator<int[]> apply(Iterator<Integer> partition) {
            BarrierTaskContext context = BarrierTaskContext.get();
            int rank = context.partitionId();
            int ranks = context.getTaskInfos().length;
            String host = SparkEnv.get().blockManager().blockManagerId().host();
            try {
                // the driver has reported the checkpoint's warnings already
                CheckpointModels.Loaded loaded = CheckpointModels.load(source, overrides,
                        SparkSessions.hadoopConfiguration(SparkEnv.get().conf()), new PrintStream(OutputStream.nullOutputStream()));
                TransformerLM model = loaded.model();
                try (MeshCommunicators groups = MeshRendezvous.join(context, new DeviceMesh(1, ranks), rank, host, secret,
                        loaded.config().parallel().comm())) {
                    SplittableRandom random = new SplittableRandom(seed);
                    int[] sampled = TplaDecoder.decodeAsRank(model, groups.tp(), prompt, tokens, this.context, logits -> {
                        int next = TextGenerator.sample(logits, 0, temperature, topK, random);
                        return next == ByteTokenizer.END_OF_TEXT ? -1 : next;
                    }).tokens();
                    return JavaConverters.asScalaIterator(List.of(sampled).iterator());
                }
            } catch (IOException e) {
                throw new UncheckedIOException("TPLA rank " + rank + " on " + host + " failed: " + e.getMessage(), e);
            }
        }
    }
}
