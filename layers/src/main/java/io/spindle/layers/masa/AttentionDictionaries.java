package io.spindle.layers.masa;

import io.spindle.layers.core.Initializer;
import io.spindle.layers.core.ParameterSet;

/**
 * MASA's four dictionaries, one per projection type (Q, K, V, O), each shared by every layer of
 * the model. Registered as {@code prefix.q|k|v|o.atom<s>} and {@code prefix.q|k|v|o.coefficients}.
 */
public record AttentionDictionaries(MatrixDictionary q, MatrixDictionary k, MatrixDictionary v, MatrixDictionary o) {

    /** The projection types in registration order. */
    public static final char[] TYPES = {'q', 'k', 'v', 'o'};

    /**
     * Registers the four dictionaries for {@code layers} layers of width {@code dModel} with
     * {@code atoms} atoms each. Atoms of q, k, v are drawn from {@code init}, those of o from
     * {@code outputInit}; coefficients start normal with std 1/sqrt(atoms), so each initial
     * W_l has entries of its atoms' scale (sum of {@code atoms} terms of variance 1/atoms).
     */
    public static AttentionDictionaries register(ParameterSet params, String prefix, int layers, int atoms, int dModel,
                                                 Initializer init, Initializer outputInit) {
        if (atoms <= 0 || atoms > layers) {
            throw new IllegalArgumentException("model.masa.atoms=" + atoms + " must be in [1, model.layers=" + layers
                    + "]; more atoms than layers shares nothing (the paper uses about layers/3)");
        }
        Initializer coefficients = Initializer.normal(1.0 / Math.sqrt(atoms));
        MatrixDictionary[] d = new MatrixDictionary[4];
        for (int i = 0; i < 4; i++) {
            d[i] = new MatrixDictionary(params, prefix + "." + TYPES[i], layers, atoms, dModel, dModel,
                    TYPES[i] == 'o' ? outputInit : init, coefficients);
        }
        return new AttentionDictionaries(d[0], d[1], d[2], d[3]);
    }

    public MatrixDictionary of(char type) {
        return switch (type) {
            case 'q' -> q;
            case 'k' -> k;
            case 'v' -> v;
            case 'o' -> o;
            default -> throw new IllegalArgumentException("no MASA projection type '" + type + "'; choose q, k, v or o");
        };
    }

    /** Scalars in all four dictionaries. */
    public long parameterCount() {
        return q.parameterCount() + k.parameterCount() + v.parameterCount() + o.parameterCount();
    }
}
