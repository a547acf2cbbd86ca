package io.spindle.parallel.tp;

import io.spindle.layers.core.TensorSlice;
import io.spindle.layers.mla.MlaOptions;
import io.spindle.layers.model.ModelConfig;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A tensor-parallel plan: parameter-name patterns mapped to {@link ShardingStyle}s, applied to an
 * ordinary single-device model (torchtitan's {@code parallelize_module} plan). The model's code
 * knows nothing of it; the plan only decides which slice of each named parameter a rank holds,
 * and the layers compute with whatever shapes they are given.
 *
 * <p>The first matching rule wins; a name no rule matches is replicated.
 */
public final class TensorParallelPlan {
    /** One rule: a full-name regular expression and the style of the parameters it matches. */
    public record Rule(Pattern pattern, ShardingStyle style) {
        public Rule {
            if (pattern == null || style == null) throw new IllegalArgumentException("a plan rule needs a pattern and a style");
        }
    }

    private final List<Rule> rules;

    public TensorParallelPlan(List<Rule> rules) {
        this.rules = List.copyOf(rules);
    }

    /**
     * Megatron-LM's split of the baseline decoder (Shoeybi et al. 2019, §3): attention's q/k/v by
     * output rows (whole heads per rank) and its output projection by input columns; SwiGLU's w1
     * and w3 by hidden rows and w2 by hidden columns; embedding and LM head by vocabulary rows.
     * Norm gains are replicated. One all-reduce per block and direction each for attention and FFN.
     * KAT's GR-KAN FFN splits the same way by hidden channels: {@code fc1}, its bias and the hidden
     * rational's coefficient groups (whole groups of contiguous channels) by output rows, {@code fc2}
     * by input columns; the input rational and {@code fc2}'s bias are replicated. An S4D mixer splits
     * its channels: every SSM parameter by channel rows, its output projection by input columns.
     * MASA's shared atoms split as the projections they combine into (q, k, v atoms by rows, o atoms
     * by columns); the mixing coefficients are replicated.
     * Multi-head latent attention splits the same way by heads: its per-head maps {@code wq},
     * {@code wq_rope}, {@code wuk}, {@code wuv} by output rows and {@code wo} by input columns, while
     * the latent's down-projection {@code wdkv}, its norm and the shared RoPE key {@code wk_rope} are
     * replicated (every rank forms the whole latent; the layer completes their gradients).
     */
    public static TensorParallelPlan megatron() {
        List<Rule> rules = new ArrayList<>();
        rules.add(rule("blocks\\.\\d+\\.attn\\.w[qkv]", ShardingStyle.COLUMN));
        rules.add(rule("blocks\\.\\d+\\.attn\\.(wq_rope|wuk|wuv)", ShardingStyle.COLUMN));
        rules.add(rule("blocks\\.\\d+\\.attn\\.wo", ShardingStyle.ROW));
        rules.add(rule("blocks\\.\\d+\\.ffn\\.w[13]", ShardingStyle.COLUMN));
        rules.add(rule("blocks\\.\\d+\\.ffn\\.w2", ShardingStyle.ROW));
        rules.add(rule("blocks\\.\\d+\\.ffn\\.(fc1|fc1_bias|rational2\\.num|rational2\\.den)", ShardingStyle.COLUMN));
        rules.add(rule("blocks\\.\\d+\\.ffn\\.fc2", ShardingStyle.ROW));
        rules.add(rule("blocks\\.\\d+\\.s4d\\.ssm\\..*", ShardingStyle.COLUMN));
        rules.add(rule("blocks\\.\\d+\\.s4d\\.out", ShardingStyle.ROW));
        rules.add(rule("masa\\.[qkv]\\.atom\\d+", ShardingStyle.COLUMN));
        rules.add(rule("masa\\.o\\.atom\\d+", ShardingStyle.ROW));
        rules.add(rule("embed\\.weight", ShardingStyle.VOCAB));
        rules.add(rule("head\\.weight", ShardingStyle.VOCAB));
        return new TensorParallelPlan(rules);
    }

    /**
     * The plan for {@code model}: {@link #megatron()}, or {@link #tpla()} for multi-head latent
     * attention trained in TPLA's sequence form ({@code model.mla.sequenceForm = tpla}).
     */
    public static TensorParallelPlan forModel(ModelConfig model) {
        MlaOptions mla = model.variant().mla();
        return mla.enabled() && mla.sequenceForm() == MlaOptions.Form.TPLA ? tpla() : megatron();
    }

    /**
     * TPLA's split of a model trained in its sequence form (Tang et al. 2025): each rank holds whole
     * TPLA shards of every block's KV latent, that is {@code wdkv}'s rows, the latent norm's gain and
     * {@code wuk}/{@code wuv}'s columns of those shards, and attends with every head over them; the
     * shards' partial outputs are summed by an all-reduce before {@code wo}, which is replicated with
     * {@code wq} and the RoPE maps. The rest of the model splits as in {@link #megatron()}.
     */
    public static TensorParallelPlan tpla() {
        List<Rule> rules = new ArrayList<>();
        rules.add(rule("blocks\\.\\d+\\.attn\\.wdkv", ShardingStyle.COLUMN));
        rules.add(rule("blocks\\.\\d+\\.attn\\.kv_norm\\.weight", ShardingStyle.COLUMN));
        rules.add(rule("blocks\\.\\d+\\.attn\\.(wuk|wuv)", ShardingStyle.ROW));
        rules.add(rule("blocks\\.\\d+\\.attn\\..*", ShardingStyle.REPLICATE));
        rules.addAll(megatron().rules());
        return new TensorParallelPlan(rules);
    }

    private static Rule rule(String regex, ShardingStyle style) {
        return new Rule(Pattern.compile(regex), style);
    }

    public List<Rule> rules() {
        return rules;
    }

    /** The style of parameter {@code name}: the first matching rule's, else replicated. */
    public ShardingStyle styleOf(String name) {
        for (Rule r : rules) {
            if (r.pattern().matcher(name).matches()) return r.style();
        }
        return ShardingStyle.REPLICATE;
    }

    /**
     * The slice of {@code name} (logical shape {@code logicalShape}) that TP rank {@code tpIndex}
     * of {@code tp} holds; fails naming the parameter when its split axis does not divide by tp.
     */
    public TensorSlice sliceOf(String name, long[] logicalShape, int tpIndex, int tp) {
        ShardingStyle style = styleOf(name);
        if (tp == 1 || style == ShardingStyle.REPLICATE) return TensorSlice.WHOLE;
        TensorSlice slice = new TensorSlice(style.axis(), tpIndex, tp);
        try {
            slice.localShape(name, logicalShape);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("tensor parallelism (" + style + " split over parallel.tp=" + tp + "): "
                    + e.getMessage(), e);
        }
        return slice;
    }
}
