package io.spindle.parallel.train;

/**
 * What a checkpoint records about the run that wrote it: the full resolved config text (so the
 * run can be reproduced from the checkpoint alone, as Tribuo does with provenance) and the mesh.
 */
public record RunIdentity(String resolvedConfig, int dataParallel, int tensorParallel) {
}
