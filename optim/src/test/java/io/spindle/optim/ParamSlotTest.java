package io.spindle.optim;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ParamSlotTest {
    private final INDArray value = Nd4j.zeros(DataType.FLOAT, 2, 3);
    private final INDArray grad = Nd4j.zeros(DataType.FLOAT, 2, 3);

    @Test
    void rejectsAnUnknownRoleListingTheAllowedOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ParamSlot("w", new long[] {2, 3}, "MATRIX", value, grad));
        assertTrue(e.getMessage().contains("MATRIX") && e.getMessage().contains("matrix"), e.getMessage());
    }

    @Test
    void rejectsViewsOfAnotherShape() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ParamSlot("w", new long[] {2, 3}, ParamSlot.MATRIX, value, Nd4j.zeros(DataType.FLOAT, 3, 2)));
        assertTrue(e.getMessage().contains("w grad") && e.getMessage().contains("[3, 2]"), e.getMessage());
    }

    @Test
    void rejectsATransposedValue() {
        INDArray transposed = Nd4j.zeros(DataType.FLOAT, 3, 2).transpose();
        assertThrows(IllegalArgumentException.class,
                () -> new ParamSlot("w", new long[] {2, 3}, ParamSlot.MATRIX, transposed, grad));
    }

    @Test
    void shapeCannotBeChangedFromOutside() {
        long[] shape = {2, 3};
        ParamSlot p = new ParamSlot("w", shape, ParamSlot.MATRIX, value, grad);
        shape[0] = 99;
        p.shape()[1] = 99;
        assertEquals(2, p.shape()[0]);
        assertEquals(3, p.shape()[1]);
        assertEquals(6, p.size());
    }
}
