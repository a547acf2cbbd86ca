package io.spindle.bench;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.conf.distribution.NormalDistribution;
import org.deeplearning4j.nn.conf.layers.EmbeddingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Candidate (b) of ADR 0001: a DL4J ComputationGraph of DL4J's embedding, one custom layer per
 * transformer block and one for the final norm (hand-written forward/backward from Spindle's
 * layers, {@link ModuleLayer}), and DL4J's softmax/cross-entropy output layer as the untied head.
 * Trained by {@code ComputationGraph.fit} with DL4J's Adam and decoupled weight decay.
 */
final class GraphLm {
    private final LmShape shape;
    private final ComputationGraph net;

    GraphLm(LmShape shape, long seed, IUpdater updater) {
        this.shape = shape;
        ComputationGraphConfiguration.GraphBuilder g = new NeuralNetConfiguration.Builder()
                .seed(seed)
                .dataType(DataType.FLOAT)
                .updater(updater)
                .weightDecay(0.1)
                .weightInit(new NormalDistribution(0, 0.02))
                .trainingWorkspaceMode(WorkspaceMode.ENABLED)
                .inferenceWorkspaceMode(WorkspaceMode.ENABLED)
                .graphBuilder()
                .addInputs("tokens")
                .addLayer("embedding", new EmbeddingLayer.Builder().nIn(shape.vocab()).nOut(shape.dModel())
                        .hasBias(false).activation(Activation.IDENTITY).build(), "tokens");
        String previous = "embedding";
        for (int l = 0; l < shape.layers(); l++) {
            String name = "block" + l;
            g.addLayer(name, new ModuleLayerConf.Builder(ModuleLayerConf.Kind.BLOCK, shape, seed + 1 + l).build(), previous);
            previous = name;
        }
        g.addLayer("finalNorm", new ModuleLayerConf.Builder(ModuleLayerConf.Kind.FINAL_NORM, shape, seed).build(), previous)
                .addLayer("head", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                        .nIn(shape.dModel()).nOut(shape.vocab()).hasBias(false)
                        .activation(Activation.SOFTMAX).build(), "finalNorm")
                .setOutputs("head");
        net = new ComputationGraph(g.build());
        net.init();
    }

    GraphLm(LmShape shape, long seed, double lr) {
        this(shape, seed, new Adam(lr, 0.9, 0.95, 1e-8));
    }

    /**
     * One training step (forward, backward, Adam update); returns the data loss (DL4J's score
     * minus its weight-decay term, so the three engines report the same quantity).
     */
    double step(int[] inputs, int[] targets) {
        float[] ids = new float[inputs.length];
        for (int i = 0; i < inputs.length; i++) ids[i] = inputs[i];
        float[] oneHot = new float[targets.length * shape.vocab()];
        for (int i = 0; i < targets.length; i++) oneHot[i * shape.vocab() + targets[i]] = 1f;
        INDArray features = Nd4j.create(ids, new long[] {inputs.length, 1}, 'c');
        INDArray labels = Nd4j.create(oneHot, new long[] {targets.length, shape.vocab()}, 'c');
        net.fit(new INDArray[] {features}, new INDArray[] {labels});
        return net.score() - net.calcRegularizationScore(true);
    }

    long parameterCount() { return net.numParams(); }

    ComputationGraph network() { return net; }

    /** Number of gradient-updater blocks DL4J formed over the flat parameter vector. */
    int updaterBlocks() {
        return ((org.deeplearning4j.nn.updater.BaseMultiLayerUpdater<?>) net.getUpdater()).getUpdaterBlocks().size();
    }
}
