package io.spindle.layers.matformer;

import io.spindle.layers.core.Buffers;
import io.spindle.layers.core.Initializer;
import io.spindle.layers.core.ParameterSet;
import io.spindle.layers.ffn.SwiGLU;
import io.spindle.layers.testing.FiniteDifference;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.FloatBuffer;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JointTrainingTest {

    @Test
    void summedRunsEveryGranularityWithItsWeight() {
        JointTraining joint = new JointTraining(JointTraining.Mode.SUMMED, new double[] {0.5, 0, 2}, 1);
        assertEquals(List.of(new JointTraining.Term(2, 2.0), new JointTraining.Term(0, 0.5)), joint.terms(7));
    }

    @Test
    void sampledDrawsOneGranularityPerStepInProportionToItsWeightAndRepeatably() {
        JointTraining joint = new JointTraining(JointTraining.Mode.SAMPLED, new double[] {1, 3, 0}, 42);
        int[] counts = new int[3];
        for (long step = 0; step < 8000; step++) {
            List<JointTraining.Term> terms = joint.terms(step);
            assertEquals(1, terms.size());
            assertEquals(1.0, terms.get(0).weight());
            assertEquals(terms, joint.terms(step), "the draw depends only on (seed, step)");
            counts[terms.get(0).granularity()]++;
        }
        assertEquals(0, counts[2]);
        assertEquals(0.25, counts[0] / 8000.0, 0.02);
        assertEquals(0.75, counts[1] / 8000.0, 0.02);
    }

    @Test
    void rejectsWeightsThatCannotTrainAnything() {
        assertThrows(IllegalArgumentException.class, () -> new JointTraining(JointTraining.Mode.SUMMED, new double[] {0, 0}, 1));
        assertThrows(IllegalArgumentException.class, () -> new JointTraining(JointTraining.Mode.SAMPLED, new double[] {1, -1}, 1));
        assertThrows(IllegalArgumentException.class, () -> new JointTraining(null, new double[] {1}, 1));
    }

    /**
     * The point of joint training: a nested FFN fitted to a teacher with the joint objective makes
     * every granularity useful, while fitting only the full width leaves the small prefixes poor.
     */
    @Test
    void jointTrainingMakesEverySubModelFitWhereFullOnlyTrainingDoesNot() {
        Granularities widths = Granularities.ofDivisors(32, 8, 4, 2, 1);
        double[] summed = train(JointTraining.uniform(JointTraining.Mode.SUMMED, widths.count(), 1), widths);
        double[] sampled = train(JointTraining.uniform(JointTraining.Mode.SAMPLED, widths.count(), 1), widths);
        double[] fullOnly = train(new JointTraining(JointTraining.Mode.SUMMED, new double[] {0, 0, 0, 1}, 1), widths);
        double[] initial = train(new JointTraining(JointTraining.Mode.SUMMED, new double[] {0, 0, 0, 1}, 1), widths, 0);
        for (int g = 0; g < widths.count(); g++) {
            assertTrue(summed[g] < 0.5 * initial[g], "summed: granularity " + g + " loss " + summed[g] + " vs initial " + initial[g]);
            assertTrue(sampled[g] < 0.5 * initial[g], "sampled: granularity " + g + " loss " + sampled[g] + " vs initial " + initial[g]);
        }
        assertTrue(summed[0] < 0.5 * fullOnly[0], "smallest sub-model: joint " + summed[0] + " vs full-only " + fullOnly[0]);
        assertTrue(sampled[0] < 0.5 * fullOnly[0], "smallest sub-model: sampled " + sampled[0] + " vs full-only " + fullOnly[0]);
    }

    private static double[] train(JointTraining joint, Granularities widths) {
        return train(joint, widths, 400);
    }

    /** Plain gradient descent on mean squared error to a fixed random SwiGLU teacher; returns each granularity's loss. */
    private static double[] train(JointTraining joint, Granularities widths, int steps) {
        int d = 6, rows = 128;
        SplittableRandom random = new SplittableRandom(11);
        ParameterSet teacherParams = new ParameterSet();
        SwiGLU teacher = new SwiGLU(teacherParams, "t", d, widths.hidden(), Initializer.normal(0.6), Initializer.normal(0.3));
        teacherParams.allocate(12);
        INDArray x = FiniteDifference.normal(random, 1, rows, d);
        INDArray target = teacher.forward(x).dup();

        ParameterSet params = new ParameterSet();
        MatFormerFFN student = new MatFormerFFN(params, "ffn", d, widths.hidden(), Initializer.normal(0.3), Initializer.normal(0.1));
        params.allocate(13);
        INDArray dy = Buffers.zeros(rows, d);
        for (int step = 0; step < steps; step++) {
            params.zeroGrads();
            for (JointTraining.Term term : joint.terms(step)) {
                student.useWidth(widths.width(term.granularity()));
                INDArray y = student.forward(x);
                // d(weight * mean((y - t)^2)) / dy
                dy.assign(y.sub(target).muli(2.0 * term.weight() / y.length()));
                student.backward(dy);
            }
            params.values().subi(params.grads().mul(0.1));
        }
        double[] loss = new double[widths.count()];
        for (int g = 0; g < widths.count(); g++) {
            student.useWidth(widths.width(g));
            INDArray err = student.forward(x).sub(target);
            loss[g] = squaredMean(err);
        }
        return loss;
    }

    private static double squaredMean(INDArray a) {
        FloatBuffer b = Buffers.floats(a);
        double s = 0;
        for (int i = 0; i < a.length(); i++) s += (double) b.get((int) a.offset() + i) * b.get((int) a.offset() + i);
        return s / a.length();
    }
}
