package io.spindle.layers.ssm;

import io.spindle.layers.core.Parallel;

/**
 * Mamba's selective scan S6 (Gu &amp; Dao 2023, Alg. 2; the reference is
 * {@code selective_scan_ref}), per sequence b, channel d and state n:
 * <pre>
 *   Δ_t = softplus(delta_t + delta_bias)
 *   h_t = exp(Δ_t A[d,n]) h_{t-1} + Δ_t B_t[n] u_t
 *   y_t = Σ_n C_t[n] h_t + D u_t,    out_t = y_t · silu(z_t)
 * </pre>
 * with u, delta, z per channel and B, C per state shared by all channels of a time step.
 *
 * <p>Layout: everything is a row per (sequence, time), {@link Rows}: u, delta, z have
 * {@code channels} columns, B and C {@code state} columns (they may be column ranges of wider
 * rows, as the x_proj output in a Mamba block). Work: tasks of {@link #CHANNEL_BLOCK} channels of
 * one sequence, split over threads; each runs the time loop over its channels with plain float
 * loops, its state in a small array. The forward keeps the state at the start of every
 * {@link #CHUNK} steps; the backward walks the chunks in reverse, recomputes a chunk's states and
 * decays from its checkpoint into a per-thread buffer, then runs the adjoint recurrence
 * {@code dh_{t-1} = exp(Δ_t A) dh_t + C_{t-1} dy_{t-1}} through it. No per-step allocation.
 *
 * <p>{@link #step} advances a {@link ScanState} by one token through the same per-element code as
 * the training scan ({@link #advance}), so generation reproduces the scan's outputs exactly.
 */
public final class SelectiveScan {
    /**
     * Channels one task scans together (their inputs for a step are adjacent in a row: 256 bytes
     * per input per step, so the strided walk over time streams whole cache lines).
     */
    static final int CHANNEL_BLOCK = 64;
    /** Steps between saved states: backward recomputes at most this many states per channel. */
    static final int CHUNK = 32;

    /** Column range of a row-major array: element (row, col) is {@code data[offset + row·stride + col]}. */
    public record Rows(float[] data, int offset, int stride) {
        /** A contiguous array of rows of {@code width} columns. */
        public static Rows of(float[] data, int width) {
            return new Rows(data, 0, width);
        }

        int at(int row) { return offset + row * stride; }
    }

    private final int channels;
    private final int state;
    private final Scratch[] scratch = new Scratch[Parallel.threads()];
    private int batch;
    private int seq;
    private Rows u, delta, z, b, c;
    private float[] a, skip, deltaBias;
    private float[] checkpoints;

    /** A scan over {@code channels} channels with {@code state} states each. */
    public SelectiveScan(int channels, int state) {
        if (channels <= 0 || state <= 0) {
            throw new IllegalArgumentException("selective scan needs positive channels and state, got " + channels + ", " + state);
        }
        this.channels = channels;
        this.state = state;
    }

    /**
     * out [batch·seq, channels] (contiguous) from the inputs above; {@code a} is A [channels, state]
     * (negative), {@code skip} D and {@code deltaBias} [channels]. The arrays are kept, unchanged,
     * for {@link #backward}.
     */
    public void forward(Rows u, Rows delta, Rows z, Rows b, Rows c, float[] a, float[] skip, float[] deltaBias,
                        int batch, int seq, float[] out) {
        if (a.length != channels * state || skip.length != channels || deltaBias.length != channels
                || out.length < batch * seq * channels) {
            throw new IllegalArgumentException("selective scan: A must be [" + channels + ", " + state + "], D and delta_bias ["
                    + channels + "], out [" + batch * seq + ", " + channels + "]");
        }
        this.batch = batch;
        this.seq = seq;
        this.u = u;
        this.delta = delta;
        this.z = z;
        this.b = b;
        this.c = c;
        this.a = a;
        this.skip = skip;
        this.deltaBias = deltaBias;
        int chunks = (seq + CHUNK - 1) / CHUNK;
        int size = batch * chunks * channels * state;
        if (checkpoints == null || checkpoints.length != size) checkpoints = new float[size];
        int blocks = (channels + CHANNEL_BLOCK - 1) / CHANNEL_BLOCK;
        Parallel.forRange(batch * blocks, 1, (chunk, from, to) -> {
            float[] h = scratch(chunk).h;
            for (int task = from; task < to; task++) {
                int seqIndex = task / blocks;
                int d0 = (task % blocks) * CHANNEL_BLOCK;
                int d1 = Math.min(channels, d0 + CHANNEL_BLOCK);
                java.util.Arrays.fill(h, 0f);
                for (int t = 0; t < seq; t++) {
                    if (t % CHUNK == 0) saveCheckpoint(h, seqIndex, t / CHUNK, d0, d1);
                    int row = seqIndex * seq + t;
                    for (int d = d0; d < d1; d++) {
                        out[row * channels + d] = output(h, (d - d0) * state, a, d * state, state, skip[d], deltaBias[d],
                                u.data[u.at(row) + d], delta.data[delta.at(row) + d], z.data[z.at(row) + d],
                                b.data, b.at(row), c.data, c.at(row));
                    }
                }
            }
        });
    }

