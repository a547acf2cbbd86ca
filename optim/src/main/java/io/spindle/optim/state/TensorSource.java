package io.spindle.optim.state;

import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Named tensors whose names, types and shapes are known up front ({@link #specs}) and whose values
 * are produced one at a time, only when asked for ({@link #produce}). It lets a checkpoint of
 * optimizer state that does not fit in memory (Fuyou's offloaded state) be written and read back
 * holding about one tensor at a time: the offload store reads each tensor from its file when the
 * checkpoint writer reaches it, and a checkpoint's shard file hands the store one tensor at a time
 * on resume. State held in memory anyway is adapted with {@link #of(Map)}.
 */
public interface TensorSource {
    /** Every tensor's name, type and shape, in the order {@link #produce} makes them; names are distinct. */
    List<TensorSpec> specs();

    /**
     * Hands each tensor whose name {@code wanted} accepts to {@code sink}, in the order of {@link
     * #specs}; the others are not read. A tensor is valid only during its {@code sink} call: the
     * source may free or reuse its memory afterwards, so a sink that keeps one copies it.
     */
    void produce(Predicate<String> wanted, Sink sink) throws IOException;

    /** Takes one tensor of a {@link TensorSource} at a time. */
    @FunctionalInterface
    interface Sink {
        void accept(TensorSpec spec, INDArray tensor) throws IOException;
    }

    /** {@link #produce} of every tensor. */
    default void produce(Sink sink) throws IOException {
        produce(name -> true, sink);
    }

    /** Whether {@link #specs} names {@code name}. */
    default boolean contains(String name) {
        for (TensorSpec s : specs()) {
            if (s.name().equals(name)) return true;
        }
        return false;
    }

    /** A copy of one tensor, read on its own (a step count, a group size); IllegalArgumentException when there is none. */
    default INDArray read(String name) {
        Map<String, INDArray> one = new LinkedHashMap<>();
        try {
            produce(name::equals, (spec, t) -> one.put(spec.name(), t.dup('c')));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read tensor " + name + ": " + e.getMessage(), e);
        }
        INDArray t = one.get(name);
        if (t == null) throw new IllegalArgumentException("missing tensor " + name);
        return t;
    }

    /**
     * Every tensor in memory at once, by name in {@link #specs} order: for state that fits in
     * memory (in-memory stores, tensor-parallel gathers, tools). Copies unless the source already is a map.
     */
    default Map<String, INDArray> toMap() {
        Map<String, INDArray> out = new LinkedHashMap<>();
        try {
            produce((spec, t) -> out.put(spec.name(), t.dup('c')));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read tensors: " + e.getMessage(), e);
        }
        return out;
    }

    /** The same tensors named {@code prefix + name}. */
    default TensorSource prefixed(String prefix) {
        return new TensorSourceViews.Prefixed(this, prefix);
    }

    /** The tensors named {@code prefix + x}, named {@code x}; the others are neither listed nor read. */
    default TensorSource under(String prefix) {
        return new TensorSourceViews.Under(this, prefix);
    }

    /** Tensors already in memory, produced as they are (not copied); {@link #toMap} returns them. */
    static TensorSource of(Map<String, INDArray> tensors) {
        return new TensorSourceViews.InMemory(tensors);
    }

    /** The tensors of {@code parts}, one part after the other. */
    static TensorSource concat(List<TensorSource> parts) {
        return new TensorSourceViews.Concat(List.copyOf(parts));
    }
}
