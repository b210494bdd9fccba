/**
 * Loss aggregation modes: how a [B][T] per-token loss and its mask become one scalar. Kept apart from the
 * loss math (as verl's `agg_loss`), because the choice has its own effect on training: per-sequence means
 * give each token of a short answer more weight than one of a long answer (the length bias Dr. GRPO points
 * out), a global token mean weights every token equally (DAPO), a constant normaliser weights every token
 * equally and also keeps the scale independent of how many tokens the batch happens to have (Dr. GRPO).
 *
 * Every mode is linear in the loss for a fixed mask, so it is also a weighted sum, aggregated = sum(w * l).
 * The ONNX training graph implements aggregation that way, with w fed as an input from
 * {@link aggregationWeights}. Compute the weights over the whole batch once and slice rows per micro-batch:
 * the summed micro-batch gradients then equal the gradient of the full-batch loss.
 *
 * Each mode has both a plain loop (`aggregate`, the reference) and `weights`, written independently; a test
 * checks they agree.
 */
import { Registry, type Complete } from '../util/registry.js';
import { UserError } from '../util/errors.js';
import { matrixShape, maskedRowSums, type TokenMatrix } from './token-matrix.js';

import type { AggregationMode } from '../config/names.js';
export type { AggregationMode };

export interface AggregationOptions {
  /**
   * The constant L of `seq-mean-token-sum-norm` (Dr. GRPO's MAX_TOKENS): usually the maximum response length
   * of the run, so it does not change from batch to batch. Default: T, the padded row length of the mask.
   */
  normLength?: number;
}

export interface Aggregation {
  /**
   * Plain-loop reference. Mask entries weight tokens (normally 0 or 1).
   * @param perTokenLoss [B][T] @param mask [B][T] @returns the scalar loss
   */
  aggregate(perTokenLoss: TokenMatrix, mask: TokenMatrix, options?: AggregationOptions): number;
  /** @param mask [B][T] @returns w, [B*T] row-major float64, with aggregate(l, mask) = sum(w * l) */
  weights(mask: TokenMatrix, options?: AggregationOptions): Float64Array;
}

/** Sum of a row's mask (its number of response tokens). */
function rowTokens(row: ArrayLike<number>): number {
  let n = 0;
  for (let t = 0; t < row.length; t++) n += row[t] ?? 0;
  return n;
}

function normLength(mask: TokenMatrix, options?: AggregationOptions): number {
  const L = options?.normLength ?? mask[0]?.length ?? 0;
  if (!(L > 0)) throw new UserError(`seq-mean-token-sum-norm needs a normalising length > 0, got ${L}`);
  return L;
}

/** Fills w[b*T + t] = mask[b][t] * rowScale(b); shared by the weight forms. */
function scaledMask(mask: TokenMatrix, rowScale: (b: number) => number): Float64Array {
  const { batch, length } = matrixShape({ mask });
  const w = new Float64Array(batch * length);
  mask.forEach((row, b) => {
    const s = rowScale(b);
    for (let t = 0; t < length; t++) w[b * length + t] = (row[t] ?? 0) * s; // t < length (matrixShape)
  });
  return w;
}

export const lossAggregations: Complete<AggregationMode, Aggregation> = new Registry<AggregationMode, Aggregation>('loss aggregation mode')
  // sum(mask * l) / sum(mask): every response token in the batch counts the same (DAPO). Empty mask -> 0.
  .register('token-mean', {
    aggregate(loss, mask) {
      let sum = 0;
      let count = 0;
      for (const row of maskedRowSums(loss, mask)) {
        sum += row.sum;
        count += row.count;
      }
      return count > 0 ? sum / count : 0;
    },
    weights(mask) {
      const total = mask.reduce((s, row) => s + rowTokens(row), 0);
      return scaledMask(mask, () => (total > 0 ? 1 / total : 0));
    },
  })
  // mean over sequences of each sequence's token mean (original GRPO). Sequences with no response token are
  // left out of the mean (as current verl does) rather than producing 0/0.
  .register('seq-mean-token-mean', {
    aggregate(loss, mask) {
      let sum = 0;
      let sequences = 0;
      for (const row of maskedRowSums(loss, mask)) {
        if (row.count === 0) continue;
        sum += row.sum / row.count;
        sequences++;
      }
      return sequences > 0 ? sum / sequences : 0;
    },
    weights(mask) {
      const counts = mask.map(rowTokens);
      const nonEmpty = counts.filter((c) => c > 0).length;
      return scaledMask(mask, (b) => {
        const count = counts[b] ?? 0;
        return count > 0 ? 1 / (count * nonEmpty) : 0;
      });
    },
  })
  // mean over sequences of each sequence's token sum: longer answers weigh more; scale grows with length.
  .register('seq-mean-token-sum', {
    aggregate(loss, mask) {
      const sum = maskedRowSums(loss, mask).reduce((s, row) => s + row.sum, 0);
      return loss.length > 0 ? sum / loss.length : 0;
    },
    weights(mask) {
      return scaledMask(mask, () => 1 / mask.length);
    },
  })
  // Dr. GRPO: (1/B) sum_b sum_t mask * l / L with L a constant (the max response length). Note verl's mode of
  // the same name divides by L only, without 1/B; ours keeps the loss scale independent of the batch size.
  .register('seq-mean-token-sum-norm', {
    aggregate(loss, mask, options) {
      const rows = maskedRowSums(loss, mask);
      const L = normLength(mask, options);
      const sum = rows.reduce((s, row) => s + row.sum / L, 0);
      return loss.length > 0 ? sum / loss.length : 0;
    },
    weights(mask, options) {
      const L = normLength(mask, options);
      return scaledMask(mask, () => 1 / (mask.length * L));
    },
  });

/** Aggregates with the named mode's plain loop. @param perTokenLoss [B][T] @param mask [B][T] */
export function aggregateLoss(mode: string, perTokenLoss: TokenMatrix, mask: TokenMatrix, options?: AggregationOptions): number {
  return lossAggregations.get(mode).aggregate(perTokenLoss, mask, options);
}

/**
 * Per-token weights for the ONNX graph's weighted-sum aggregation.
 * @param mask [B][T] @returns [B*T] row-major float32, with sum(w * l) = aggregateLoss(mode, l, mask)
 */
export function aggregationWeights(mode: string, mask: TokenMatrix, options?: AggregationOptions): Float32Array {
  return Float32Array.from(lossAggregations.get(mode).weights(mask, options));
}