    /**
     * Gradients of the last forward given dOut [batch·seq, channels]: du, dDelta, dz and dB, dC are
     * written (overwriting; dB and dC summed over channels), dA [channels, state], dSkip and
     * dDeltaBias [channels] are added to.
     */
    public void backward(float[] dOut, Rows du, Rows dDelta, Rows dz, Rows dB, Rows dC, float[] dA, float[] dSkip,
                         float[] dDeltaBias) {
        if (checkpoints == null) throw new IllegalStateException("selective scan backward() before forward()");
        int blocks = (channels + CHANNEL_BLOCK - 1) / CHANNEL_BLOCK;
        // every thread's sums start at zero, also those of threads this call leaves idle
        for (Scratch s : scratch) if (s != null) s.clearSums(batch * seq);
        Parallel.forRange(batch * blocks, 1, (chunk, from, to) -> {
            Scratch s = scratch(chunk);
            s.clearSums(batch * seq);
            for (int task = from; task < to; task++) {
                int seqIndex = task / blocks;
                int d0 = (task % blocks) * CHANNEL_BLOCK;
                backwardTask(s, seqIndex, d0, Math.min(channels, d0 + CHANNEL_BLOCK), dOut, du, dDelta, dz);
            }
        });
        // per-thread sums, added in thread order so the result does not depend on timing
        for (int row = 0; row < batch * seq; row++) {
            for (int n = 0; n < state; n++) {
                float sb = 0, sc = 0;
                for (Scratch s : scratch) {
                    if (s == null) continue;
                    sb += s.dB[row * state + n];
                    sc += s.dC[row * state + n];
                }
                dB.data[dB.at(row) + n] = sb;
                dC.data[dC.at(row) + n] = sc;
            }
        }
        for (Scratch s : scratch) {
            if (s == null) continue;
            for (int i = 0; i < channels * state; i++) dA[i] += s.dA[i];
            for (int d = 0; d < channels; d++) {
                dSkip[d] += s.dSkip[d];
                dDeltaBias[d] += s.dDeltaBias[d];
            }
        }
    }

    /** The adjoint recurrence for channels [d0, d1) of one sequence, chunk by chunk from the end. */
    private void backwardTask(Scratch s, int seqIndex, int d0, int d1, float[] dOut, Rows du, Rows dDelta, Rows dz) {
        int width = (d1 - d0) * state;
        float[] dh = s.dh;
        java.util.Arrays.fill(dh, 0, width, 0f);
        for (int chunk = (seq - 1) / CHUNK; chunk >= 0; chunk--) {
            int t0 = chunk * CHUNK;
            int t1 = Math.min(seq, t0 + CHUNK);
            recomputeChunk(s, seqIndex, chunk, t0, t1, d0, d1);
            for (int t = t1 - 1; t >= t0; t--) {
                int row = seqIndex * seq + t;
                int prev = (t - t0) * width; // h_{t-1} in s.hs; h_t at prev + width
                int bAt = b.at(row), cAt = c.at(row);
                for (int d = d0; d < d1; d++) {
                    int j = (d - d0) * state;
                    float uv = u.data[u.at(row) + d];
                    float pre = delta.data[delta.at(row) + d] + deltaBias[d];
                    float dt = ScanMath.softplus(pre);
                    float zv = z.data[z.at(row) + d];
                    float sz = ScanMath.sigmoid(zv);
                    float y = skip[d] * uv;
                    for (int n = 0; n < state; n++) y += c.data[cAt + n] * s.hs[prev + width + j + n];
                    float g = dOut[row * channels + d];
                    float gy = g * zv * sz;
                    dz.data[dz.at(row) + d] = g * y * sz * (1f + zv * (1f - sz));
                    s.dSkip[d] += gy * uv;
                    float dtu = dt * uv;
                    float dInput = 0; // d(Δ u) summed over states
                    float dDt = 0;
                    int aAt = d * state;
                    for (int n = 0; n < state; n++) {
                        int k = j + n;
                        float dhv = dh[k] + gy * c.data[cAt + n];
                        float hPrev = s.hs[prev + k];
                        float decay = s.decays[prev + k];
                        s.dC[row * state + n] += gy * s.hs[prev + width + k];
                        s.dB[row * state + n] += dhv * dtu;
                        dInput += dhv * b.data[bAt + n];
                        float gDecay = dhv * hPrev * decay; // dL/d(Δ A) through exp
                        dDt += gDecay * a[aAt + n];
                        s.dA[aAt + n] += gDecay * dt;
                        dh[k] = dhv * decay;
                    }
                    dDt += dInput * uv;
                    float dPre = dDt * ScanMath.sigmoid(pre);
                    du.data[du.at(row) + d] = gy * skip[d] + dInput * dt;
                    dDelta.data[dDelta.at(row) + d] = dPre;
                    s.dDeltaBias[d] += dPre;
                }
            }
        }
    }

