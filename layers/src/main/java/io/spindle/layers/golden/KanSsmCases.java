package io.spindle.layers.golden;

import io.spindle.layers.core.Initializer;
import io.spindle.layers.core.ParameterSet;
import io.spindle.layers.kan.GrKanFfn;
import io.spindle.layers.kan.GroupRational;
import io.spindle.layers.kan.RationalStart;
import io.spindle.layers.ssm.MambaMixer;
import io.spindle.layers.ssm.S4D;
import io.spindle.layers.ssm.S4DKernel;
import io.spindle.layers.ssm.SelectiveScan;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Arrays;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Golden cases of the KAT and state-space layers: {@code rational}, {@code grkan-ffn},
 * {@code s4d}, {@code selective-scan}, {@code mamba-block}. Each builds the Spindle layer at the
 * case's shapes, loads the case's parameters, and reports outputs and gradients in the case's
 * names and layouts.
 */
final class KanSsmCases {
    private static final Initializer UNUSED_INIT = Initializer.constant(0f);

    private KanSsmCases() {}

    static LayerResult evaluate(LayerCase c) {
        return switch (c.layer()) {
            case "rational" -> rational(c);
            case "grkan-ffn" -> grKanFfn(c);
            case "s4d" -> s4d(c);
            case "selective-scan" -> selectiveScan(c);
            case "mamba-block" -> mambaBlock(c);
            default -> throw new UnsupportedCaseException("layer '" + c.layer() + "' is not implemented in this build");
        };
    }

    /** num [groups, 6], den [groups, 4] over x's last axis; groups = num's rows. */
    private static LayerResult rational(LayerCase c) {
        LayerConformance.Activations x = LayerConformance.Activations.of(c);
        ParameterSet params = new ParameterSet();
        GroupRational unit = new GroupRational(params, "rational", x.features(), (int) size(c, "num", 0),
                RationalStart.IDENTITY);
        return LayerConformance.run(c, x, params, Map.of("num", "rational.num", "den", "rational.den"),
                unit::forward, unit::backward);
    }

    /** fc1 = (w1, b1), fc2 = (w2, b2); rational1 = (num1, den1) on x, rational2 = (num2, den2) on fc1's output. */
    private static LayerResult grKanFfn(LayerCase c) {
        LayerConformance.Activations x = LayerConformance.Activations.of(c);
        ParameterSet params = new ParameterSet();
        GrKanFfn ffn = new GrKanFfn(params, "ffn", x.features(), (int) size(c, "w1", 0), (int) size(c, "num1", 0),
                UNUSED_INIT, UNUSED_INIT);
        Map<String, String> names = prefixed("ffn.", "num1", "rational1.num", "den1", "rational1.den", "w1", "fc1",
                "b1", "fc1_bias", "num2", "rational2.num", "den2", "rational2.den", "w2", "fc2", "b2", "fc2_bias");
        return LayerConformance.run(c, x, params, names, ffn::forward, ffn::backward);
    }

    /**
     * u [B, H, L]; outputs kernel [H, L] and output [B, H, L], each with its own upstream; N/2
     * modes per channel (the params' second axis).
     */
    private static LayerResult s4d(LayerCase c) {
        INDArray u = input(c, "u", 3);
        int batch = (int) u.size(0), channels = (int) u.size(1), seq = (int) u.size(2);
        ParameterSet params = new ParameterSet();
        S4D layer = new S4D(params, "s4d", channels, 2 * (int) size(c, "log_A_real", 1), S4DKernel.Init.LIN);
        Map<String, String> names = prefixed("s4d.", "log_dt", "log_dt", "log_A_real", "log_A_real", "A_imag", "A_imag",
                "C_re", "C_re", "C_im", "C_im", "Dskip", "D");
        LayerConformance.loadParams(c, params, names);

        INDArray y = channelsFromRows(layer.forward(rowsFromChannels(u), batch, seq), batch, seq);
        INDArray kernel = layer.kernel();
        INDArray du = layer.backward(rowsFromChannels(upstream(c, "output", u.shape())),
                upstream(c, "kernel", kernel.shape()));
        Map<String, INDArray> grads = new LinkedHashMap<>();
        grads.put("u", channelsFromRows(du, batch, seq));
        names.forEach((k, v) -> grads.put(k, params.get(v).grad().dup()));
        return new LayerResult(Map.of("output", y, "kernel", kernel), grads);
    }

