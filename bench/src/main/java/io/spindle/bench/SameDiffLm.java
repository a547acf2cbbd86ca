package io.spindle.bench;

import org.nd4j.autodiff.loss.LossReduce;
import org.nd4j.autodiff.samediff.SDIndex;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.TrainingConfig;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.regularization.WeightDecay;

/**
 * Candidate (a) of ADR 0001: the baseline LM as one SameDiff graph, trained by
 * {@link SameDiff#fit(DataSet, org.nd4j.autodiff.listeners.Listener...)} with SameDiff's Adam and
 * decoupled weight decay (= AdamW). The embedding is one-hot × matrix because SameDiff's gather
 * backward is wrong for repeated indices (measured-facts.md).
 */
final class SameDiffLm {
    private static final float INIT_STD = 0.02f;
    private static final double EPS = 1e-5;

    private final LmShape shape;
    private final SameDiff sd;

    SameDiffLm(LmShape shape, long seed, double lr) {
        this.shape = shape;
        Nd4j.getRandom().setSeed(seed);
        this.sd = SameDiff.create();
        build();
        sd.setTrainingConfig(TrainingConfig.builder()
                .updater(new Adam(lr, 0.9, 0.95, 1e-8))
                .weightDecay(0.1, true)
                .dataSetFeatureMapping("tokens")
                .dataSetLabelMapping("labels")
                .build());
    }

    private void build() {
        int n = shape.tokensPerStep();
        int d = shape.dModel();
        SDVariable tokens = sd.placeHolder("tokens", DataType.INT32, n);
        SDVariable labels = sd.placeHolder("labels", DataType.FLOAT, n, shape.vocab());
        SDVariable oneHot = sd.oneHot("tokensOneHot", tokens, shape.vocab(), -1, 1.0, 0.0, DataType.FLOAT);
        SDVariable x = sd.mmul(oneHot, weight("embedding", shape.vocab(), d));          // [n, d]
        SDVariable mask = sd.constant("causalMask", causalMask(shape.seq()));           // [T, T]
        SDVariable[] rope = ropeTables();
        for (int l = 0; l < shape.layers(); l++) {
            String p = "blocks." + l;
            x = x.add(attention(p, rmsNorm(p + ".norm1", x), mask, rope));
            x = x.add(swiGlu(p, rmsNorm(p + ".norm2", x)));
        }
        SDVariable logits = sd.mmul(rmsNorm("finalNorm", x), weight("head", d, shape.vocab()));
        sd.loss().softmaxCrossEntropy("loss", labels, logits, null, LossReduce.MEAN_BY_NONZERO_WEIGHT_COUNT, 0.0);
    }

    private SDVariable weight(String name, int rows, int cols) {
        return sd.var(name, Nd4j.randn(DataType.FLOAT, rows, cols).muli(INIT_STD));
    }

    // x: [n, d] → x / sqrt(mean(x^2) + eps) * g
    private SDVariable rmsNorm(String name, SDVariable x) {
        SDVariable g = sd.var(name, Nd4j.ones(DataType.FLOAT, shape.dModel()));
        SDVariable meanSq = sd.mean(sd.math().square(x), true, 1);
        return x.mul(sd.math().rsqrt(meanSq.add(EPS))).mul(g);
    }

    private SDVariable attention(String p, SDVariable h, SDVariable mask, SDVariable[] rope) {
        int b = shape.batch(), t = shape.seq(), hd = shape.headDim(), d = shape.dModel();
        SDVariable q = rotate(splitHeads(sd.mmul(h, weight(p + ".wq", d, d))), rope);   // [B, H, T, hd]
        SDVariable k = rotate(splitHeads(sd.mmul(h, weight(p + ".wk", d, d))), rope);
        SDVariable v = splitHeads(sd.mmul(h, weight(p + ".wv", d, d)));
        SDVariable scores = sd.mmul(q, k, false, true, false).mul(1.0 / Math.sqrt(hd)).add(mask);
        SDVariable probs = sd.nn().softmax(scores, 3);
        SDVariable o = sd.mmul(probs, v);                                               // [B, H, T, hd]
        SDVariable merged = sd.reshape(sd.permute(o, 0, 2, 1, 3), (long) b * t, d);
        return sd.mmul(merged, weight(p + ".wo", d, d));
    }

    private SDVariable splitHeads(SDVariable x) {
        return sd.permute(sd.reshape(x, shape.batch(), shape.seq(), shape.heads(), shape.headDim()), 0, 2, 1, 3);
    }