    /** States h_{t0-1} … h_{t1-1} and decays exp(Δ_t A) of steps [t0, t1) into s.hs, s.decays. */
    private void recomputeChunk(Scratch s, int seqIndex, int chunk, int t0, int t1, int d0, int d1) {
        int width = (d1 - d0) * state;
        int base = ((seqIndex * ((seq + CHUNK - 1) / CHUNK) + chunk) * channels + d0) * state;
        System.arraycopy(checkpoints, base, s.hs, 0, width);
        for (int t = t0; t < t1; t++) {
            int row = seqIndex * seq + t;
            int prev = (t - t0) * width;
            int bAt = b.at(row);
            for (int d = d0; d < d1; d++) {
                int j = (d - d0) * state;
                float dt = ScanMath.softplus(delta.data[delta.at(row) + d] + deltaBias[d]);
                float dtu = dt * u.data[u.at(row) + d];
                int aAt = d * state;
                for (int n = 0; n < state; n++) {
                    float decay = ScanMath.exp(dt * a[aAt + n]);
                    s.decays[prev + j + n] = decay;
                    s.hs[prev + width + j + n] = decay * s.hs[prev + j + n] + dtu * b.data[bAt + n];
                }
            }
        }
    }

    private void saveCheckpoint(float[] h, int seqIndex, int chunk, int d0, int d1) {
        int base = ((seqIndex * ((seq + CHUNK - 1) / CHUNK) + chunk) * channels + d0) * state;
        System.arraycopy(h, 0, checkpoints, base, (d1 - d0) * state);
    }

    /**
     * One channel, one step: advances h[hAt, hAt+state) and returns the gated output
     * {@code (C·h + D u) silu(z)}. The training scan and {@link #step} both come here.
     */
    private static float output(float[] h, int hAt, float[] a, int aAt, int state, float skip, float deltaBias,
                                float uv, float deltaPre, float zv, float[] bs, int bAt, float[] cs, int cAt) {
        float dt = ScanMath.softplus(deltaPre + deltaBias);
        float y = advance(h, hAt, a, aAt, state, dt, dt * uv, bs, bAt, cs, cAt);
        return (y + skip * uv) * zv * ScanMath.sigmoid(zv);
    }

    /** h ← exp(Δ A) h + Δu B over one channel's states; returns C·h. */
    static float advance(float[] h, int hAt, float[] a, int aAt, int n, float dt, float dtu, float[] bs, int bAt,
                         float[] cs, int cAt) {
        float y = 0;
        for (int k = 0; k < n; k++) {
            float hv = ScanMath.exp(dt * a[aAt + k]) * h[hAt + k] + dtu * bs[bAt + k];
            h[hAt + k] = hv;
            y += cs[cAt + k] * hv;
        }
        return y;
    }

    /**
     * One token for every sequence of {@code st}: u, delta, z [batch·channels], B, C [batch·state]
     * (sequence-major) → out [batch·channels], with the given parameters; advances st.
     */
    public void step(ScanState st, float[] u, float[] delta, float[] z, float[] bs, float[] cs, float[] a,
                     float[] skip, float[] deltaBias, float[] out) {
        if (a.length != channels * state || skip.length != channels || deltaBias.length != channels) {
            throw new IllegalArgumentException("selective scan step: A must be [" + channels + ", " + state
                    + "], D and delta_bias [" + channels + "]");
        }
        for (int s = 0; s < st.batch(); s++) {
            for (int d = 0; d < channels; d++) {
                int i = s * channels + d;
                out[i] = output(st.h, i * state, a, d * state, state, skip[d], deltaBias[d], u[i], delta[i], z[i],
                        bs, s * state, cs, s * state);
            }
        }
    }

    /** A zero state for {@code batch} sequences. */
    public ScanState newState(int batch) {
        return new ScanState(batch, channels, state);
    }

    private Scratch scratch(int chunk) {
        if (scratch[chunk] == null) scratch[chunk] = new Scratch(channels, state);
        return scratch[chunk];
    }

    /** One thread's state buffers and gradient sums. */
    private static final class Scratch {
        final float[] h;
        final float[] dh;
        final float[] hs;
        final float[] decays;
        final float[] dA;
        final float[] dSkip;
        final float[] dDeltaBias;
        float[] dB = new float[0];
        float[] dC = new float[0];
        private final int state;

        Scratch(int channels, int state) {
            this.state = state;
            int width = CHANNEL_BLOCK * state;
            h = new float[width];
            dh = new float[width];
            hs = new float[(CHUNK + 1) * width];
            decays = new float[CHUNK * width];
            dA = new float[channels * state];
            dSkip = new float[channels];
            dDeltaBias = new float[channels];
        }

        void clearSums(int rows) {
            if (dB.length != rows * state) {
                dB = new float[rows * state];
                dC = new float[rows * state];
            } else {
                java.util.Arrays.fill(dB, 0f);
                java.util.Arrays.fill(dC, 0f);
            }
            java.util.Arrays.fill(dA, 0f);
            java.util.Arrays.fill(dSkip, 0f);
            java.util.Arrays.fill(dDeltaBias, 0f);
        }
    }
}
