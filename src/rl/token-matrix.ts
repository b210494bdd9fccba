/**
 * A per-token quantity over a batch of sequences: `matrix[b][t]`, shape [B][T], every row the same length T
 * (right-padded; a mask says which positions are real response tokens).
 *
 * Rows are `ArrayLike<number>` so callers can pass plain arrays, Float32Array rows or `subarray` views of one
 * flat [B*T] buffer without copying.
 */
export type TokenMatrix = ReadonlyArray<ArrayLike<number>>;

/** Checks that `matrices` share one [B][T] shape and returns it. Throws a RangeError naming the culprit. */
export function matrixShape(matrices: Record<string, TokenMatrix>): { batch: number; length: number } {
  let batch = -1;
  let length = -1;
  for (const [name, m] of Object.entries(matrices)) {
    if (batch === -1) batch = m.length;
    if (m.length !== batch) throw new RangeError(`${name} has ${m.length} rows, expected ${batch}`);
    for (let b = 0; b < m.length; b++) {
      if (length === -1) length = m[b].length;
      if (m[b].length !== length) throw new RangeError(`${name}[${b}] has length ${m[b].length}, expected ${length}`);
    }
  }
  return { batch: Math.max(batch, 0), length: Math.max(length, 0) };
}
