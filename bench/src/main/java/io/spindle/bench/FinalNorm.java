package io.spindle.bench;

import io.spindle.layers.core.ParameterSet;
import io.spindle.layers.model.ModelConfig;
import io.spindle.layers.norm.RMSNorm;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The RMSNorm before the LM head, as a module of its own for candidate (b). */
final class FinalNorm implements HandWrittenModule {
    private final ParameterSet params = new ParameterSet();
    private final RMSNorm norm;

    FinalNorm(ModelConfig config, long seed) {
        norm = new RMSNorm(params, "final_norm.weight", config.dModel(), config.normEps());
        params.allocate(seed);
    }

    @Override
    public ParameterSet parameters() { return params; }

    @Override
    public INDArray forward(INDArray x, int batch, int seq) { return norm.forward(x); }

    @Override
    public INDArray backward(INDArray dy) { return norm.backward(dy); }
}
