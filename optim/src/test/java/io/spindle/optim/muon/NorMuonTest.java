package io.spindle.optim.muon;

import io.spindle.optim.FlatParams;
import io.spindle.optim.ResumeCheck;
import org.junit.jupiter.api.Test;

import java.util.Set;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NorMuonTest {

    @Test
    void keepsOneSecondMomentPerOutputNeuron() {
        FlatParams p = new FlatParams("w", "matrix", new long[] {6, 4});
        NorMuon opt = new NorMuon(0.95, 0.95, 0.01);
        p.randomGrads(new SplittableRandom(2), 1.0);
        opt.step(p.slots, 0.02);
        assertEquals(Set.of("step", "w/momentum", "w/second_momentum"), opt.state().keySet());
        assertArrayEquals(new long[] {6, 1}, opt.state().get("w/second_momentum").shape());
        assertTrue(opt.state().get("w/second_momentum").minNumber().doubleValue() > 0, "row statistics stayed zero");
    }

    @Test
    void resumeIsBitExact() {
        ResumeCheck.assertBitExactResume(() -> new NorMuon(0.9, 0.95, 0.1),
                () -> new FlatParams("a", "matrix", new long[] {7, 3}, "b", "matrix", new long[] {2, 6}), 2, 3, 0.02);
    }

    @Test
    void loadRejectsSecondMomentOfWrongShape() {
        NorMuon a = new NorMuon(0.9, 0.95, 0.1);
        FlatParams p = new FlatParams("w", "matrix", new long[] {4, 3});
        a.step(p.slots, 0.02);
        var state = new java.util.LinkedHashMap<>(a.state());
        state.put("w/second_momentum", org.nd4j.linalg.factory.Nd4j.zeros(org.nd4j.linalg.api.buffer.DataType.FLOAT, 4, 3));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new NorMuon(0.9, 0.95, 0.1).loadState(state));
        assertTrue(e.getMessage().contains("w/second_momentum"), e.getMessage());
    }

    @Test
    void rejectsBiasByName() {
        FlatParams p = new FlatParams("out.bias", "bias", new long[] {3});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new NorMuon(0.9, 0.95, 0.1).step(p.slots, 0.02));
        assertTrue(e.getMessage().contains("out.bias"), e.getMessage());
    }
}
