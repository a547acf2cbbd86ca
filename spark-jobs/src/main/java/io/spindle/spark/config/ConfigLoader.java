package io.spindle.spark.config;

import io.spindle.optim.offload.OffloadConfig;
import io.spindle.optim.state.StateFormat;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import io.spindle.data.tokenizer.ByteTokenizer;
import io.spindle.layers.model.ModelConfig;
import io.spindle.layers.model.ModelFlavors;
import io.spindle.parallel.comm.WirePrecision;
import io.spindle.parallel.train.NonFinitePolicy;
import io.spindle.parallel.tp.TensorParallelSupport;
import io.spindle.parallel.train.OptimizerConfig;
import io.spindle.parallel.train.TrainingConfig;

import java.io.File;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads a HOCON config file plus {@code --set key=value} overrides over Spindle's defaults
 * ({@code defaults.conf}), rejects unknown keys with a did-you-mean, and builds the typed
 * {@link SpindleConfig}. Every failure is a {@link ConfigException} naming the key and the fix.
 */
public final class ConfigLoader {
    private static final String DEFAULTS = "io/spindle/spark/config/defaults.conf";
    /** Model keys that have no default of their own: absent means "the flavor's value". */
    static final List<String> MODEL_OVERRIDES = List.of("model.vocabSize", "model.dModel", "model.layers",
            "model.heads", "model.ffnHidden", "model.maxSeq", "model.ropeBase", "model.normEps", "model.initStd");
    private static final String FREE_FORM_PREFIX = "spark.conf.";
    private static final String RENAMED_MESH_PREFIX = "mesh.";

    private ConfigLoader() {}

    /** Loads {@code file} with {@code overrides} ("key=value" each) applied on top. */
    public static SpindleConfig load(File file, List<String> overrides) {
        if (!file.isFile()) {
            throw new ConfigException("config file " + file + " does not exist; pass a HOCON file such as conf/tiny.conf");
        }
        Config user;
        try {
            user = isYaml(file) ? YamlConfig.parse(file) : ConfigFactory.parseFile(file);
        } catch (com.typesafe.config.ConfigException e) {
            throw new ConfigException("config file " + file + " cannot be parsed: " + e.getMessage(), e);
        }
        return build(parseOverrides(overrides).withFallback(user), file.toString());
    }

    /** Rebuilds a config from resolved text (what ranks receive and checkpoints store). */
    public static SpindleConfig fromText(String hocon) {
        return build(ConfigFactory.parseString(hocon), "resolved config");
    }

    /** Loads the config stored in a checkpoint, with {@code overrides} applied. */
    public static SpindleConfig fromText(String hocon, List<String> overrides) {
        return build(parseOverrides(overrides).withFallback(ConfigFactory.parseString(hocon)), "checkpoint config");
    }

    private static boolean isYaml(File file) {
        String name = file.getName().toLowerCase(Locale.ROOT);
        return name.endsWith(".yaml") || name.endsWith(".yml");
    }

    static Config parseOverrides(List<String> overrides) {
        Config result = ConfigFactory.empty();
        for (String o : overrides) {
            int eq = o.indexOf('=');
            if (eq <= 0) {
                throw new ConfigException("--set " + o + " is not key=value; write e.g. --set train.steps=100");
            }
            String key = o.substring(0, eq).trim();
            String value = o.substring(eq + 1).trim();
            Config one;
            try {
                one = ConfigFactory.parseString(key + " = " + value);
            } catch (com.typesafe.config.ConfigException e) {
                // Not valid HOCON as written (e.g. a path with a colon): take it as a plain string.
                one = ConfigFactory.parseMap(Map.of(key, value));
            }
            result = one.withFallback(result);
        }
        return result;
    }

