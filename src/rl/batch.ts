/**
 * Rollouts -> the tensors of the two training graphs.
 *
 * Token policy (the LLM's `policy` graph): one row per sequence, prompt then completion, right-padded
 * to the longest row. Entry t of every per-position tensor concerns predicting input_ids[:, t] (the
 * graph's alignment), so a completion token at position t carries its sampling temperature, its
 * rollout log-probability and its loss weight at t; prompt and padding positions have weight 0.
 *
 * Temperature policy (the head's graph): one row per generated token, with the hidden state the head
 * read, the action it took and that action's log-probability; every token of a sequence shares the
 * sequence's advantage (the reward is only known at the end).
 */
import { quantileSorted } from '../util/stats.js';
import type { Rollout } from '../rollout/types.js';
import { aggregationWeights, type AggregationMode, type AggregationOptions } from './loss-aggregation.js';
import { at } from '../util/must.js';

/**
 * Every aggregation mode of the registry: the training graphs compute sum(w * l) with the mode's
 * weights w, which is the mode's aggregate exactly (rl/loss-aggregation.ts).
 */
export type LossAggregation = AggregationMode;

/** Per-token loss weights of `mode` for rows of trainable tokens ([B][T] of 0/1), from the aggregation registry. */
function lossWeights(mode: LossAggregation, trainable: number[][], options?: AggregationOptions): Float32Array {
  return aggregationWeights(mode, trainable, options);
}

export interface TokenBatch {
  rows: number;
  length: number;
  /** [B, T] */
  inputIds: BigInt64Array;
  /** [B, T], 1 for real tokens */
  attentionMask: BigInt64Array;
  /** [B, T], temperature each token was sampled at; 1 where unused */
  temperatures: Float32Array;
  /** [B, T], log softmax(logits / T)[token] at sampling time; 0 where unused */
  oldLogprobs: Float32Array;
  /** [B, T], per-token loss weights: the graph computes sum(w * l) */
  lossMask: Float32Array;
  /** [B] */
  advantages: Float32Array;
  /** number of completion tokens with non-zero weight */
  tokens: number;
}

/**
 * Packs sequences for the token-policy graph.
 * @param aggregation the mode whose weights w make sum(w * l) its aggregate (token-mean: 1/tokens;
 *   seq-mean-token-mean: 1/(len * sequences); ...)
 * @param options e.g. the constant length of seq-mean-token-sum-norm (the response-length cap)
 */
export function tokenBatch(
  rollouts: readonly Rollout[],
  advantages: ArrayLike<number>,
  aggregation: LossAggregation,
  options?: AggregationOptions,
): TokenBatch {
  const B = rollouts.length;
  const T = Math.max(...rollouts.map((r) => r.promptIds.length + r.tokens.length));
  const batch: TokenBatch = {
    rows: B,
    length: T,
    inputIds: new BigInt64Array(B * T),
    attentionMask: new BigInt64Array(B * T),
    temperatures: new Float32Array(B * T).fill(1),
    oldLogprobs: new Float32Array(B * T),
    lossMask: new Float32Array(B * T),
    advantages: Float32Array.from(advantages),
    tokens: 0,
  };
  // Greedy tokens (temperature 0) have no tempered distribution to score: they get no weight.
  const trainable = rollouts.map((r) => {
    const row = new Array<number>(T).fill(0);
    r.temperatures.forEach((temperature, i) => (row[r.promptIds.length + i] = temperature > 0 ? 1 : 0));
    return row;
  });
  const weights = lossWeights(aggregation, trainable, options);
  rollouts.forEach((r, b) => {
    const P = r.promptIds.length;
    const ids = [...r.promptIds, ...r.tokens];
    ids.forEach((id, t) => {
      batch.inputIds[b * T + t] = BigInt(id);
      batch.attentionMask[b * T + t] = 1n;
    });
    const trainableRow = at(trainable, b, 'trainable rows');
    r.temperatures.forEach((temperature, i) => {
      const t = b * T + P + i;
      if (trainableRow[P + i] === 0) return;
      batch.temperatures[t] = temperature;
      batch.oldLogprobs[t] = at(r.logprobs, i, 'rollout logprobs');
      batch.lossMask[t] = at(weights, t, 'loss weights');
      batch.tokens++;
    });
  });
  return batch;
}