    /**
     * u, delta, z [B, D, L] and Bm, Cm [B, N, L] (the reference's layouts) as rows; A [D, N] is used
     * as given (the block's A = −exp(A_log) is not part of this case).
     */
    private static LayerResult selectiveScan(LayerCase c) {
        INDArray u = input(c, "u", 3);
        int batch = (int) u.size(0), channels = (int) u.size(1), seq = (int) u.size(2);
        INDArray bm = input(c, "Bm", 3);
        int state = (int) bm.size(1);
        float[] a = param(c, "A", channels, state), skip = param(c, "Dskip", channels), bias = param(c, "delta_bias", channels);
        SelectiveScan scan = new SelectiveScan(channels, state);
        Map<String, float[]> rows = new LinkedHashMap<>();
        for (String name : new String[] {"u", "delta", "z", "Bm", "Cm"}) {
            INDArray t = input(c, name, 3);
            long width = name.endsWith("m") ? state : channels;
            LayerConformance.requireShape("input " + name, t, new long[] {batch, width, seq});
            rows.put(name, floats(rowsFromChannels(t)));
        }
        float[] out = new float[batch * seq * channels];
        scan.forward(SelectiveScan.Rows.of(rows.get("u"), channels), SelectiveScan.Rows.of(rows.get("delta"), channels),
                SelectiveScan.Rows.of(rows.get("z"), channels), SelectiveScan.Rows.of(rows.get("Bm"), state),
                SelectiveScan.Rows.of(rows.get("Cm"), state), a, skip, bias, batch, seq, out);
        float[] dOut = floats(rowsFromChannels(upstream(c, "output", u.shape())));
        Map<String, float[]> d = new LinkedHashMap<>();
        for (String name : rows.keySet()) d.put(name, new float[rows.get(name).length]);
        float[] dA = new float[channels * state], dSkip = new float[channels], dBias = new float[channels];
        scan.backward(dOut, SelectiveScan.Rows.of(d.get("u"), channels), SelectiveScan.Rows.of(d.get("delta"), channels),
                SelectiveScan.Rows.of(d.get("z"), channels), SelectiveScan.Rows.of(d.get("Bm"), state),
                SelectiveScan.Rows.of(d.get("Cm"), state), dA, dSkip, dBias);
        Map<String, INDArray> grads = new LinkedHashMap<>();
        d.forEach((name, g) -> grads.put(name, channelsFromRows(
                Nd4j.create(g, new long[] {(long) batch * seq, name.endsWith("m") ? state : channels}, 'c'), batch, seq)));
        grads.put("A", Nd4j.create(dA, new long[] {channels, state}, 'c'));
        grads.put("Dskip", Nd4j.create(dSkip, new long[] {channels}, 'c'));
        grads.put("delta_bias", Nd4j.create(dBias, new long[] {channels}, 'c'));
        INDArray y = channelsFromRows(Nd4j.create(out, new long[] {(long) batch * seq, channels}, 'c'), batch, seq);
        return new LayerResult(Map.of("output", y), grads);
    }

    /**
     * x [B, L, d_model]; d_inner, d_state from A_log, d_conv from conv_w, dt_rank from dt_proj_w;
     * dt_proj's bias is the scan's delta_bias.
     */
    private static LayerResult mambaBlock(LayerCase c) {
        LayerConformance.Activations x = LayerConformance.Activations.of(c);
        MambaMixer.Shape shape = new MambaMixer.Shape(x.features(), (int) size(c, "A_log", 0), (int) size(c, "A_log", 1),
                (int) size(c, "conv_w", 1), (int) size(c, "dt_proj_w", 1));
        ParameterSet params = new ParameterSet();
        MambaMixer block = new MambaMixer(params, "mamba", shape, UNUSED_INIT, UNUSED_INIT);
        Map<String, String> names = prefixed("mamba.", "in_proj", "in_proj", "conv_w", "conv_w", "conv_b", "conv_b",
                "x_proj", "x_proj", "dt_proj_w", "dt_proj", "dt_proj_b", "dt_bias", "A_log", "A_log", "Dskip", "D",
                "out_proj", "out_proj");
        return LayerConformance.run(c, x, params, names, in -> block.forward(in, x.batch(), x.seq()), block::backward);
    }

    /**
     * Axis {@code axis} of param {@code name}: sizes are read from the params themselves (the
     * config repeats them), so a case is built at exactly its tensors' shapes.
     */
    private static long size(LayerCase c, String name, int axis) {
        INDArray p = c.params().get(name);
        if (p == null) throw new IllegalArgumentException(c.layer() + " case has no param '" + name + "'");
        if (p.rank() <= axis) {
            throw new IllegalArgumentException(c.layer() + " param " + name + " has shape " + Arrays.toString(p.shape())
                    + ", expected at least " + (axis + 1) + " axes");
        }
        return p.size(axis);
    }

    /** Case name → Spindle name from pairs (case name, name under {@code prefix}), in order. */
    private static Map<String, String> prefixed(String prefix, String... pairs) {
        Map<String, String> names = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) names.put(pairs[i], prefix + pairs[i + 1]);
        return names;
    }

    private static float[] param(LayerCase c, String name, long... shape) {
        INDArray p = c.params().get(name);
        if (p == null) throw new IllegalArgumentException(c.layer() + " case has no param '" + name + "'");
        LayerConformance.requireShape("param " + name, p, shape);
        return floats(p);
    }

    private static float[] floats(INDArray a) {
        return a.castTo(DataType.FLOAT).dup('c').data().asFloat();
    }

    private static INDArray input(LayerCase c, String name, int rank) {
        INDArray a = c.inputs().get(name);
        if (a == null) throw new IllegalArgumentException(c.layer() + " case has no input '" + name + "'");
        if (a.rank() != rank) {
            throw new IllegalArgumentException(c.layer() + " input " + name + " must have rank " + rank + ", got shape "
                    + Arrays.toString(a.shape()));
        }
        return a.castTo(DataType.FLOAT);
    }

    private static INDArray upstream(LayerCase c, String output, long[] shape) {
        INDArray r = c.upstream().get(output);
        if (r == null) throw new IllegalArgumentException(c.layer() + " case has no upstream '" + output + "'");
        LayerConformance.requireShape("upstream " + output, r, shape);
        return r.castTo(DataType.FLOAT);
    }

    /** [B, C, L] (the reference's layout) → the layers' rows [B·L, C]. */
    static INDArray rowsFromChannels(INDArray a) {
        return a.castTo(DataType.FLOAT).permute(0, 2, 1).dup('c').reshape('c', a.size(0) * a.size(2), a.size(1));
    }

    /** Rows [B·L, C] → [B, C, L]. */
    static INDArray channelsFromRows(INDArray rows, int batch, int seq) {
        return rows.reshape('c', batch, seq, rows.size(1)).permute(0, 2, 1).dup('c');
    }
}
