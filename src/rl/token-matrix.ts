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
    for (const [b, row] of m.entries()) {
      if (length === -1) length = row.length;
      if (row.length !== length) throw new RangeError(`${name}[${b}] has length ${row.length}, expected ${length}`);
    }
  }
  return { batch: Math.max(batch, 0), length: Math.max(length, 0) };
}

/**
 * Per row b: `sum` = Σ_t mask[b][t] * values[b][t] and `count` = Σ_t mask[b][t], the masked sums every
 * aggregation mode is made of. Checks that the two share one shape.
 */
export function maskedRowSums(values: TokenMatrix, mask: TokenMatrix): { sum: number; count: number }[] {
  const { length } = matrixShape({ values, mask });
  return values.map((row, b) => {
    const maskRow = mask[b] ?? [];
    let sum = 0;
    let count = 0;
    for (let t = 0; t < length; t++) {
      const m = maskRow[t] ?? 0; // t < length, the shared row length (matrixShape)
      sum += m * (row[t] ?? 0);
      count += m;
    }
    return { sum, count };
  });
}
