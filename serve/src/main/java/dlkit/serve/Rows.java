package dlkit.serve;

/** A request's samples: {@code inputs[i]} holds input i's {@code n} samples row-major, as the predictor takes them. */
record Rows(float[][] inputs, int n) {}
