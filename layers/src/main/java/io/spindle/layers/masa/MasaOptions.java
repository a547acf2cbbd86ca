package io.spindle.layers.masa;

/**
 * Config of a MASA language model ({@code model.masa.*}).
 *
 * @param atoms atoms per projection type shared by all layers; 0 means dense per-layer attention
 */
public record MasaOptions(int atoms) {

    public static final MasaOptions OFF = new MasaOptions(0);

    public MasaOptions {
        if (atoms < 0) throw new IllegalArgumentException("model.masa.atoms=" + atoms + " must be >= 0 (0 turns MASA off)");
    }

    public boolean enabled() { return atoms > 0; }
}
