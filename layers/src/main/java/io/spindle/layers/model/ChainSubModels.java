package io.spindle.layers.model;

import io.spindle.layers.chain.ChainOptions;
import io.spindle.layers.chain.Chains;
import io.spindle.layers.core.Parameter;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Chain-of-Model's two operations on a trained CoLM's parameters:
 * <ul>
 *   <li>{@link #firstChains}: elastic inference, the sub-model of the first k chains. Every chain
 *       layer stores one block per output chain, so it keeps the blocks of chains 0..k-1 as they
 *       are, and the first D_k columns of the embedding and head.</li>
 *   <li>{@link #grow}: progressive scaling, n → n+1 chains. The new model keeps every trained
 *       parameter; the new chain's blocks, norm gains and embedding columns start as a fresh model
 *       of the new config would, and its head columns start at zero, so the grown model computes
 *       exactly the same logits as the trained one until training moves it.</li>
 * </ul>
 */
public final class ChainSubModels {
    private static final Pattern CHAIN_PARAM = Pattern.compile(".*\\.chain(\\d+)$");
    private static final String EMBED = "embed.weight";
    private static final String HEAD = "head.weight";

    private ChainSubModels() {}

    /** The sub-model of the first {@code k} chains. */
    public static SubModel firstChains(ModelConfig config, Map<String, INDArray> params, int k) {
        Chains chains = chains(config);
        if (k < 1 || k > chains.count()) {
            throw new IllegalArgumentException("--chains " + k + " is outside [1, " + chains.count() + "] for model.colm.chains="
                    + config.variant().colm().chains());
        }
        ModelConfig sub = resized(config, chains.prefix(k), prefixWeights(config.variant().colm(), k));
        int width = sub.dModel();
        Map<String, INDArray> out = new LinkedHashMap<>();
        for (Map.Entry<String, INDArray> e : params.entrySet()) {
            String name = e.getKey();
            Matcher m = CHAIN_PARAM.matcher(name);
            if (m.matches()) {
                if (Integer.parseInt(m.group(1)) < k) out.put(name, e.getValue().dup());
            } else if (name.equals(EMBED) || name.equals(HEAD)) {
                out.put(name, e.getValue().get(NDArrayIndex.all(), NDArrayIndex.interval(0, width)).dup('c'));
            } else {
                throw new IllegalArgumentException("parameter " + name + " is neither a chain block nor the embedding or"
                        + " head; these parameters do not come from a CoLM model");
            }
        }
        return new SubModel(sub, out);
    }

    /** The model with one more chain of {@code size} (a multiple of the head size); new parameters from {@code seed}. */
    public static SubModel grow(ModelConfig config, Map<String, INDArray> params, int size, long seed) {
        Chains chains = chains(config);
        ChainOptions colm = config.variant().colm();
        List<Double> weights = new ArrayList<>(colm.prefixWeights());
        if (!weights.isEmpty()) weights.add(weights.get(weights.size() - 1));
        ModelConfig grown = resized(config, chains.grow(size), weights);
        TransformerLM fresh = new TransformerLM(grown, seed);
        Map<String, INDArray> out = new LinkedHashMap<>();
        for (Parameter p : fresh.parameters().parameters()) {
            INDArray value = p.value().dup();
            INDArray trained = params.get(p.name());
            if (p.name().equals(EMBED) || p.name().equals(HEAD)) {
                INDArray old = MatFormerExtraction.require(params, p.name());
                if (p.name().equals(HEAD)) value.assign(0f);
                value.get(NDArrayIndex.all(), NDArrayIndex.interval(0, old.size(1))).assign(old);
            } else if (trained != null) {
                if (!java.util.Arrays.equals(trained.shape(), p.shape())) {
                    throw new IllegalArgumentException("parameter " + p.name() + " has shape "
                            + java.util.Arrays.toString(trained.shape()) + ", the grown model expects "
                            + java.util.Arrays.toString(p.shape()));
                }
                value.assign(trained);
            }
            out.put(p.name(), value);
        }
        if (out.keySet().containsAll(params.keySet())) return new SubModel(grown, out);
        List<String> lost = new ArrayList<>(params.keySet());
        lost.removeAll(out.keySet());
        throw new IllegalArgumentException("parameters " + lost + " have no place in the grown model; they do not come from"
                + " this CoLM config");
    }

    private static Chains chains(ModelConfig config) {
        if (!config.variant().colm().enabled()) {
            throw new IllegalArgumentException("model." + config.flavor() + " is not a CoLM (model.colm.chains is empty)");
        }
        return config.variant().colm().residual();
    }

    /** The config of the same CoLM with residual chains {@code chains}: widths, heads and FFN scale with them. */
    private static ModelConfig resized(ModelConfig config, Chains chains, List<Double> prefixWeights) {
        Chains old = config.variant().colm().residual();
        int headDim = config.dModel() / config.heads();
        int width = chains.total();
        long hidden = (long) config.ffnHidden() * width;
        if (width % headDim != 0 || hidden % old.total() != 0) {
            throw new IllegalArgumentException("chains " + chains + " do not fit model.dModel/model.heads=" + headDim
                    + " and model.ffnHidden=" + config.ffnHidden() + " in proportion; choose chain sizes that are multiples of "
                    + headDim);
        }
        ChainOptions colm = new ChainOptions(List.of(java.util.Arrays.stream(chains.sizes()).boxed().toArray(Integer[]::new)),
                config.variant().colm().air(), config.variant().colm().prefixMode(), prefixWeights);
        return new ModelConfig(config.flavor(), config.vocabSize(), width, config.layers(), width / headDim,
                (int) (hidden / old.total()), config.maxSeq(), config.ropeBase(), config.normEps(), config.initStd(),
                config.mixers(), config.ffn(), config.variant().withColm(colm));
    }

    /** The first k prefix weights, or none (full-model objective) when those are all zero. */
    private static List<Double> prefixWeights(ChainOptions colm, int k) {
        if (colm.prefixWeights().isEmpty()) return List.of();
        List<Double> w = colm.prefixWeights().subList(0, k);
        return w.stream().anyMatch(x -> x > 0) ? w : List.of();
    }
}
