package dlkit.tune;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class HyperbandTest {
    /** Li et al. 2017, Table 1: R = 81, η = 3 — each bracket's (n_i, r_i). */
    @Test
    void bracketsMatchThePapersTable() {
        List<Hyperband.Bracket> b = Hyperband.brackets(81, 3);
        assertEquals(5, b.size());
        int[][][] table = {
                {{81, 1}, {27, 3}, {9, 9}, {3, 27}, {1, 81}},
                {{34, 3}, {11, 9}, {3, 27}, {1, 81}},
                {{15, 9}, {5, 27}, {1, 81}},
                {{8, 27}, {2, 81}},
                {{5, 81}}};
        for (int s = 0; s < table.length; s++) {
            assertEquals(4 - s, b.get(s).s());
            assertEquals(table[s].length, b.get(s).rungs().size(), "bracket s=" + (4 - s));
            for (int i = 0; i < table[s].length; i++) {
                assertEquals(new Hyperband.Rung(table[s][i][0], table[s][i][1]), b.get(s).rungs().get(i), "bracket s=" + (4 - s) + ", rung " + i);
            }
        }
    }

    @Test
    void smallBudgetsAndExactPowers() {
        assertEquals(2, Hyperband.sMax(9, 3));
        assertEquals(2, Hyperband.sMax(26, 3));
        assertEquals(3, Hyperband.sMax(27, 3));
        assertEquals(0, Hyperband.sMax(1, 3));
        List<Hyperband.Bracket> b = Hyperband.brackets(9, 3);
        assertEquals(List.of(new Hyperband.Rung(9, 1), new Hyperband.Rung(3, 3), new Hyperband.Rung(1, 9)), b.get(0).rungs());
        assertEquals(List.of(new Hyperband.Rung(5, 3), new Hyperband.Rung(1, 9)), b.get(1).rungs());
        assertEquals(List.of(new Hyperband.Rung(3, 9)), b.get(2).rungs());
        assertEquals(9 + 9 + 9 + 15 + 9 + 27, Hyperband.epochs(b));
    }
}
