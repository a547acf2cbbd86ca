package io.spindle.bench;

import io.spindle.layers.core.ParameterSet;
import io.spindle.layers.model.ModelConfig;
import io.spindle.layers.model.TransformerBlock;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One of Spindle's {@link TransformerBlock}s with a ParameterSet of its own, so that a DL4J layer
 * can wrap it (candidate (b) of ADR 0001 runs exactly the block code that (c) runs).
 */
final class BlockModule implements HandWrittenModule {
    private final ParameterSet params = new ParameterSet();
    private final TransformerBlock block;

    BlockModule(ModelConfig config, long seed) {
        block = new TransformerBlock(params, "block", config);
        params.allocate(seed);
        if (params.totalSize() != parameterCount(config)) {
            throw new IllegalStateException("TransformerBlock holds " + params.totalSize()
                    + " parameters but BlockModule.parameterCount says " + parameterCount(config)
                    + "; update the formula to the block's layout");
        }
    }

    /** Parameters of one block: two norm gains, wq/wk/wv/wo, SwiGLU w1/w2/w3. */
    static long parameterCount(ModelConfig config) {
        long d = config.dModel();
        return 2 * d + 4 * d * d + 3 * d * config.ffnHidden();
    }

    @Override
    public ParameterSet parameters() { return params; }

    @Override
    public INDArray forward(INDArray x, int batch, int seq) { return block.forward(x, batch, seq); }

    @Override
    public INDArray backward(INDArray dy) { return block.backward(dy); }
}
