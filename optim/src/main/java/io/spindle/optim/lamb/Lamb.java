package io.spindle.optim.lamb;

import io.spindle.optim.ContiguousFloats;
import io.spindle.optim.ParamSlot;
import io.spindle.optim.StoredStateOptimizer;
import io.spindle.optim.state.ChunkedUpdate;
import io.spindle.optim.state.SlotChunks;
import io.spindle.optim.state.StateFormat;
import io.spindle.optim.state.StateStore;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.FloatBuffer;
import java.util.List;
import java.util.Set;

/**
 * LAMB (You et al. 2019, "Large Batch Optimization for Deep Learning", Algorithm 2, bias
 * correction on): Adam's direction plus decoupled weight decay, rescaled per tensor by the trust
 * ratio ||w|| / ||u|| so every layer moves by about lr times its own norm:
 * <pre>
 * m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
 * u = (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps) + wd w
 * w = w - lr trust u,   trust = ||w|| / ||u||  (1 if either norm is 0)
 * </pre>
 * Weight decay applies to the roles in {@code decayedRoles}, as in {@link io.spindle.optim.adamw.AdamW}.
 * A parameter held in slices ({@link ParamSlot#sums()}) takes the trust ratio of the whole tensor.
 */
public final class Lamb extends StoredStateOptimizer {
    private static final String M = "m";
    private static final String V = "v";

    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private final Set<String> decayedRoles;

    public Lamb(double beta1, double beta2, double eps, double weightDecay, Set<String> decayedRoles) {
        this(beta1, beta2, eps, weightDecay, decayedRoles, StateFormat.DENSE);
    }

    /** LAMB whose moments are stored in {@code format} (dense float32 or COAT FP8). */
    public Lamb(double beta1, double beta2, double eps, double weightDecay, Set<String> decayedRoles,
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
        if (!(lr >= 0 && Double.isFinite(lr))) {
            throw new IllegalArgumentException("learning rate " + lr + " must be >= 0 and finite");
        }
        StateStore.Step moments = state.open(params);
        long t = state.step() + 1;
        // Bias corrections as per-step scalars: m_hat = m c1, sqrt(v_hat) = sqrt(v) c2.
        float c1 = (float) (1 / (1 - Math.pow(beta1, t)));
        float c2 = (float) (1 / Math.sqrt(1 - Math.pow(beta2, t)));
        for (int i = 0; i < params.size(); i++) {
            ParamSlot p = params.get(i);
            float wd = decayedRoles.contains(p.role()) ? (float) weightDecay : 0f;
            Tensor w = new Tensor(moments.weights(i, p), "parameter " + p.name());
            Tensor g = new Tensor(p.grad(), "gradient of " + p.name());
            SlotChunks mv = moments.chunks(i);
            Coefficients c = new Coefficients((float) beta1, (float) beta2, c1, c2, (float) eps, wd);
            double[] norms = norms(w, g, mv, c);
            p.sums().complete(norms);                     // a tensor-parallel slice's trust ratio is the whole tensor's
            double wNorm = Math.sqrt(norms[0]);
            double uNorm = Math.sqrt(norms[1]);
            // Algorithm 2 leaves 0/0 undefined; 1 keeps a zero tensor (or a zero update) moving like Adam.
            double trust = wNorm > 0 && uNorm > 0 ? wNorm / uNorm : 1.0;
            applyStep(w, g, mv, c, (float) (lr * trust));
            moments.commit(i);
        }
        state.advance();
    }

    private record Tensor(FloatBuffer buffer, int start, int length) {
        Tensor(INDArray x, String what) {
            this(ContiguousFloats.buffer(x, what), ContiguousFloats.start(x), ContiguousFloats.length(x));
        }
    }

    private record Coefficients(float beta1, float beta2, float c1, float c2, float eps, float wd) {
        /** The new moments of one chunk, in place. */
        void moments(float[] g, float[] m, float[] v, int len) {
            for (int i = 0; i < len; i++) {
                m[i] = beta1 * m[i] + (1 - beta1) * g[i];
                v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
            }
        }

