package dlkit.layers;

/** A layer bound to its buffers. Neither method allocates: everything was planned at compile time. */
public interface Kernel {
    /** Computes the output for the first {@code n} rows; {@code step} seeds stochastic layers reproducibly. */
    void forward(int n, boolean training, long step);

    /** From the output gradient, writes the input gradient (when there is one) and overwrites the weight gradients. */
    void backward(int n);

    /** The regularisation penalty this layer adds to the loss. */
    default double penalty() {
        return 0;
    }

    Kernel NONE = new Kernel() {
        @Override
        public void forward(int n, boolean training, long step) {}

        @Override
        public void backward(int n) {}
    };
}