    private static SpindleConfig build(Config given, String origin) {
        Config defaults = ConfigFactory.parseResources(ConfigLoader.class.getClassLoader(), DEFAULTS);
        rejectUnknownKeys(given, knownKeys(defaults), origin);
        Config c;
        try {
            c = given.withFallback(defaults).resolve();
        } catch (com.typesafe.config.ConfigException e) {
            throw new ConfigException(origin + ": " + e.getMessage(), e);
        }
        TypedReader r = new TypedReader(c);
        String name = r.string("run.name");
        // "." and ".." would put runs/<name> at or above runs/: the run directory must stay inside it
        if (name.isBlank() || !name.matches("[A-Za-z0-9._-]+") || name.matches("\\.+")) {
            throw new ConfigException("run.name=\"" + name + "\" must be non-empty letters, digits, '.', '_' or '-'"
                    + " and not only dots; e.g. run.name=tiny-1");
        }
        String dir = r.string("run.dir").isBlank() ? "runs/" + name : stripSlash(r.string("run.dir"));
        SpindleConfig.Run run = new SpindleConfig.Run(name, dir, r.string("run.initFrom"));
        ModelConfig model = model(c, r);
        SpindleConfig.Data data = data(r, dir);
        TrainingConfig train = train(r);
        OptimizerConfig optim = optim(r);
        SpindleConfig.Parallel parallel = parallel(r);
        Map<String, String> sparkConf = new LinkedHashMap<>();
        for (Map.Entry<String, ConfigValue> e : c.getConfig("spark.conf").entrySet()) {
            sparkConf.put(stripQuotes(e.getKey()), String.valueOf(e.getValue().unwrapped()));
        }
        SpindleConfig.Spark spark = new SpindleConfig.Spark(r.string("spark.master"), sparkConf);
        SpindleConfig.Generate generate = new SpindleConfig.Generate(r.positiveInt("generate.tokens"),
                r.positiveDouble("generate.temperature"), r.positiveInt("generate.topK"), r.string("generate.prompt"),
                r.longValue("generate.seed"));
        crossCheck(model, train, optim, parallel);
        // The resolved text carries the resolved directories, so a rank rebuilding the config from it
        // (or a checkpoint reader) sees the same paths the driver did.
        Config withDirs = c.withValue("run.dir", ConfigValueFactory.fromAnyRef(dir))
                .withValue("data.prepared", ConfigValueFactory.fromAnyRef(data.prepared()));
        String resolved = withDirs.root().render(ConfigRenderOptions.defaults()
                .setOriginComments(false).setComments(false).setJson(false).setFormatted(true));
        return new SpindleConfig(run, model, data, train, optim, parallel, spark, generate, resolved);
    }

    private static ModelConfig model(Config c, TypedReader r) {
        ModelConfig flavor;
        String flavorName = r.string("model.flavor");
        try {
            flavor = ModelFlavors.get(flavorName);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("model.flavor=\"" + flavorName + "\": " + e.getMessage());
        }
        int layers = c.hasPath("model.layers") ? r.positiveInt("model.layers") : flavor.layers();
        // one name for every layer, or one per layer
        List<String> mixers = r.names("model.mixers");
        if (mixers.size() == 1) mixers = java.util.Collections.nCopies(layers, mixers.get(0));
        String ffn = r.oneOf("model.ffn", ModelConfig.FFNS.toArray(new String[0]));
        try {
            return new ModelConfig(flavorName,
                    c.hasPath("model.vocabSize") ? r.positiveInt("model.vocabSize") : flavor.vocabSize(),
                    c.hasPath("model.dModel") ? r.positiveInt("model.dModel") : flavor.dModel(),
                    layers,
                    c.hasPath("model.heads") ? r.positiveInt("model.heads") : flavor.heads(),
                    c.hasPath("model.ffnHidden") ? r.positiveInt("model.ffnHidden") : flavor.ffnHidden(),
                    c.hasPath("model.maxSeq") ? r.positiveInt("model.maxSeq") : flavor.maxSeq(),
                    c.hasPath("model.ropeBase") ? r.positiveDouble("model.ropeBase") : flavor.ropeBase(),
                    c.hasPath("model.normEps") ? r.positiveDouble("model.normEps") : flavor.normEps(),
                    c.hasPath("model.initStd") ? r.positiveDouble("model.initStd") : flavor.initStd(),
                    mixers, ffn, ModelVariantReader.read(r));
        } catch (ConfigException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            throw new ConfigException(e.getMessage(), e);
        }
    }

