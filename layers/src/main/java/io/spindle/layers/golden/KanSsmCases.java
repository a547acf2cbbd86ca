package io.spindle.layers.golden;

import io.spindle.layers.core.Initializer;
import io.spindle.layers.core.ParameterSet;
import io.spindle.layers.kan.GrKanFfn;
import io.spindle.layers.kan.GroupRational;
import io.spindle.layers.kan.RationalStart;

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
            default -> throw new UnsupportedCaseException("layer '" + c.layer() + "' is not implemented in this build");
        };
    }

    /** num [groups, 6], den [groups, 4] over x's last axis. */
    private static LayerResult rational(LayerCase c) {
        LayerConformance.Activations x = LayerConformance.Activations.of(c);
        ParameterSet params = new ParameterSet();
        GroupRational unit = new GroupRational(params, "rational", x.features(),
                (int) LayerConformance.number(c, "groups", null), RationalStart.IDENTITY);
        return LayerConformance.run(c, x, params, Map.of("num", "rational.num", "den", "rational.den"),
                unit::forward, unit::backward);
    }

    /** fc1 = (w1, b1), fc2 = (w2, b2); rational1 = (num1, den1) on x, rational2 = (num2, den2) on fc1's output. */
    private static LayerResult grKanFfn(LayerCase c) {
        LayerConformance.Activations x = LayerConformance.Activations.of(c);
        ParameterSet params = new ParameterSet();
        GrKanFfn ffn = new GrKanFfn(params, "ffn", x.features(), (int) LayerConformance.number(c, "hidden", null),
                (int) LayerConformance.number(c, "groups", null), UNUSED_INIT, UNUSED_INIT);
        Map<String, String> names = new LinkedHashMap<>();
        names.put("num1", "ffn.rational1.num");
        names.put("den1", "ffn.rational1.den");
        names.put("w1", "ffn.fc1");
        names.put("b1", "ffn.fc1_bias");
        names.put("num2", "ffn.rational2.num");
        names.put("den2", "ffn.rational2.den");
        names.put("w2", "ffn.fc2");
        names.put("b2", "ffn.fc2_bias");
        return LayerConformance.run(c, x, params, names, ffn::forward, ffn::backward);
    }
}
