package io.spindle.optim;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Gives an update that needs a whole matrix (the Muon family's orthogonalization) the matrix when
 * this process holds only a slice of the parameter: tensor parallelism supplies one that all-gathers
 * the holders' slices and cuts this holder's part back out, so an optimizer stays single-device code.
 * {@link #WHOLE}, for a parameter held whole, is never asked to gather.
 */
public interface TensorSlices {
    TensorSlices WHOLE = new TensorSlices() {
        @Override
        public boolean whole() { return true; }

        @Override
        public INDArray gather(INDArray local) { return local; }

        @Override
        public INDArray cut(INDArray whole) { return whole; }
    };

    /** Whether this process holds the whole parameter. */
    boolean whole();

    /** The whole tensor from every holder's {@code local} slice, a new array; every holder calls it together. */
    INDArray gather(INDArray local);

    /** This holder's slice of {@code whole}, a new c-order array. */
    INDArray cut(INDArray whole);
}
