package io.spindle.bench;

import io.spindle.layers.core.Parameter;
import io.spindle.layers.mla.LatentTransform;
import io.spindle.layers.mla.MlaOptions;
import io.spindle.layers.model.ModelConfig;
import io.spindle.layers.model.TplaConversion;
import io.spindle.layers.model.TransformerLM;
import io.spindle.spark.config.ConfigLoader;

import java.io.File;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The MLA model that {@link KvCacheBench} and {@link DecodeBench} measure: built from a config
 * file ({@code conf/mla-small.conf}) with the config's seed, untrained (cache sizes and decoding
 * time do not depend on the weights' values), and its TPLA conversions for T ranks (no transform:
 * {@code spindle convert --to tpla --transform none}). Arguments of both benchmarks:
 * {@code CONF [--tp T[,T...]] [--reps N] [--prompt N] [--set key=value]...}.
 */
final class LatentBenchModel {
    final ModelConfig config;
    final TransformerLM mla;
    private final long seed;
    private final Map<String, String> options;

    private LatentBenchModel(ModelConfig config, long seed, Map<String, String> options) {
        MlaOptions m = config.variant().mla();
        if (!m.enabled() || m.tplaShards() != 1) {
            throw new IllegalArgumentException("the config must describe an MLA model with model.mla.tplaShards = 1"
                    + " (model.attention=mla), e.g. conf/mla-small.conf; it has attention=" + (m.enabled() ? "mla" : "mha")
                    + ", tplaShards=" + m.tplaShards());
        }
        this.config = config;
        this.seed = seed;
        this.options = options;
        this.mla = new TransformerLM(config, seed);
    }

    static LatentBenchModel fromArgs(String[] args, String usage) throws Exception {
        if (args.length == 0 || args.length % 2 == 0) throw new IllegalArgumentException("usage: " + usage);
        Map<String, String> options = new LinkedHashMap<>();
        List<String> overrides = new ArrayList<>();
        for (int i = 1; i < args.length; i += 2) {
            if (args[i].equals("--set")) overrides.add(args[i + 1]);
            else if (args[i].startsWith("--")) options.put(args[i], args[i + 1]);
            else throw new IllegalArgumentException("unknown argument " + args[i] + "; usage: " + usage);
        }
        var config = ConfigLoader.load(new File(args[0]), overrides);
        return new LatentBenchModel(config.model(), config.train().seed(), options);
    }

    int option(String name, int fallback) {
        String v = options.get(name);
        return v == null ? fallback : Integer.parseInt(v);
    }

    /** {@code --tp}: the TPLA rank counts to measure, comma-separated. */
    int[] rankCounts(String fallback) {
        return Arrays.stream(options.getOrDefault("--tp", fallback).split(",")).mapToInt(Integer::parseInt).toArray();
    }

    /** The latent width r and the RoPE key width dr of every MLA block. */
    int latent() { return config.variant().mla().shape(config.dModel(), config.heads()).latent(); }

    int ropeDim() { return config.variant().mla().ropeDim(); }

    /** The model converted for TPLA decoding over {@code ranks} ranks, as {@code spindle convert --to tpla --transform none} does. */
    TransformerLM tpla(int ranks) {
        Map<String, org.nd4j.linalg.api.ndarray.INDArray> params = new LinkedHashMap<>();
        for (Parameter p : mla.parameters().parameters()) params.put(p.name(), p.value());
        return TplaConversion.fromMla(config, params, ranks, LatentTransform.Kind.NONE, null, 0, 0).build(seed);
    }

    /** Fixed, printable byte ids (the values do not change the work of a step). */
    static int[] tokens(int n) {
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) ids[i] = 32 + (i * 7) % 90;
        return ids;
    }

    /** The machine's 1, 5 and 15 minute load averages, as /proc/loadavg gives them. */
    static String loadAverage() {
        try {
            String[] f = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).trim().split(" ");
            return f[0] + "," + f[1] + "," + f[2];
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }
}