export interface HeadBatch {
  rows: number;
  hiddenSize: number;
  /** [N, H] */
  hidden: Float32Array;
  /** [N] grid indices */
  actions: BigInt64Array;
  /** [N] the temperatures themselves (log-normal heads act in temperature) */
  temperatures: Float32Array;
  /** [N] */
  oldLogprobs: Float32Array;
  /** [N] */
  advantages: Float32Array;
  /** [N] loss weights, as in {@link tokenBatch} */
  mask: Float32Array;
}

/** Packs every generated token of `rollouts` for the temperature head's graph. */
export function headBatch(
  rollouts: readonly Rollout[],
  advantages: ArrayLike<number>,
  aggregation: LossAggregation,
  hiddenSize: number,
  options: AggregationOptions & { topEntropyQuantile?: number } = {},
): HeadBatch {
  const N = rollouts.reduce((n, r) => n + r.tokens.length, 0);
  const threshold = entropyThreshold(rollouts, options.topEntropyQuantile ?? 1);
  const batch: HeadBatch = {
    rows: N,
    hiddenSize,
    hidden: new Float32Array(N * hiddenSize),
    actions: new BigInt64Array(N),
    temperatures: new Float32Array(N),
    oldLogprobs: new Float32Array(N),
    advantages: new Float32Array(N),
    mask: new Float32Array(N),
  };
  const L = Math.max(1, ...rollouts.map((r) => r.tokens.length));
  const kept = (r: Rollout, i: number) => i < r.tokens.length && (r.entropies[i] ?? -Infinity) >= threshold;
  const { topEntropyQuantile: _q, ...aggregationOptions } = options;
  const weights = lossWeights(
    aggregation,
    rollouts.map((r) => Array.from({ length: L }, (_, i) => (kept(r, i) ? 1 : 0))),
    aggregationOptions,
  );
  let n = 0;
  rollouts.forEach((r, b) => {
    const { hidden, actions, actionLogprobs } = r;
    if (!hidden || !actionLogprobs || !actions)
      throw new Error('head training needs rollouts recorded with the learned policy and hidden states');
    batch.hidden.set(hidden, n * hiddenSize);
    const advantage = at(advantages, b, 'advantages');
    r.temperatures.forEach((temperature, i) => {
      batch.actions[n] = BigInt(Math.max(0, at(actions, i, 'head actions')));
      batch.temperatures[n] = temperature;
      batch.oldLogprobs[n] = at(actionLogprobs, i, 'head action logprobs');
      batch.advantages[n] = advantage;
      batch.mask[n] = at(weights, b * L + i, 'loss weights');
      n++;
    });
  });
  return batch;
}

/**
 * The LLM-entropy threshold above which tokens enter the head's loss: the (1 - q) quantile of the
 * batch's token entropies (TRL's `top_entropy_quantile`), -Infinity for q = 1 (every token). Most
 * tokens are near-deterministic, where the temperature changes nothing and only adds noise to the
 * head's credit assignment; the decision tokens are the high-entropy ones.
 */
export function entropyThreshold(rollouts: readonly Rollout[], q: number): number {
  if (!(q > 0 && q <= 1)) throw new RangeError(`topEntropyQuantile must lie in (0, 1], got ${q}`);
  if (q === 1) return -Infinity;
  const all = Float64Array.from(rollouts.flatMap((r) => Array.from(r.entropies.subarray(0, r.tokens.length)))).sort();
  return all.length === 0 ? -Infinity : quantileSorted(all, 1 - q);
}
