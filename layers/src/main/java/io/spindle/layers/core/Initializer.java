package io.spindle.layers.core;

import java.util.SplittableRandom;

/**
 * Fills a parameter's initial values. Initialization draws from a generator seeded by the model
 * seed and the parameter's name, so a parameter's start does not depend on the order layers are
 * built in or on ND4J's global RNG.
 */
@FunctionalInterface
public interface Initializer {
    void fill(float[] values, long[] shape, SplittableRandom random);

    static Initializer constant(float c) {
        return (values, shape, random) -> java.util.Arrays.fill(values, c);
    }

    /** Normal(0, std^2), the GPT-2 / nanoGPT choice for linear and embedding weights. */
    static Initializer normal(double std) {
        return (values, shape, random) -> {
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) (gaussian(random) * std);
            }
        };
    }

    private static double gaussian(SplittableRandom random) {
        // Box–Muller: SplittableRandom has no nextGaussian on Java 17.
        double u1 = 1.0 - random.nextDouble();
        double u2 = random.nextDouble();
        return Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2.0 * Math.PI * u2);
    }
}
