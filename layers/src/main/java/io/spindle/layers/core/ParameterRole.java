package io.spindle.layers.core;

/**
 * What a parameter is for. Optimizers route by role (2-D hidden matrices to the Muon family,
 * the rest to AdamW) and checkpoints record it, so every parameter declares one.
 */
public enum ParameterRole {
    /** A 2-D hidden weight matrix stored {@code [out, in]}, used as {@code y = x W^T}. */
    MATRIX,
    /** A token embedding table {@code [vocab, dModel]}. */
    EMBEDDING,
    /** The language-model output projection {@code [vocab, dModel]}. */
    HEAD,
    /** A normalization gain. */
    NORM,
    /** An additive bias. */
    BIAS,
    /** A shared matrix atom (MASA). */
    ATOM,
    /** A mixing or rational-function coefficient. */
    COEFFICIENT,
    /** Any other 1-D parameter (state-space step sizes, decay rates). */
    VECTOR
}