        float u(float w, float m, float v) {
            return m * c1 / ((float) Math.sqrt(v) * c2 + eps) + wd * w;
        }
    }

    /**
     * Pass 1: sum(w^2) and sum(u^2) in double, from the new moments, which are not stored: pass 2
     * computes them again from the same old ones, bit for bit. Keeping them instead would need
     * the whole tensor's moments in full precision (or u) until the trust ratio is known, and for
     * compressed state the step must use the full-precision moments, not their stored value.
     * Each chunk's sums are kept apart and added in chunk order, so the norms do not depend on
     * how many threads ran the chunks.
     */
    private static double[] norms(Tensor w, Tensor g, SlotChunks mv, Coefficients c) {
        int chunk = chunkLength(w, mv);
        int chunks = (w.length + chunk - 1) / chunk;
        double[] wSq = new double[chunks];
        double[] uSq = new double[chunks];
        walk(w, g, mv, c, false, (base, wa, ma, va, len) -> {
            double ws = 0, us = 0;
            for (int i = 0; i < len; i++) {
                float u = c.u(wa[i], ma[i], va[i]);
                ws += (double) wa[i] * wa[i];
                us += (double) u * u;
            }
            wSq[base / chunk] = ws;
            uSq[base / chunk] = us;
        });
        double wTotal = 0, uTotal = 0;
        for (int k = 0; k < chunks; k++) {
            wTotal += wSq[k];
            uTotal += uSq[k];
        }
        return new double[] {wTotal, uTotal};
    }

    /** Pass 2: the moments again, stored this time, and w = w - (lr trust) u. */
    private static void applyStep(Tensor w, Tensor g, SlotChunks mv, Coefficients c, float stepSize) {
        walk(w, g, mv, c, true, (base, wa, ma, va, len) -> {
            for (int i = 0; i < len; i++) {
                wa[i] -= stepSize * c.u(wa[i], ma[i], va[i]);
            }
        });
    }

    /** What a pass does with one chunk's weights and new moments (elements base .. base+len-1). */
    private interface ChunkRule {
        void apply(int base, float[] w, float[] m, float[] v, int len);
    }

    private static int chunkLength(Tensor w, SlotChunks mv) {
        return Math.max(1, Math.min(w.length, mv.chunkLength()));
    }

    /**
     * One pass over the tensor's chunks (on the rank's threads): read w, g and the moments, compute
     * the new moments, apply {@code rule}; with {@code store}, write w and the moments back.
     */
    private static void walk(Tensor w, Tensor g, SlotChunks mv, Coefficients c, boolean store, ChunkRule rule) {
        int chunk = chunkLength(w, mv);
        ChunkedUpdate.run(w.length, mv, (cursor, from, to) -> {
            float[] wa = new float[chunk], ga = new float[chunk];
            for (int base = from; base < to; base += chunk) {
                int len = Math.min(chunk, to - base);
                w.buffer.get(w.start + base, wa, 0, len);
                g.buffer.get(g.start + base, ga, 0, len);
                cursor.read(base, len);
                float[] ma = cursor.slot(0), va = cursor.slot(1);
                c.moments(ga, ma, va, len);
                rule.apply(base, wa, ma, va, len);
                if (store) {
                    w.buffer.put(w.start + base, wa, 0, len);
                    cursor.write(base, len);
                }
            }
        });
    }

    /** {@code format}, once the hyperparameters are valid: nothing is allocated for a refused optimizer. */
    private static StateFormat checked(double beta1, double beta2, double eps, double weightDecay, StateFormat format) {
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("LAMB beta1=" + beta1 + ", beta2=" + beta2 + " must be in [0, 1)");
        }
        if (!(eps > 0 && Double.isFinite(eps))) {
            throw new IllegalArgumentException("LAMB eps=" + eps + " must be positive and finite");
        }
        if (!(weightDecay >= 0 && Double.isFinite(weightDecay))) {
            throw new IllegalArgumentException("LAMB weightDecay=" + weightDecay + " must be >= 0 and finite");
        }
        return format;
    }
}
