package dlkit.optim;

/**
 * One optimizer's update over flat float32 arrays: {@code p} weights, {@code g} gradients, {@code s} state
 * (moments laid out as ND4J's updater state views: e.g. Adam's [m | v]). {@code t} counts steps from 1.
 */
public interface UpdateRule {
    /** Moments below this are flushed to zero: subnormal arithmetic is many times slower and changes nothing. */
    float TINY = 1e-30f;

    int stateSize(int n);

    default void initState(float[] s, int n) {}

    void apply(float[] p, float[] g, float[] s, int n, long t, float lr);

    static float flush(float v) {
        return Math.abs(v) < TINY ? 0f : v;
    }
}
