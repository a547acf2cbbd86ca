package io.spindle.parallel.comm;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The in-process rendezvous fails loudly and in bounded time, like the TCP ring. */
class InProcessGroupTest {

    @Test
    void callsWithDifferentSizesFailOnEveryRank() {
        List<Communicator> comms = InProcessGroup.create(2, Duration.ofSeconds(5));
        List<RankThreads.Outcome<Object>> outcomes = RankThreads.run(2, 20, r -> {
            comms.get(r).allReduce(Nd4j.zeros(DataType.FLOAT, 10 + r), ReduceOp.SUM);
            return null;
        });
        for (RankThreads.Outcome<Object> o : outcomes) {
            assertTrue(o.error() instanceof CommunicatorException, String.valueOf(o.error()));
            assertTrue(o.error().getMessage().contains("ALL_REDUCE #0 of 11 elements"), o.error().getMessage());
        }
    }

    @Test
    void aRankThatNeverArrivesIsNamedAfterTheTimeout() {
        List<Communicator> comms = InProcessGroup.create(3, Duration.ofMillis(800));
        List<RankThreads.Outcome<Object>> outcomes = RankThreads.run(2, 20, r -> {
            comms.get(r).barrier();
            return null;
        });
        for (RankThreads.Outcome<Object> o : outcomes) {
            assertTrue(o.error() instanceof CommunicatorException, String.valueOf(o.error()));
            assertTrue(o.error().getMessage().contains("rank(s) [2]"), o.error().getMessage());
            assertTrue(o.millis() < 3000, "took " + o.millis() + " ms");
        }
    }

    @Test
    void closingARankReleasesTheOthersAtOnce() {
        List<Communicator> comms = InProcessGroup.create(2, Duration.ofSeconds(30));
        List<RankThreads.Outcome<Object>> outcomes = RankThreads.run(2, 20, r -> {
            if (r == 1) {
                Thread.sleep(200);
                comms.get(1).close();
                return null;
            }
            comms.get(0).allReduce(Nd4j.ones(DataType.FLOAT, 5), ReduceOp.SUM);
            return null;
        });
        Throwable error = outcomes.get(0).error();
        assertTrue(error instanceof CommunicatorException, String.valueOf(error));
        assertTrue(error.getMessage().contains("rank 1 of 2 closed"), error.getMessage());
        assertTrue(outcomes.get(0).millis() < 5000, "waited " + outcomes.get(0).millis() + " ms instead of failing at close");
        CommunicatorException closed = assertThrows(CommunicatorException.class, () -> comms.get(1).barrier());
        assertTrue(closed.getMessage().contains("closed"), closed.getMessage());
    }
}
