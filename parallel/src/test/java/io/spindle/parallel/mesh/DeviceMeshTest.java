package io.spindle.parallel.mesh;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DeviceMeshTest {

    @Test
    void twoByTwoPutsTensorPeersNextToEachOther() {
        DeviceMesh mesh = new DeviceMesh(2, 2);
        assertEquals(4, mesh.world());
        assertEquals(List.of(0, 1), mesh.tpGroup(0));
        assertEquals(List.of(0, 1), mesh.tpGroup(1));
        assertEquals(List.of(2, 3), mesh.tpGroup(3));
        assertEquals(List.of(0, 2), mesh.dpGroup(0));
        assertEquals(List.of(1, 3), mesh.dpGroup(1));
        assertEquals(List.of(1, 3), mesh.dpGroup(3));
        assertEquals(1, mesh.dpIndex(2));
        assertEquals(0, mesh.tpIndex(2));
        assertEquals(3, mesh.rankOf(1, 1));
    }

    /** Every rank sits in exactly one DP and one TP group, at its own coordinates, for each layout. */
    @ParameterizedTest(name = "{0}x{1}")
    @CsvSource({"1,1", "2,1", "2,2", "4,1", "1,4"})
    void groupsPartitionTheWorld(int dp, int tp) {
        DeviceMesh mesh = new DeviceMesh(dp, tp);
        assertEquals(dp * tp, mesh.world());
        for (int rank = 0; rank < mesh.world(); rank++) {
            int d = mesh.dpIndex(rank);
            int t = mesh.tpIndex(rank);
            assertEquals(rank, d * tp + t, "TP-major-inner layout");
            assertEquals(rank, mesh.rankOf(d, t));
            List<Integer> dpGroup = mesh.dpGroup(rank);
            List<Integer> tpGroup = mesh.tpGroup(rank);
            assertEquals(dp, dpGroup.size());
            assertEquals(tp, tpGroup.size());
            assertEquals(rank, dpGroup.get(d), "group rank in the DP group is the dp index");
            assertEquals(rank, tpGroup.get(t), "group rank in the TP group is the tp index");
            for (int member : dpGroup) {
                assertEquals(t, mesh.tpIndex(member), "DP peers hold the same TP shard");
                assertEquals(dpGroup, mesh.dpGroup(member));
            }
            for (int i = 0; i < tpGroup.size(); i++) {
                assertEquals(tpGroup.get(0) + i, tpGroup.get(i), "TP peers are adjacent ranks");
                assertEquals(d, mesh.dpIndex(tpGroup.get(i)));
            }
        }
    }

    @Test
    void exampleLayoutsMatchHandWrittenGroups() {
        assertEquals(List.of(0, 1, 2, 3), new DeviceMesh(4, 1).dpGroup(2));
        assertEquals(List.of(2), new DeviceMesh(4, 1).tpGroup(2));
        assertEquals(List.of(0, 1, 2, 3), new DeviceMesh(1, 4).tpGroup(2));
        assertEquals(List.of(2), new DeviceMesh(1, 4).dpGroup(2));
        assertEquals(List.of(0), new DeviceMesh(1, 1).dpGroup(0));
        assertEquals(List.of(1), new DeviceMesh(2, 1).tpGroup(1));
    }

    @Test
    void invalidValuesAreNamed() {
        assertMessage(() -> new DeviceMesh(0, 2), "mesh.dp=0");
        assertMessage(() -> new DeviceMesh(2, -1), "mesh.tp=-1");
        assertMessage(() -> DeviceMesh.of(6, 4), "mesh.tp=4 does not divide world=6");
        assertMessage(() -> new DeviceMesh(2, 2).tpGroup(4), "rank=4");
        assertMessage(() -> new DeviceMesh(2, 2).rankOf(0, 2), "tpIndex=2");
        assertEquals(new DeviceMesh(3, 2), DeviceMesh.of(6, 2));
    }

    private static void assertMessage(Runnable r, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
