/**
 * Spindle's optimizers. They see parameters as {@link io.spindle.optim.ParamSlot}s (name, logical
 * shape, role, value and gradient views into flat buffers), update them with one fused Java pass
 * per parameter, and keep their state as named float32 tensors that a checkpoint stores by name.
 * Sub-packages: {@code adamw}, {@code lamb}, {@code muon} (Muon, NorMuon and their shared
 * matrix-momentum base), {@code auon} (AuON and Hybrid-AuON), {@code math} (the pure functions they
 * are built from: Newton–Schulz, NorMuon's and AuON's normalizations), {@code routing} (parameter
 * groups: hidden matrices to a Muon-family optimizer, the rest to AdamW), {@code schedule}
 * (learning rates), {@code clip} (gradient norms), {@code state} (where state lives: dense float32),
 * {@code coat} (FP8 state), {@code offload} (Fuyou: state and fp32 master weights in SSD files,
 * streamed through a bounded window) and {@code golden} (the golden-vector adapter).
 */
package io.spindle.optim;
