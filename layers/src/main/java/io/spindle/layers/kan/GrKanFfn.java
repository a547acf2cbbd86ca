package io.spindle.layers.kan;

import io.spindle.layers.core.FeedForward;
import io.spindle.layers.core.Initializer;
import io.spindle.layers.core.Parameter;
import io.spindle.layers.core.ParameterRole;
import io.spindle.layers.core.ParameterSet;
import io.spindle.layers.linear.Linear;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * KAT's GR-KAN feed-forward (Yang &amp; Wang 2024, §4): {@code y = fc2(R2(fc1(R1(x))))}, fc1
 * {@code [hidden, dModel]} and fc2 {@code [dModel, hidden]} with biases, R1 a {@link GroupRational}
 * over the dModel input channels starting as the identity and R2 one over the hidden channels
 * starting as GELU, both with {@code groups} coefficient groups. fc1's bias is added inside R2's
 * pass.
 *
 * <p>Parameters: {@code prefix.rational1.num|den}, {@code prefix.fc1} (MATRIX),
 * {@code prefix.fc1_bias} (BIAS), {@code prefix.rational2.num|den}, {@code prefix.fc2} (MATRIX),
 * {@code prefix.fc2_bias} (BIAS). Biases start at zero.
 */
public final class GrKanFfn implements FeedForward {
    private final GroupRational rational1;
    private final Linear fc1;
    private final Parameter fc1Bias;
    private final GroupRational rational2;
    private final Linear fc2;
    private final ChannelBias fc2Bias;

    /** fc2, the output projection, starts from {@code outputInit}, fc1 from {@code init}. */
    public GrKanFfn(ParameterSet params, String prefix, int dModel, int hidden, int groups, Initializer init,
                    Initializer outputInit) {
        this.rational1 = new GroupRational(params, prefix + ".rational1", dModel, groups, RationalStart.IDENTITY);
        this.fc1 = new Linear(params, prefix + ".fc1", dModel, hidden, ParameterRole.MATRIX, init);
        this.fc1Bias = params.add(prefix + ".fc1_bias", new long[] {hidden}, ParameterRole.BIAS, Initializer.constant(0f));
        this.rational2 = new GroupRational(params, prefix + ".rational2", hidden, groups, RationalStart.GELU);
        this.fc2 = new Linear(params, prefix + ".fc2", hidden, dModel, ParameterRole.MATRIX, outputInit);
        this.fc2Bias = new ChannelBias(params.add(prefix + ".fc2_bias", new long[] {dModel}, ParameterRole.BIAS,
                Initializer.constant(0f)));
    }

    /** x: [rows, dModel] → y: [rows, dModel], owned by this layer. */
    @Override
    public INDArray forward(INDArray x) {
        INDArray h = rational2.forward(fc1.forward(rational1.forward(x)), fc1Bias);
        INDArray y = fc2.forward(h);
        fc2Bias.addTo(y);
        return y;
    }

    /** dy → dx, both [rows, dModel]; adds every parameter's gradient. */
    @Override
    public INDArray backward(INDArray dy) {
        fc2Bias.backward(dy);
        return rational1.backward(fc1.backward(rational2.backward(fc2.backward(dy))));
    }
}
