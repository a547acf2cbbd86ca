package io.spindle.optim.state;

import io.spindle.optim.coat.CoatQuantizer;
import io.spindle.optim.coat.CoatStateStore;
import io.spindle.optim.offload.OffloadStateStore;
import io.spindle.optim.offload.OffloadWindow;

import java.util.Locale;

/**
 * How optimizers store their state: {@code dense} float32, or {@code coat} FP8 with per-group
 * range expansion (config {@code optim.state} and {@code optim.coatGroupSize}), in memory or
 * offloaded to SSD files together with fp32 master weights ({@code optim.offload.*}). Every
 * optimizer takes one and builds its {@link StateStore} from it, so any optimizer runs either way.
 *
 * @param kind      dense or coat
 * @param groupSize COAT's group size G (ignored for dense)
 * @param offload   the window offloaded stores stream through, or null for in-memory state; the
 *                  caller owns it (every store made from this format retains it)
 */
public record StateFormat(Kind kind, int groupSize, OffloadWindow offload) {
    public enum Kind { DENSE, COAT }

    public static final StateFormat DENSE = new StateFormat(Kind.DENSE, CoatQuantizer.DEFAULT_GROUP_SIZE);

    /** In memory. */
    public StateFormat(Kind kind, int groupSize) {
        this(kind, groupSize, null);
    }

    public StateFormat {
        if (kind == null) throw new IllegalArgumentException("state format kind is null; use dense or coat");
        if (groupSize < 1) {
            throw new IllegalArgumentException("optim.coatGroupSize=" + groupSize + " must be positive; "
                    + CoatQuantizer.DEFAULT_GROUP_SIZE + " is COAT's default");
        }
    }

    /** This format with its state offloaded through {@code window} (owned by the caller). */
    public StateFormat offloadedThrough(OffloadWindow window) {
        return new StateFormat(kind, groupSize, window);
    }

    /** COAT with group size G. */
    public static StateFormat coat(int groupSize) {
        return new StateFormat(Kind.COAT, groupSize);
    }

    /** From the config's spelling ({@code dense} or {@code coat}). */
    public static StateFormat parse(String name, int groupSize) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "dense" -> new StateFormat(Kind.DENSE, groupSize);
            case "coat" -> coat(groupSize);
            default -> throw new IllegalArgumentException("optim.state=\"" + name + "\" is unknown; choose dense"
                    + " (float32 state) or coat (FP8 state, about a quarter of the memory)");
        };
    }

    /** A store for the given slots; {@code perRow[s]} marks a [rows, 1] statistic. */
    public StateStore create(String[] slotNames, boolean[] perRow) {
        if (offload != null) {
            return kind == Kind.DENSE ? OffloadStateStore.dense(slotNames, perRow, offload)
                    : OffloadStateStore.coat(groupSize, slotNames, perRow, offload);
        }
        return kind == Kind.DENSE ? new DenseStateStore(slotNames, perRow)
                : new CoatStateStore(groupSize, slotNames, perRow);
    }

    /** A store whose slots are all shaped like the parameter. */
    public StateStore create(String... slotNames) {
        return create(slotNames, new boolean[slotNames.length]);
    }
}
