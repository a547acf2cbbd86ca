package io.spindle.spark.train;

import io.spindle.spark.config.ConfigException;
import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClusterPreflightTest {
    @Test
    void aLocalMasterWithFewerThreadsThanRanksIsRefused() {
        ClusterPreflight.checkLocalSlots("local[2]", 2);
        ClusterPreflight.checkLocalSlots("spark://master:7077", 64);
        ConfigException e = assertThrows(ConfigException.class, () -> ClusterPreflight.checkLocalSlots("local", 2));
        assertTrue(e.getMessage().contains("spark.master") && e.getMessage().contains("local[2]")
                && e.getMessage().contains("parallel.dp"), e.getMessage());
        assertThrows(ConfigException.class, () -> ClusterPreflight.checkLocalSlots("local[3,2]", 4));
    }

    @Test
    void slotsAreEachExecutorsCoresOverTheCoresPerTask() {
        assertEquals(4, ClusterPreflight.slots(List.of(2, 2), 1));
        assertEquals(2, ClusterPreflight.slots(List.of(3, 3), 2), "a remainder core runs nothing");
        assertEquals(0, ClusterPreflight.slots(List.of(), 1));
        assertThrows(ConfigException.class, () -> ClusterPreflight.slots(List.of(2), 0));
    }

    @Test
    void tooFewSlotsNamesWhatIsThereAndTheFix() {
        ConfigException e = ClusterPreflight.tooFewSlots(new ClusterPreflight.Slots(1,
                List.of("executor 0 on 10.0.0.1:4040 with 1 core(s)"), 1), 2, Duration.ofSeconds(30));
        String m = e.getMessage();
        assertTrue(m.contains("offers 1 task slot(s) after waiting 30 s") && m.contains("executor 0 on 10.0.0.1")
                && m.contains("= 2 ranks") && m.contains("spark.cores.max") && m.contains("lower parallel.dp"), m);
    }

    @Test
    void dynamicAllocationIsRefusedOnAClusterWithTheSettingToChange() {
        SparkConf on = new SparkConf(false).set("spark.dynamicAllocation.enabled", "true");
        ConfigException e = assertThrows(ConfigException.class, () -> ClusterPreflight.refuseDynamicAllocation(on, false));
        assertTrue(e.getMessage().contains("spark.dynamicAllocation.enabled=false"), e.getMessage());
        ClusterPreflight.refuseDynamicAllocation(on, true); // Spark ignores it on a local master
        ClusterPreflight.refuseDynamicAllocation(new SparkConf(false), false);
    }
}