    private static SpindleConfig.Data data(TypedReader r, String runDir) {
        List<String> source = r.stringList("data.source");
        String format = r.oneOf("data.format", "auto", "text", "jsonl", "parquet");
        double fraction = r.doubleValue("data.validationFraction");
        if (!(fraction > 0 && fraction < 0.5)) {
            throw new ConfigException("data.validationFraction=" + fraction + " must be in (0, 0.5), e.g. 0.05");
        }
        String prepared = r.string("data.prepared").isBlank() ? runDir + "/data" : stripSlash(r.string("data.prepared"));
        long shardTokens = r.longValue("data.shardTokens");
        if (shardTokens < 1024) {
            throw new ConfigException("data.shardTokens=" + shardTokens + " is too small; use at least 1024");
        }
        return new SpindleConfig.Data(source, format, r.string("data.textField"), prepared, fraction,
                r.longValue("data.seed"), shardTokens);
    }

    private static TrainingConfig train(TypedReader r) {
        String policy = r.oneOf("train.onNonFinite", "stop", "skip");
        try {
            return new TrainingConfig(r.intValue("train.steps"), r.intValue("train.batch"), r.intValue("train.seq"),
                    r.doubleValue("train.lr"), r.doubleValue("train.minLr"), r.intValue("train.warmupSteps"),
                    r.doubleValue("train.weightDecay"), r.doubleValue("train.beta1"), r.doubleValue("train.beta2"),
                    r.doubleValue("train.eps"), r.doubleValue("train.gradClip"), r.intValue("train.evalEvery"),
                    r.intValue("train.evalBatches"), r.intValue("train.checkpointEvery"),
                    r.intValue("train.keepCheckpoints"), r.intValue("train.logEvery"), r.longValue("train.seed"),
                    NonFinitePolicy.valueOf(policy.toUpperCase(Locale.ROOT)));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(e.getMessage(), e);
        }
    }

    private static OptimizerConfig optim(TypedReader r) {
        String name = r.oneOf("optim.name", OptimizerConfig.NAMES.toArray(new String[0]));
        String form = r.oneOf("optim.form", "paper", "package");
        try {
            StateFormat state = StateFormat.parse(r.oneOf("optim.state", "dense", "coat"),
                    r.positiveInt("optim.coatGroupSize"));
            OffloadConfig offload = new OffloadConfig(r.bool("optim.offload.enabled"),
                    OffloadConfig.parseBytes("optim.offload.memoryBudget", r.string("optim.offload.memoryBudget")),
                    r.string("optim.offload.dir"), r.bool("optim.offload.directIo"));
            return new OptimizerConfig(name, form, r.doubleValue("optim.momentum"), r.intValue("optim.nsSteps"),
                    r.doubleValue("optim.normuonBeta2"), r.doubleValue("optim.auonGamma"),
                    r.doubleValue("optim.matrixLrScale"), r.doubleValue("optim.matrixWeightDecay"),
                    r.intValue("optim.matrixWarmupSteps"), r.doubleValue("optim.matrixFinalLrFraction"), state, offload);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(e.getMessage(), e);
        }
    }

