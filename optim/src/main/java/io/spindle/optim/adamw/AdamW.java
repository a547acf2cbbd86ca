package io.spindle.optim.adamw;

import io.spindle.optim.ContiguousFloats;
import io.spindle.optim.ParamSlot;
import io.spindle.optim.StoredStateOptimizer;
import io.spindle.optim.state.BufferSlotChunks;
import io.spindle.optim.state.ChunkedUpdate;
import io.spindle.optim.state.SlotChunks;
import io.spindle.optim.state.StateFormat;
import io.spindle.optim.state.StateStore;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * AdamW (Loshchilov &amp; Hutter, "Decoupled Weight Decay Regularization", 2019) in the form of
 * PyTorch's {@code torch.optim.AdamW}: the decay shrinks the weight directly, {@code w (1 - lr wd)},
 * instead of being added to the gradient, so it is not rescaled by the adaptive denominator.
 *
 * <p>Weight decay applies only to parameters whose role is in {@code decayedRoles}. The default,
 * {@link #DEFAULT_DECAYED_ROLES}, decays the weight matrices, embeddings and output head and leaves
 * norm gains, biases, vectors, MASA atoms and coefficients alone: pulling a norm gain or a bias
 * towards zero changes what the layer computes rather than regularizing its weights.
 */
public final class AdamW extends StoredStateOptimizer {
    /** Roles that get weight decay unless the caller says otherwise. */
    public static final Set<String> DEFAULT_DECAYED_ROLES =
            Set.of(ParamSlot.MATRIX, ParamSlot.EMBEDDING, ParamSlot.HEAD);

    private static final String M = "m";
    private static final String V = "v";

    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private final Set<String> decayedRoles;

    /** AdamW decaying {@link #DEFAULT_DECAYED_ROLES}. */
    public AdamW(double beta1, double beta2, double eps, double weightDecay) {
        this(beta1, beta2, eps, weightDecay, DEFAULT_DECAYED_ROLES);
    }

    /** AdamW decaying the parameters whose role is in {@code decayedRoles} (see {@link ParamSlot#ROLES}). */
    public AdamW(double beta1, double beta2, double eps, double weightDecay, Set<String> decayedRoles) {
        this(beta1, beta2, eps, weightDecay, decayedRoles, StateFormat.DENSE);
    }

    /** AdamW whose moments are stored in {@code format} (dense float32 or COAT FP8). */
    public AdamW(double beta1, double beta2, double eps, double weightDecay, Set<String> decayedRoles,
                 StateFormat format) {
        super(checked(beta1, beta2, eps, weightDecay, format).create(M, V));
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.decayedRoles = ParamSlot.requireRoles(decayedRoles);
    }

    @Override
    public void step(List<ParamSlot> params, double lr) {
        requireLearningRate(lr);
        StateStore.Step moments = state.open(params);
        long t = state.step() + 1;
        for (int i = 0; i < params.size(); i++) {
            ParamSlot p = params.get(i);
            double wd = decayedRoles.contains(p.role()) ? weightDecay : 0.0;
            INDArray w = moments.weights(i, p);
            requireSameShape(w, p.grad(), "gradient");
            update(w, p.grad(), moments.chunks(i), coefficients(t, lr, beta1, beta2, eps, wd));
            moments.commit(i);
        }
        state.advance();
    }

    /**
     * One AdamW step of one parameter, in place, as a single pass over the four buffers:
     * <pre>
     * m = b1 m + (1 - b1) g
     * v = b2 v + (1 - b2) g^2
     * w = w (1 - lr wd) - lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
     * </pre>
     * {@code w}, {@code g}, {@code m} and {@code v} are float32 row-major arrays (views allowed) of
     * equal shape. The per-element arithmetic is float32, as in PyTorch's float32 AdamW.
     *
     * @param t the step number, from 1
     */
    public static void update(INDArray w, INDArray g, INDArray m, INDArray v,
                              long t, double lr, double beta1, double beta2, double eps, double weightDecay) {
        requireHyper(beta1, beta2, eps, weightDecay);
        requireLearningRate(lr);
        if (t < 1) {
            throw new IllegalArgumentException("AdamW step t counts from 1, got " + t);
        }
        requireSameShape(w, g, "gradient");
        requireSameShape(w, m, "first moment m");
        requireSameShape(w, v, "second moment v");
        update(w, g, new BufferSlotChunks(new INDArray[] {m, v}), coefficients(t, lr, beta1, beta2, eps, weightDecay));
    }

    private record Coefficients(float beta1, float oneMinusBeta1, float beta2, float oneMinusBeta2,
                                float keep, float stepSize, float invSqrtBc2, float eps) {}

    /**
     * Bias corrections folded into two per-step scalars, computed in double, as PyTorch does:
     * lr m_hat / (sqrt(v_hat) + eps) = stepSize m / (sqrt(v) invSqrtBc2 + eps).
     */
    private static Coefficients coefficients(long t, double lr, double beta1, double beta2, double eps,
                                             double weightDecay) {
        return new Coefficients((float) beta1, (float) (1 - beta1), (float) beta2, (float) (1 - beta2),
                (float) (1 - lr * weightDecay), (float) (lr / (1 - Math.pow(beta1, t))),
                (float) (1 / Math.sqrt(1 - Math.pow(beta2, t))), (float) eps);
    }

    /**
     * The update as one pass over chunks: w and g are copied into heap arrays (element-wise get/put
     * on a direct FloatBuffer keeps the JIT from vectorizing the loop, 2-3x slower), m and v come
     * from {@code mv} (slots 0 and 1): copies of dense state, or COAT's codes decoded into the
     * chunk and encoded back after it, so the same loop serves every state store.
     */
    private static void update(INDArray weights, INDArray grad, SlotChunks mv, Coefficients c) {
        FloatBuffer wb = ContiguousFloats.buffer(weights, "parameter");
        FloatBuffer gb = ContiguousFloats.buffer(grad, "gradient");
        int wo = ContiguousFloats.start(weights);
        int go = ContiguousFloats.start(grad);
        int n = ContiguousFloats.length(weights);
        int chunk = Math.max(1, Math.min(n, mv.chunkLength()));
        // element-wise, so the parts on different threads give the bits one thread would
        ChunkedUpdate.run(n, mv, (cursor, from, to) -> {
            float[] w = new float[chunk];
            float[] g = new float[chunk];
            for (int base = from; base < to; base += chunk) {
                int len = Math.min(chunk, to - base);
                wb.get(wo + base, w, 0, len);
                gb.get(go + base, g, 0, len);
                cursor.read(base, len);
                step(w, g, cursor.slot(0), cursor.slot(1), len, c);
                wb.put(wo + base, w, 0, len);
                cursor.write(base, len);
            }
        });
    }

    /** The element-wise rule on one chunk, in float32 as PyTorch's float32 AdamW. */
    private static void step(float[] w, float[] g, float[] m, float[] v, int len, Coefficients c) {
        for (int i = 0; i < len; i++) {
            float gi = g[i];
            float mi = c.beta1 * m[i] + c.oneMinusBeta1 * gi;
            float vi = c.beta2 * v[i] + c.oneMinusBeta2 * gi * gi;
            m[i] = mi;
            v[i] = vi;
            w[i] = w[i] * c.keep - c.stepSize * mi / ((float) Math.sqrt(vi) * c.invSqrtBc2 + c.eps);
        }
    }

    /** {@code format}, once the hyperparameters are valid: nothing is allocated for a refused optimizer. */
    private static StateFormat checked(double beta1, double beta2, double eps, double weightDecay, StateFormat format) {
        requireHyper(beta1, beta2, eps, weightDecay);
        return format;
    }

    private static void requireHyper(double beta1, double beta2, double eps, double weightDecay) {
        if (!(beta1 >= 0 && beta1 < 1)) {
            throw new IllegalArgumentException("AdamW beta1=" + beta1 + " must be in [0, 1)");
        }
        if (!(beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("AdamW beta2=" + beta2 + " must be in [0, 1)");
        }
        if (!(eps > 0 && Double.isFinite(eps))) {
            throw new IllegalArgumentException("AdamW eps=" + eps + " must be positive and finite (it keeps the step finite where v = 0)");
        }
        if (!(weightDecay >= 0 && Double.isFinite(weightDecay))) {
            throw new IllegalArgumentException("AdamW weightDecay=" + weightDecay + " must be >= 0 and finite");
        }
    }

    private static void requireLearningRate(double lr) {
        if (!(lr >= 0 && Double.isFinite(lr))) {
            throw new IllegalArgumentException("learning rate " + lr + " must be >= 0 and finite");
        }
    }

    private static void requireSameShape(INDArray w, INDArray other, String what) {
        if (!Arrays.equals(w.shape(), other.shape())) {
            throw new IllegalArgumentException("AdamW " + what + " has shape " + Arrays.toString(other.shape())
                    + " but the parameter has shape " + Arrays.toString(w.shape()));
        }
    }
}
