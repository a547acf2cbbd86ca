package io.spindle.layers.masa;

import io.spindle.layers.attention.CausalAttentionCore;
import io.spindle.layers.attention.ProjectedAttention;
import io.spindle.layers.core.SequenceMixer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Layer l's causal multi-head attention with MASA projections: each of W_q, W_k, W_v, W_o is
 * layer l's combination of its type's shared atoms ({@link DictionaryLinear}); RoPE and the causal
 * softmax are the baseline's. The layer owns no parameters of its own; its gradients accumulate
 * into the shared atoms and into row l of each dictionary's coefficients.
 */
public final class MasaAttention implements SequenceMixer {
    private final ProjectedAttention attention;

    public MasaAttention(AttentionDictionaries dictionaries, int layer, int heads, int maxSeq, double ropeBase) {
        this.attention = new ProjectedAttention(
                new DictionaryLinear(dictionaries.q(), layer),
                new DictionaryLinear(dictionaries.k(), layer),
                new DictionaryLinear(dictionaries.v(), layer),
                new DictionaryLinear(dictionaries.o(), layer),
                // with q, k, v split by rows (tensor parallelism) this instance holds whole heads only
                new CausalAttentionCore(dictionaries.q().out(), heads * dictionaries.q().out() / dictionaries.q().in(),
                        maxSeq, ropeBase));
    }

    @Override
    public INDArray forward(INDArray x, int batch, int seq) { return attention.forward(x, batch, seq); }

    @Override
    public INDArray backward(INDArray dy) { return attention.backward(dy); }
}
