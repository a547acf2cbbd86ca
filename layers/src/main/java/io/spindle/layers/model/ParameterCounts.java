package io.spindle.layers.model;

import io.spindle.layers.core.ParameterSet;
import io.spindle.layers.masa.AttentionDictionaries;

/**
 * Trainable scalars of the model a {@link ModelConfig} builds, counted by registering its blocks
 * exactly as TransformerLM does (registering allocates nothing), so every mixer, FFN and variant
 * is counted by the layer that owns the parameters.
 */
final class ParameterCounts {
    private ParameterCounts() {}

    static long total(ModelConfig c) {
        ParameterSet counter = new ParameterSet();
        AttentionDictionaries masa = BlockFactory.dictionaries(counter, c);
        for (int l = 0; l < c.layers(); l++) BlockFactory.build(counter, c, l, masa);
        long d = c.dModel();
        return 2L * c.vocabSize() * d + d + counter.totalSize(); // + embedding, head, final norm
    }
}
