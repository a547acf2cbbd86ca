package io.spindle.parallel.tp;

import io.spindle.layers.core.Parameter;
import io.spindle.layers.core.ParameterSet;
import io.spindle.layers.core.TensorSlice;
import io.spindle.optim.state.TensorSource;
import io.spindle.optim.state.TensorSpec;
import io.spindle.parallel.comm.Communicator;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

/**
 * Moves tensors between a TP rank's slices and their logical (whole) form, which is what
 * checkpoints store (DESIGN.md, "Checkpoints"): gathering is a collective over the TP group, so a
 * checkpoint written with TP=2 holds the same tensors as one written with TP=1 and loads with any
 * TP size. Optimizer state tensors named {@code <param>/<slot>} with their parameter's held shape
 * are sliced like that parameter; anything else (the step counter) is the same on every rank.
 * Optimizer state moves a tensor at a time ({@link TensorSource}), so a checkpoint of offloaded
 * state never holds more than one logical tensor.
 */
public final class LogicalTensors {
    private LogicalTensors() {}

    /** The slice {@code slice} of the logical tensor {@code logical}, a new c-order float32 array. */
    public static INDArray slice(INDArray logical, TensorSlice slice) {
        long[] shape = logical.shape();
        long[] local = slice.localShape("tensor", shape);
        float[] out = new float[Math.toIntExact(elements(local))];
        slice.copyOut(logical.ravel().toFloatVector(), shape, out);
        return Nd4j.create(out, local, 'c');
    }

    /** Every parameter by name at its logical shape; all ranks of {@code group} must call this together. */
    static Map<String, INDArray> model(ParameterSet params, Communicator group) {
        Map<String, INDArray> out = new LinkedHashMap<>();
        for (Parameter p : params.parameters()) {
            out.put(p.name(), p.slice().isWhole() ? p.value() : gather(p.value(), p.slice(), p.logicalShape(), group));
        }
        return out;
    }

    /**
     * Optimizer state at logical shapes, a tensor at a time: each sliced tensor is all-gathered when
     * it is produced, so a rank holds one logical tensor at a time (offloaded state stays in its
     * files). A collective: every rank of {@code group} must produce it, the same tensors in the
     * same order (the checkpoint's writer on one rank, {@code produce} of everything on the others).
     */
    static TensorSource optimizerState(TensorSource local, ParameterSet params, Communicator group) {
        return new MappedSource(local, spec -> {
            Parameter p = slicedOwner(spec, params, true);
            return p == null ? spec : new TensorSpec(spec.name(), spec.dtype(), p.logicalShape());
        }, (spec, tensor) -> {
            Parameter p = slicedOwner(spec, params, true);
            return p == null ? tensor : gather(tensor, p.slice(), p.logicalShape(), group);
        });
    }

    /** This rank's slices of optimizer state stored at logical shapes (the inverse of {@link #optimizerState}), a tensor at a time. */
    static TensorSource localOptimizerState(TensorSource logical, ParameterSet params) {
        return new MappedSource(logical, spec -> {
            Parameter p = slicedOwner(spec, params, false);
            return p == null ? spec : new TensorSpec(spec.name(), spec.dtype(), p.shape());
        }, (spec, tensor) -> {
            Parameter p = slicedOwner(spec, params, false);
            return p == null ? tensor : slice(tensor, p.slice());
        });
    }

    /** The sliced parameter a state tensor {@code <param>/<slot>} belongs to, or null when it is not sliced. */
    private static Parameter slicedOwner(TensorSpec spec, ParameterSet params, boolean held) {
        String key = spec.name();
        int slash = key.lastIndexOf('/');
        if (slash < 0 || !params.contains(key.substring(0, slash))) return null;
        Parameter p = params.get(key.substring(0, slash));
        if (p.slice().isWhole() || spec.dtype() != DataType.FLOAT) return null;
        long[] expected = held ? p.shape() : p.logicalShape();
        if (!Arrays.equals(spec.shape(), expected)) {
            throw new IllegalArgumentException("optimizer state " + key + " has shape " + Arrays.toString(spec.shape())
                    + " but its parameter's " + (held ? "slice" : "logical shape") + " is " + Arrays.toString(expected)
                    + "; only optimizers whose state has the parameter's shape (AdamW) run under tensor parallelism");
        }
        return p;
    }

    /** A source whose tensors are another's, each reshaped by {@code specs} and mapped by {@code values} as it is produced. */
    private record MappedSource(TensorSource inner, UnaryOperator<TensorSpec> spec,
                                BiFunction<TensorSpec, INDArray, INDArray> value) implements TensorSource {
        @Override
        public List<TensorSpec> specs() {
            return inner.specs().stream().map(spec).toList();
        }

        @Override
        public void produce(Predicate<String> wanted, Sink sink) throws IOException {
            inner.produce(wanted, (s, tensor) -> sink.accept(spec.apply(s), value.apply(s, tensor)));
        }
    }

    /** All-gathers every rank's slice and places each at its position in the logical tensor. */
    static INDArray gather(INDArray local, TensorSlice mine, long[] logicalShape, Communicator group) {
        int n = group.size();
        int k = Math.toIntExact(local.length());
        INDArray in = local.dup('c'); // contiguous whatever view it came from
        INDArray all = Nd4j.zeros(DataType.FLOAT, (long) n * k);
        group.allGather(in, all);
        float[] chunks = all.toFloatVector();
        float[] logical = new float[Math.toIntExact(elements(logicalShape))];
        for (int r = 0; r < n; r++) {
            new TensorSlice(mine.dim(), r, n).copyIn(Arrays.copyOfRange(chunks, r * k, (r + 1) * k), logicalShape, logical);
        }
        return Nd4j.create(logical, logicalShape, 'c');
    }

    private static long elements(long[] shape) {
        long n = 1;
        for (long s : shape) n *= s;
        return n;
    }
}
