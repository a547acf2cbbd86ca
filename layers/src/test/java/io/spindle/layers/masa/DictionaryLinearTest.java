package io.spindle.layers.masa;

import io.spindle.layers.core.Initializer;
import io.spindle.layers.core.Parameter;
import io.spindle.layers.core.ParameterRole;
import io.spindle.layers.core.ParameterSet;
import io.spindle.layers.testing.FiniteDifference;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class DictionaryLinearTest {
    private static final int LAYERS = 3, ATOMS = 2, OUT = 5, IN = 4;

    private static MatrixDictionary build(ParameterSet params) {
        MatrixDictionary d = new MatrixDictionary(params, "dict.q", LAYERS, ATOMS, OUT, IN, Initializer.normal(0.5),
                Initializer.normal(0.8));
        params.allocate(17);
        return d;
    }

    @Test
    void atomsAndCoefficientsAreParametersWithTheirOwnRoles() {
        ParameterSet params = new ParameterSet();
        build(params);
        assertEquals(ParameterRole.ATOM, params.get("dict.q.atom0").role());
        assertArrayEquals(new long[] {OUT, IN}, params.get("dict.q.atom1").shape());
        assertEquals(ParameterRole.COEFFICIENT, params.get("dict.q.coefficients").role());
        assertArrayEquals(new long[] {LAYERS, ATOMS}, params.get("dict.q.coefficients").shape());
    }

    /** Independent reference: W_l = sum_s c[l, s] A_s and y = x W_l^T in double precision. */
    @Test
    void forwardUsesTheLayersCombinationOfAtoms() {
        ParameterSet params = new ParameterSet();
        MatrixDictionary d = build(params);
        INDArray x = FiniteDifference.normal(new SplittableRandom(1), 1, 7, IN);
        for (int l = 0; l < LAYERS; l++) {
            INDArray y = new DictionaryLinear(d, l).forward(x);
            for (int r = 0; r < 7; r++) {
                for (int o = 0; o < OUT; o++) {
                    double s = 0;
                    for (int i = 0; i < IN; i++) {
                        double w = 0;
                        for (int a = 0; a < ATOMS; a++) w += d.coefficients().value().getFloat(l, a) * (double) d.atom(a).value().getFloat(o, i);
                        s += w * x.getFloat(r, i);
                    }
                    assertEquals(s, y.getFloat(r, o), 1e-5);
                }
            }
        }
    }

    /** Three layers share one dictionary: the loss sums all of them, so shared atoms collect every layer's gradient. */
    @Test
    void sharedDictionaryGradientsMatchFiniteDifferences() {
        SplittableRandom random = new SplittableRandom(2);
        ParameterSet params = new ParameterSet();
        MatrixDictionary d = build(params);
        DictionaryLinear[] layers = new DictionaryLinear[LAYERS];
        for (int l = 0; l < LAYERS; l++) layers[l] = new DictionaryLinear(d, l);
        INDArray x = FiniteDifference.normal(random, 1, 6, IN);
        INDArray[] r = new INDArray[LAYERS];
        for (int l = 0; l < LAYERS; l++) r[l] = FiniteDifference.normal(random, 1, 6, OUT);
        java.util.function.DoubleSupplier loss = () -> {
            double s = 0;
            for (int l = 0; l < LAYERS; l++) s += FiniteDifference.dot(layers[l].forward(x), r[l]);
            return s;
        };
        loss.getAsDouble();
        INDArray dx = x.mul(0);
        for (int l = 0; l < LAYERS; l++) layers[l].backward(r[l], dx, true);
        FiniteDifference.check("dx", x, dx, loss, 1e-2, 1e-3, random);
        for (Parameter p : params.parameters()) FiniteDifference.check("d" + p.name(), p.value(), p.grad(), loss, 1e-2, 1e-3, random);
    }

    @Test
    void rejectsLayersOutsideTheDictionary() {
        ParameterSet params = new ParameterSet();
        MatrixDictionary d = build(params);
        assertThrows(IllegalArgumentException.class, () -> new DictionaryLinear(d, LAYERS));
    }
}
