package io.spindle.parallel.tp;

import io.spindle.layers.core.Parameter;
import io.spindle.layers.core.TensorSlice;
import io.spindle.layers.model.ModelConfig;
import io.spindle.layers.model.TransformerLM;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TensorParallelPlanTest {
    private final TensorParallelPlan plan = TensorParallelPlan.megatron();

    @Test
    void megatronPlanSplitsTheBaselineDecoderAndReplicatesTheRest() {
        assertEquals(ShardingStyle.COLUMN, plan.styleOf("blocks.3.attn.wq"));
        assertEquals(ShardingStyle.COLUMN, plan.styleOf("blocks.0.attn.wv"));
        assertEquals(ShardingStyle.ROW, plan.styleOf("blocks.12.attn.wo"));
        assertEquals(ShardingStyle.COLUMN, plan.styleOf("blocks.1.ffn.w3"));
        assertEquals(ShardingStyle.ROW, plan.styleOf("blocks.1.ffn.w2"));
        assertEquals(ShardingStyle.VOCAB, plan.styleOf("embed.weight"));
        assertEquals(ShardingStyle.VOCAB, plan.styleOf("head.weight"));
        assertEquals(ShardingStyle.REPLICATE, plan.styleOf("blocks.0.attn_norm.weight"));
        assertEquals(ShardingStyle.REPLICATE, plan.styleOf("final_norm.weight"));
        assertEquals(new TensorSlice(1, 1, 2), plan.sliceOf("blocks.0.attn.wo", new long[] {8, 8}, 1, 2));
        assertEquals(TensorSlice.WHOLE, plan.sliceOf("blocks.0.attn.wo", new long[] {8, 8}, 0, 1));
    }

    @Test
    void everyParameterOfTheBaselineIsCoveredByExactlyTheIntendedStyle() {
        ModelConfig config = new ModelConfig("t", 260, 32, 2, 4, 64, 32, 10000.0, 1e-6, 0.02);
        long sliced = 0;
        for (Parameter p : new TransformerLM(config, 1).parameters().parameters()) {
            boolean isMatrixOrTable = p.logicalShape().length == 2;
            assertEquals(isMatrixOrTable, plan.styleOf(p.name()) != ShardingStyle.REPLICATE, p.name());
            if (isMatrixOrTable) sliced += p.size();
        }
        assertTrue(sliced > 0);
    }

    @Test
    void aSplitThatDoesNotDivideNamesTheParameterAndTheTpSize() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> plan.sliceOf("embed.weight", new long[] {258, 32}, 0, 4));
        assertTrue(e.getMessage().contains("embed.weight") && e.getMessage().contains("parallel.tp=4"), e.getMessage());
    }
}