    private static SpindleConfig.Parallel parallel(TypedReader r) {
        int bucketMb = r.positiveInt("parallel.bucketMb");
        if (bucketMb > 1024) {
            throw new ConfigException("parallel.bucketMb=" + bucketMb + " exceeds 1024 (1 GiB per all-reduce); the default is 4");
        }
        WirePrecision wire = WirePrecision.valueOf(
                r.oneOf("parallel.gradPrecision", "float32", "bfloat16").toUpperCase(Locale.ROOT));
        int timeout = r.positiveInt("parallel.timeoutSeconds");
        if (timeout > 86_400) {
            throw new ConfigException("parallel.timeoutSeconds=" + timeout + " exceeds a day; a dead peer would go"
                    + " unnoticed that long. Use at most 86400 (the default is 120)");
        }
        int attempts = r.positiveInt("parallel.attempts");
        if (attempts > 100) {
            throw new ConfigException("parallel.attempts=" + attempts + " is more than 100 launches of the training"
                    + " stage; a run failing that often needs a fix, not more attempts. Use 1 to 100 (the default is 3)");
        }
        int backoff = r.intValue("parallel.retryBackoffSeconds");
        if (backoff < 0 || backoff > 3600) {
            throw new ConfigException("parallel.retryBackoffSeconds=" + backoff + " must be 0 to 3600 seconds"
                    + " (the default is 10)");
        }
        return new SpindleConfig.Parallel(r.positiveInt("parallel.dp"), r.positiveInt("parallel.tp"), bucketMb, wire,
                timeout, attempts, backoff);
    }

    private static void crossCheck(ModelConfig model, TrainingConfig train, OptimizerConfig optim,
                                   SpindleConfig.Parallel parallel) {
        if (train.seq() > model.maxSeq()) {
            throw new ConfigException("train.seq=" + train.seq() + " exceeds model.maxSeq=" + model.maxSeq()
                    + "; lower train.seq or raise model.maxSeq");
        }
        if (model.vocabSize() < ByteTokenizer.VOCAB_SIZE) {
            throw new ConfigException("model.vocabSize=" + model.vocabSize() + " is smaller than the byte tokenizer's "
                    + ByteTokenizer.VOCAB_SIZE + " ids; set model.vocabSize >= " + ByteTokenizer.VOCAB_SIZE);
        }
        try {
            optim.checkAgainst(train);
            TensorParallelSupport.check(model, optim, parallel.tp());
        } catch (IllegalArgumentException e) {
            throw new ConfigException(e.getMessage(), e);
        }
        if (train.batch() % parallel.dp() != 0) {
            throw new ConfigException("train.batch=" + train.batch() + " is not divisible by parallel.dp=" + parallel.dp()
                    + ": each data-parallel rank takes train.batch / parallel.dp sequences; set train.batch to a multiple"
                    + " of " + parallel.dp() + " (e.g. " + ((train.batch() / parallel.dp() + 1) * parallel.dp()) + ") or change parallel.dp");
        }
    }

    private static Set<String> knownKeys(Config defaults) {
        Set<String> known = new TreeSet<>();
        for (Map.Entry<String, ConfigValue> e : defaults.entrySet()) known.add(e.getKey());
        known.addAll(MODEL_OVERRIDES);
        return known;
    }

    private static void rejectUnknownKeys(Config given, Set<String> known, String origin) {
        for (Map.Entry<String, ConfigValue> e : given.entrySet()) {
            String key = e.getKey();
            if (known.contains(key) || key.startsWith(FREE_FORM_PREFIX)) continue;
            if (key.startsWith(RENAMED_MESH_PREFIX)) {
                // configs and checkpoints written before the section was renamed after the parallel.dp
                throw new ConfigException("config key " + key + " in " + origin + " belongs to the section now called"
                        + " parallel: write parallel." + key.substring(RENAMED_MESH_PREFIX.length()) + " instead");
            }
            String hint = DidYouMean.closest(key, known).map(k -> "; did you mean " + k + "?")
                    .orElse("; see spark-jobs/src/main/resources/" + DEFAULTS + " for every key");
            throw new ConfigException("unknown config key " + key + " in " + origin + hint);
        }
    }

    private static String stripSlash(String s) {
        return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }

    private static String stripQuotes(String key) {
        return key.replace("\"", "");
    }
}
