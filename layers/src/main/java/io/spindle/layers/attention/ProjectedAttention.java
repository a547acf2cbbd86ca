package io.spindle.layers.attention;

import io.spindle.layers.core.Buffers;
import io.spindle.layers.core.Projection;
import io.spindle.layers.core.SequenceMixer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@code y = o(core(q(x), k(x), v(x)))}: causal multi-head attention around any four projections.
 * The dense baseline, the chain-structured CoLM attention and MASA's dictionary attention differ
 * only in their projections.
 */
public final class ProjectedAttention implements SequenceMixer {
    private final Projection wq;
    private final Projection wk;
    private final Projection wv;
    private final Projection wo;
    private final CausalAttentionCore core;
    private INDArray dMerged;
    private INDArray dx;

    public ProjectedAttention(Projection wq, Projection wk, Projection wv, Projection wo, CausalAttentionCore core) {
        int in = wq.inWidth();
        if (wk.inWidth() != in || wv.inWidth() != in) {
            throw new IllegalArgumentException("q, k, v projections read widths " + in + ", " + wk.inWidth() + ", "
                    + wv.inWidth() + "; they must read the same input");
        }
        this.wq = wq;
        this.wk = wk;
        this.wv = wv;
        this.wo = wo;
        this.core = core;
    }

    @Override
    public INDArray forward(INDArray x, int batch, int seq) {
        // x: [batch*seq, in]
        if (x.rank() != 2 || x.size(0) != (long) batch * seq || x.size(1) != wq.inWidth()) {
            throw new IllegalArgumentException("attention input has shape " + java.util.Arrays.toString(x.shape())
                    + ", expected [" + (long) batch * seq + ", " + wq.inWidth() + "]");
        }
        return wo.forward(core.forward(wq.forward(x), wk.forward(x), wv.forward(x), batch, seq));
    }

    @Override
    public INDArray backward(INDArray dy) {
        dMerged = Buffers.reuse(dMerged, dy.size(0), wo.inWidth());
        wo.backward(dy, dMerged, false);
        core.backward(dMerged);
        dx = Buffers.reuse(dx, dy.size(0), wq.inWidth());
        wq.backward(core.dq(), dx, false);
        wk.backward(core.dk(), dx, true);
        wv.backward(core.dv(), dx, true);
        wq.completeInputGradient(dx); // q, k and v read x the same way: one completion for all three
        return dx;
    }
}
