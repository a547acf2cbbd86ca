package io.spindle.layers.ssm;

/** The selective scan's recurrent state during generation: h [batch, channels, state], float, as in the training scan. */
public final class ScanState {
    final float[] h;
    private final int batch;

    ScanState(int batch, int channels, int state) {
        this.batch = batch;
        this.h = new float[batch * channels * state];
    }

    public int batch() { return batch; }
}
