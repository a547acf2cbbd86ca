package io.spindle.parallel.tp;

import io.spindle.layers.mla.MlaOptions;
import io.spindle.layers.model.ModelConfig;
import io.spindle.optim.state.StateFormat;
import io.spindle.parallel.train.OptimizerConfig;

/**
 * What {@link TensorParallelPlan#megatron()} can split, checked against a run's config before any
 * work starts; every message names the key, the value and the fix. The plan covers the baseline
 * decoder (attention + SwiGLU) and multi-head latent attention, split by heads in its MLA sequence
 * form and by latent shards in TPLA's ({@link TensorParallelPlan#forModel}), MASA's shared atoms, S4D
 * mixers, and a SwiGLU (MatFormer's nested one too) or GR-KAN FFN. Variants whose parameters it does not know (CoLM's chains, Mamba mixers) would be replicated and
 * computed whole on every rank while the rest is split, so they are refused rather than run
 * silently wrong. AdamW runs on slices as it is, LAMB with its per-tensor norms completed over the
 * group ({@link TensorParallel#sumsOf}), Muon, AuON and Hybrid-AuON with each sliced matrix gathered
 * whole for its direction ({@link TensorParallel#slicesOf}); NorMuon's per-row state of the whole
 * matrix and COAT's state grouped across a tensor are refused. Its state
 * may be offloaded (Fuyou): each rank offloads its own slices, and checkpoints gather and cut them a
 * tensor at a time.
 */
public final class TensorParallelSupport {
    private TensorParallelSupport() {}

    /** Throws {@link IllegalArgumentException} naming the first setting TP={@code tp} cannot run. */
    public static void check(ModelConfig model, OptimizerConfig optim, int tp) {
        if (tp == 1) return;
        refuseVariants(model, tp);
        MlaOptions mla = model.variant().mla();
        if (mla.enabled() && mla.sequenceForm() == MlaOptions.Form.TPLA) {
            divisible("model.mla.tplaShards", mla.tplaShards(), tp, "TPLA's latent shards are split whole over the TP ranks");
        } else {
            divisible("model.heads", model.heads(), tp, "attention heads are split whole over the TP ranks");
        }
        for (int l = 0; l < model.layers(); l++) {
            String key = model.variant().ffnHiddenPerLayer().isEmpty() ? "model.ffnHidden" : "model.ffnHiddenPerLayer[" + l + "]";
            divisible(key, model.ffnHidden(l), tp, "the FFN's hidden units are split over the TP ranks");
        }
        if (model.mixers().contains("s4d")) {
            divisible("model.dModel", model.dModel(), tp, "S4D's channels (one SSM per model channel) are split over the TP ranks");
        }
        if (model.ffn().equals("gr-kan") && ModelConfig.GR_KAN_GROUPS % tp != 0) {
            throw new IllegalArgumentException("model.ffn=gr-kan with parallel.tp=" + tp + ": GR-KAN's "
                    + ModelConfig.GR_KAN_GROUPS + " rational groups of hidden channels are split whole over the TP ranks;"
                    + " choose a parallel.tp that divides " + ModelConfig.GR_KAN_GROUPS);
        }
        if (model.vocabSize() % tp != 0) {
            int padded = (model.vocabSize() / tp + 1) * tp;
            throw new IllegalArgumentException("model.vocabSize=" + model.vocabSize() + " is not divisible by parallel.tp="
                    + tp + ": the embedding and the LM head are split by vocabulary rows; set model.vocabSize=" + padded
                    + " (the ids above the tokenizer's are never used) or choose a parallel.tp dividing " + model.vocabSize());
        }
        if (optim.name().equals("normuon")) {
            throw new IllegalArgumentException("optim.name=normuon with parallel.tp=" + tp + ": NorMuon keeps per-row"
                    + " statistics of the whole orthogonalized matrix, which a rank holding a slice of it cannot keep;"
                    + " set optim.name to adamw, lamb, muon, auon or hybrid-auon, or parallel.tp=1");
        }
        if (optim.stateFormat().kind() != StateFormat.Kind.DENSE) {
            throw new IllegalArgumentException("optim.state=coat with parallel.tp=" + tp + ": COAT groups state across"
                    + " whole tensors, which tensor-parallel checkpoints do not reassemble; set optim.state=dense or"
                    + " parallel.tp=1");
        }
    }

    private static void refuseVariants(ModelConfig model, int tp) {
        String variant = model.variant().colm().enabled() ? "model.colm (chained layers)"
                : model.mixers().contains("mamba") ? "model.mixers=" + model.mixers() + " (Mamba blocks)"
                : null;
        if (variant != null) {
            throw new IllegalArgumentException(variant + " cannot run with parallel.tp=" + tp + ": the tensor-parallel"
                    + " plan splits MHA, MLA, MASA and S4D mixers and SwiGLU, MatFormer and GR-KAN FFNs, not this one's"
                    + " parameters; set parallel.tp=1 (use parallel.dp to spread this model over more ranks) or turn the"
                    + " variant off");
        }
    }

    private static void divisible(String key, int value, int tp, String why) {
        if (value % tp != 0) {
            throw new IllegalArgumentException(key + "=" + value + " is not divisible by parallel.tp=" + tp + ": " + why
                    + "; choose a parallel.tp that divides " + value + " or a multiple of " + tp);
        }
    }
}
