package io.spindle.parallel.comm;

/** Collective kinds as numbered in the TCP frame header; the ids are part of the wire format. */
enum CollectiveOp {
    ALL_REDUCE(1),
    REDUCE_SCATTER(2),
    ALL_GATHER(3),
    BROADCAST(4),
    BARRIER(5),
    /** Not a collective: a rank that failed tells its successor why before it closes. */
    ABORT(99);

    final int id;

    CollectiveOp(int id) {
        this.id = id;
    }

    static String nameOf(int id) {
        for (CollectiveOp op : values()) if (op.id == id) return op.name();
        return "unknown op " + id;
    }
}
