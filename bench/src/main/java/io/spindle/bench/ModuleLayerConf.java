package io.spindle.bench;

import io.spindle.layers.model.ModelConfig;
import org.deeplearning4j.nn.api.ParamInitializer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.conf.memory.LayerMemoryReport;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * DL4J layer configuration for candidate (b): a {@link HandWrittenModule} (a transformer block or
 * the final norm, built from Spindle's layers) inside a ComputationGraph. DL4J owns the
 * parameters as one flat param "P" per layer and updates it with its own updater; the layer
 * ({@link ModuleLayer}) runs the module's hand-written forward and backward.
 */
final class ModuleLayerConf extends FeedForwardLayer {
    enum Kind { BLOCK, FINAL_NORM }

    private Kind kind;
    private int vocab;
    private int dModel;
    private int heads;
    private int ffnHidden;
    private int layers;
    private int seq;
    private long seed;

    private ModuleLayerConf(Builder b) {
        super(b);
        this.kind = b.kind;
        this.vocab = b.shape.vocab();
        this.dModel = b.shape.dModel();
        this.heads = b.shape.heads();
        this.ffnHidden = b.shape.ffnHidden();
        this.layers = b.shape.layers();
        this.seq = b.shape.seq();
        this.seed = b.seed;
        setNIn(dModel);
        setNOut(dModel);
    }

    int seq() { return seq; }

    /** The block's config: width, heads and FFN of the LM, RoPE tables for {@code seq} positions. */
    ModelConfig modelConfig() {
        return new LmShape(vocab, dModel, heads, layers, ffnHidden, seq, 1).toModelConfig("bench");
    }

    long parameterCount() {
        return kind == Kind.BLOCK ? BlockModule.parameterCount(modelConfig()) : dModel;
    }

    HandWrittenModule newModule() {
        return kind == Kind.BLOCK ? new BlockModule(modelConfig(), seed) : new FinalNorm(modelConfig(), seed);
    }

    @Override
    public org.deeplearning4j.nn.api.Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> listeners,
                                                       int layerIndex, INDArray paramsView, boolean initializeParams,
                                                       DataType networkDataType) {
        ModuleLayer layer = new ModuleLayer(conf, networkDataType, newModule());
        layer.setListeners(listeners);
        layer.setIndex(layerIndex);
        layer.setParamsViewArray(paramsView);
        if (initializeParams) paramsView.assign(layer.module().parameters().values());
        layer.setConf(conf);
        return layer;
    }

    @Override
    public ParamInitializer initializer() { return FlatParamInitializer.INSTANCE; }

    @Override
    public LayerMemoryReport getMemoryReport(InputType inputType) {
        return new LayerMemoryReport.Builder(layerName, ModuleLayer.class, inputType, inputType)
                .standardMemory(parameterCount(), 0).workingMemory(0, 0, 0, 0).cacheMemory(0, 0).build();
    }

    static final class Builder extends FeedForwardLayer.Builder<Builder> {
        private Kind kind;
        private LmShape shape;
        private long seed;

        Builder(Kind kind, LmShape shape, long seed) {
            this.kind = kind;
            this.shape = shape;
            this.seed = seed;
        }

        // DL4J declares build() as <E extends Layer> E build(); the cast is what its own builders do.
        @Override
        @SuppressWarnings("unchecked")
        public <E extends org.deeplearning4j.nn.conf.layers.Layer> E build() { return (E) new ModuleLayerConf(this); }
    }

    /** One flat parameter "P" per layer, the module's own flat layout. */
    enum FlatParamInitializer implements ParamInitializer {
        INSTANCE;
        static final String KEY = "P";

        @Override
        public long numParams(NeuralNetConfiguration conf) { return numParams(conf.getLayer()); }

        @Override
        public long numParams(org.deeplearning4j.nn.conf.layers.Layer layer) {
            return ((ModuleLayerConf) layer).parameterCount();
        }

        @Override
        public List<String> paramKeys(org.deeplearning4j.nn.conf.layers.Layer layer) { return List.of(KEY); }

        @Override
        public List<String> weightKeys(org.deeplearning4j.nn.conf.layers.Layer layer) { return List.of(KEY); }

        @Override
        public List<String> biasKeys(org.deeplearning4j.nn.conf.layers.Layer layer) { return List.of(); }

        @Override
        public boolean isWeightParam(org.deeplearning4j.nn.conf.layers.Layer layer, String key) { return KEY.equals(key); }

        @Override
        public boolean isBiasParam(org.deeplearning4j.nn.conf.layers.Layer layer, String key) { return false; }

        @Override
        public Map<String, INDArray> init(NeuralNetConfiguration conf, INDArray paramsView, boolean initializeParams) {
            return Map.of(KEY, paramsView);
        }

        @Override
        public Map<String, INDArray> getGradientsFromFlattened(NeuralNetConfiguration conf, INDArray gradientView) {
            return Map.of(KEY, gradientView);
        }
    }
}