    // RoPE, half-split: [x1, x2] → [x1 cos − x2 sin, x2 cos + x1 sin]
    private SDVariable rotate(SDVariable x, SDVariable[] rope) {
        int half = shape.headDim() / 2;
        SDVariable x1 = x.get(SDIndex.all(), SDIndex.all(), SDIndex.all(), SDIndex.interval(0, half));
        SDVariable x2 = x.get(SDIndex.all(), SDIndex.all(), SDIndex.all(), SDIndex.interval(half, 2 * half));
        SDVariable rotated = sd.concat(3, x2.neg(), x1);
        return x.mul(rope[0]).add(rotated.mul(rope[1]));
    }

    private SDVariable swiGlu(String p, SDVariable h) {
        int d = shape.dModel(), f = shape.ffnHidden();
        SDVariable gate = sd.nn().swish(sd.mmul(h, weight(p + ".w1", d, f)));
        SDVariable up = sd.mmul(h, weight(p + ".w3", d, f));
        return sd.mmul(gate.mul(up), weight(p + ".w2", f, d));
    }

    /** cos and sin tables [T, headDim] with each frequency repeated in both halves. */
    private SDVariable[] ropeTables() {
        int t = shape.seq(), hd = shape.headDim(), half = hd / 2;
        float[] cos = new float[t * hd];
        float[] sin = new float[t * hd];
        for (int pos = 0; pos < t; pos++) {
            for (int i = 0; i < half; i++) {
                double angle = pos * Math.pow(10000.0, -2.0 * i / hd);
                cos[pos * hd + i] = cos[pos * hd + half + i] = (float) Math.cos(angle);
                sin[pos * hd + i] = sin[pos * hd + half + i] = (float) Math.sin(angle);
            }
        }
        return new SDVariable[] {
            sd.constant("ropeCos", Nd4j.create(cos, new long[] {t, hd}, 'c')),
            sd.constant("ropeSin", Nd4j.create(sin, new long[] {t, hd}, 'c'))
        };
    }

    private static INDArray causalMask(int t) {
        float[] m = new float[t * t];
        for (int i = 0; i < t; i++) {
            for (int j = i + 1; j < t; j++) m[i * t + j] = -1e9f;
        }
        return Nd4j.create(m, new long[] {t, t}, 'c');
    }

    /**
     * One training step (forward, backward, Adam update) on one batch. SameDiff 1.0.0-M2.1 reports
     * the data loss of a fit iteration as 0 to listeners (only the weight-decay term is filled in),
     * so the loss is read separately with {@link #loss}, outside the timed step.
     */
    void step(int[] inputs, int[] targets) {
        sd.fit(new DataSet(Nd4j.createFromArray(inputs), oneHot(targets)));
    }

    /** Mean cross-entropy of the current weights on one batch (forward only). */
    double loss(int[] inputs, int[] targets) {
        return sd.output(java.util.Map.of("tokens", Nd4j.createFromArray(inputs), "labels", oneHot(targets)), "loss")
                .get("loss").getDouble(0);
    }

    private INDArray oneHot(int[] targets) {
        float[] oneHot = new float[targets.length * shape.vocab()];
        for (int i = 0; i < targets.length; i++) oneHot[i * shape.vocab() + targets[i]] = 1f;
        return Nd4j.create(oneHot, new long[] {targets.length, shape.vocab()}, 'c');
    }

    /**
     * Names and shapes of the gradients {@link SameDiff#calculateGradients} returns for every
     * trainable variable: what a per-parameter optimizer outside SameDiff's updater would get.
     */
    java.util.Map<String, String> gradientShapes(int[] inputs, int[] targets) {
        java.util.List<String> names = sd.variables().stream()
                .filter(v -> v.getVariableType() == org.nd4j.autodiff.samediff.VariableType.VARIABLE)
                .map(SDVariable::name).sorted().toList();
        java.util.Map<String, INDArray> grads = sd.calculateGradients(
                java.util.Map.of("tokens", Nd4j.createFromArray(inputs), "labels", oneHot(targets)), names);
        java.util.Map<String, String> shapes = new java.util.TreeMap<>();
        grads.forEach((name, g) -> shapes.put(name, java.util.Arrays.toString(g.shape())));
        return shapes;
    }

    /** Ops in the forward graph (incl. the loss). */
    int forwardOps() { return sd.ops().length; }

    /** Ops in the gradient function (forward + backward), which exists after the first step. */
    int gradientOps() {
        SameDiff grad = sd.getFunction("grad");
        if (grad == null) throw new IllegalStateException("no gradient function yet: call step() first");
        return grad.ops().length;
    }

    /** Trainable variables: the Java-side Adam runs once per variable per step. */
    int trainableVariables() { return sd.variables().stream().filter(v -> v.getVariableType()
            == org.nd4j.autodiff.samediff.VariableType.VARIABLE).mapToInt(v -> 1).sum(); }

    long parameterCount() {
        return sd.variables().stream().filter(v -> v.getVariableType()
                == org.nd4j.autodiff.samediff.VariableType.VARIABLE).mapToLong(v -> v.getArr().length()).sum();
    }
}
