package io.spindle.layers.ssm;

import io.spindle.layers.core.Buffers;
import io.spindle.layers.core.Parameter;

import java.nio.FloatBuffer;

/** Bulk copies between a parameter's flat-buffer views and the Java arrays the state-space kernels work on. */
final class ParameterArrays {
    private ParameterArrays() {}

    /** The parameter's value, c-order, as a new array. */
    static float[] values(Parameter p) {
        float[] out = new float[(int) p.size()];
        Buffers.floats(p.value()).get((int) p.value().offset(), out, 0, out.length);
        return out;
    }

    /** grad += delta, elementwise in c-order. */
    static void addToGrad(Parameter p, float[] delta) {
        if (delta.length != p.size()) {
            throw new IllegalArgumentException(p.name() + ": gradient has " + delta.length + " values, expected " + p.size());
        }
        FloatBuffer g = Buffers.floats(p.grad());
        int off = (int) p.grad().offset();
        float[] current = new float[delta.length];
        g.get(off, current, 0, current.length);
        for (int i = 0; i < delta.length; i++) current[i] += delta[i];
        g.put(off, current, 0, current.length);
    }
}
