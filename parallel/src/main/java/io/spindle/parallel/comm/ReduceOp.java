package io.spindle.parallel.comm;

/** How the contributions of the ranks are combined. AVG is the float32 sum divided by the group size. */
public enum ReduceOp {
    SUM,
    AVG
}
