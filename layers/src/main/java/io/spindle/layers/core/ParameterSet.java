package io.spindle.layers.core;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.zip.CRC32C;

/**
 * All parameters of one model, laid out in one flat float32 buffer (and one for gradients) so
 * data-parallel sync is a few bucketed all-reduces over contiguous memory. Layers register their
 * parameters while they are built; {@link #allocate(long)} then creates the buffers, binds every
 * parameter to its views and runs the initializers.
 *
 * <p>A set built with a {@link ShardLayout} other than {@link ShardLayout#WHOLE} holds, for every
 * parameter, only the slice the layout gives it: the buffers and views have the slice's shape,
 * while the parameter keeps its logical name and shape. Initialization draws the logical tensor
 * and keeps the slice, so a sliced model starts from exactly the values of the whole one.
 */
public final class ParameterSet {
    private final Map<String, Parameter> byName = new LinkedHashMap<>();
    private final ShardLayout layout;
    private INDArray values;
    private INDArray grads;

    /** A set that holds every parameter whole (a single-device model). */
    public ParameterSet() {
        this(ShardLayout.WHOLE);
    }

    /** A set that holds the slices {@code layout} assigns. */
    public ParameterSet(ShardLayout layout) {
        if (layout == null) throw new IllegalArgumentException("layout is null; use ShardLayout.WHOLE for a single device");
        this.layout = layout;
    }

    /** The layout this set's slices come from; layers use its reductions to complete sliced products. */
    public ShardLayout layout() { return layout; }

    /**
     * Registers a parameter of logical shape {@code shape}; names are unique paths such as
     * {@code blocks.0.attn.wq}. Its arrays get the shape of the slice the layout assigns.
     */
    public Parameter add(String name, long[] shape, ParameterRole role, Initializer initializer) {
        if (values != null) {
            throw new IllegalStateException("cannot add parameter " + name + " after allocate()");
        }
        if (byName.containsKey(name)) {
            throw new IllegalArgumentException("duplicate parameter name " + name);
        }
        TensorSlice slice = layout.sliceOf(name, shape);
        Parameter p = new Parameter(name, shape, slice, slice.localShape(name, shape), role, initializer);
        byName.put(name, p);
        return p;
    }

    /** Creates the flat buffers and initializes every parameter from {@code seed}. */
    public void allocate(long seed) {
        if (values != null) {
            throw new IllegalStateException("ParameterSet.allocate() called twice");
        }
        long total = totalSize();
        values = Nd4j.zeros(DataType.FLOAT, Math.max(total, 1));
        grads = Nd4j.zeros(DataType.FLOAT, Math.max(total, 1));
        FloatBuffer flat = values.data().asNioFloat();
        long offset = 0;
        for (Parameter p : byName.values()) {
            long n = p.size();
            INDArray v = values.get(NDArrayIndex.interval(offset, offset + n)).reshape('c', p.shape());
            INDArray g = grads.get(NDArrayIndex.interval(offset, offset + n)).reshape('c', p.shape());
            p.bind(offset, v, g);
            flat.put(Math.toIntExact(offset), initialValues(p, seed));
            offset += n;
        }
    }

    /** The parameter's initial values: the logical tensor drawn from the seed and the name, then sliced. */
    private static float[] initialValues(Parameter p, long seed) {
        long[] logical = p.logicalShape();
        float[] whole = new float[Math.toIntExact(Parameter.elements(logical))];
        p.initializer().fill(whole, logical, new SplittableRandom(seed ^ nameHash(p.name())));
        if (p.slice().isWhole()) return whole;
        float[] local = new float[Math.toIntExact(p.size())];
        p.slice().copyOut(whole, logical, local);
        return local;
    }

    public List<Parameter> parameters() {
        return Collections.unmodifiableList(new ArrayList<>(byName.values()));
    }

    public Parameter get(String name) {
        Parameter p = byName.get(name);
        if (p == null) {
            throw new IllegalArgumentException("no parameter named " + name + "; known: " + byName.keySet());
        }
        return p;
    }

    public boolean contains(String name) { return byName.containsKey(name); }

    /** Elements this set holds (the slices' sizes when sliced). */
    public long totalSize() {
        long total = 0;
        for (Parameter p : byName.values()) total += p.size();
        return total;
    }

    /** The flat parameter buffer, 1-D, float32. */
    public INDArray values() { return requireAllocated(values); }

    /** The flat gradient buffer, 1-D, float32, same layout as {@link #values()}. */
    public INDArray grads() { return requireAllocated(grads); }

    public void zeroGrads() { requireAllocated(grads).assign(0f); }

    private INDArray requireAllocated(INDArray a) {
        if (a == null) throw new IllegalStateException("ParameterSet.allocate() has not been called");
        return a;
    }

    /** A stable 64-bit hash of a name (CRC32C of the UTF-8 bytes, spread over both halves). */
    static long nameHash(String name) {
        CRC32C crc = new CRC32C();
        crc.update(name.getBytes(StandardCharsets.UTF_8));
        long h = crc.getValue();
        return h * 0x9E3779B97F4A7C15L;
    }
}
