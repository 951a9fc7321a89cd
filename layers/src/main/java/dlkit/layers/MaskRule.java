package dlkit.layers;

/**
 * What a layer does with the time-step mask ({@code [batch, steps]}, 1 = real step, 0 = padding) that
 * {@code Embedding(mask_zero)} or {@code Masking} starts: recurrent layers skip masked steps, carrying their state.
 */
public enum MaskRule {
    /** The mask ends here (the default, e.g. Flatten, or a recurrent layer returning only its last output). */
    DROP,
    /** The output has the input's steps and keeps its mask (Dropout, Dense on sequences, return_sequences RNNs). */
    PASS,
    /** The layer computes a new mask from its input ({@code Masking}, {@code Embedding} with mask_zero). */
    MAKE
}
