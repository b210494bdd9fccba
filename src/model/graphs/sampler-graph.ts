/**
 * The in-graph token sampler: draws the next token of chosen rows from the decode graph's last
 * logits on the provider's device, so a decode step returns B·few numbers (token ids,
 * log-probabilities and, when asked, the rows' hidden states) instead of the [B, V] logits.
 *
 * It draws exactly as the host sampler (rollout/sampling.ts, `TokenSampler` without truncation)
 * does with the same uniform u: the first token, in vocabulary order, whose cumulative weight
 * e^((x - max) / T) exceeds u times the total weight; T = 0 takes the argmax (lowest index among
 * ties); the log-probability is log softmax(logits / T)[token] (untempered for T = 0). On CPU
 * it computes in float64 in the host's order; on devices without float64 (WebGPU) in float32, and
 * the two picks then differ only when u·total lies within float32 rounding of a boundary between
 * two tokens' cumulative weights (bounded in test/helpers/sampler-check.ts).
 *
 * The pick is counted, not searched: token = #{k : cum_k <= u·total}, the index of the first
 * cumulative weight above the target (cum is non-decreasing, and a zero-weight token never
 * raises it, so it is never picked); when rounding puts u·total at or above the total, the count
 * is V and the last token of positive weight is taken, as on the host.
 */
import { GraphBuilder, type Graph, type Value } from '../../onnx/index.js';

/** Names of the sampler graph's inputs and outputs. */
export const SAMPLER = {
  logits: 'logits',
  hidden: 'last_hidden',
  rows: 'rows',
  temperature: 'temperature',
  uniform: 'uniform',
  token: 'token',
  logprob: 'logprob',
  hiddenRows: 'hidden_rows',
} as const;

/**
 * The last position of `x` [B, S, W] for the batch rows `rows` [N] (int64): [N, W]. Shared by
 * the sampler and the temperature head's device graph, which read the decode graph's outputs.
 */
export function lastPositionRows(g: GraphBuilder, x: Value, rows: Value, width: number): Value {
  const last = g.reshape(g.slice(x, { starts: [-1], ends: [2 ** 31 - 1], axes: [1] }), [-1, width]); // [B, W]
  return g.gather(last, rows, { axis: 0 }); // [N, W]
}

/** Float type the sampler computes its weights and their running sum in. */
export type SamplerPrecision = 'float32' | 'float64';

/**
 * Inputs: `logits` [B, 1, V] and `last_hidden` [B, S, H] (a decode step's outputs, fed as they
 * are), `rows` [N] int64 (which batch rows to draw for), `temperature` [N] (>= 0, 0 greedy) and
 * `uniform` [N] in [0, 1), both in `precision`. Outputs: `token` [N] int32, `logprob` [N] (in
 * `precision`) and `hidden_rows` [N, H] (the rows' last hidden states, fetched only when the
 * rollout records them).
 *
 * `float64` (CPU) repeats the host sampler's arithmetic in its order (one running sum in
 * vocabulary order), so the two differ only by the last bits of exp. `float32` (devices without
 * float64) sums in blocks of about sqrt(V) tokens and then over the block sums: the running sum's
 * rounding then grows with about 2·sqrt(V) additions instead of V.
 */
export function buildSamplerGraph(dims: { vocabSize: number; hiddenSize: number; precision?: SamplerPrecision }): Graph {
  const V = dims.vocabSize;
  const dtype = dims.precision ?? 'float32';
  const g = new GraphBuilder('token_sampler');
  const logits = g.input(SAMPLER.logits, 'float32', ['batch_size', 1, V]);
  const hidden = g.input(SAMPLER.hidden, 'float32', ['batch_size', 'sequence_length', dims.hiddenSize]);
  const rows = g.input(SAMPLER.rows, 'int64', ['rows']);
  const temperature = g.input(SAMPLER.temperature, dtype, ['rows']);
  const uniform = g.input(SAMPLER.uniform, dtype, ['rows']);
  const c = (v: number): Value => g.constant(v, dtype);

  const rowLogits = lastPositionRows(g, logits, rows, V); // [N, V] float32
  const x = dtype === 'float32' ? rowLogits : g.cast(rowLogits, { to: dtype });
  const m = g.reduceMax(x, { axes: [1], keepdims: true }); // [N, 1]
  const greedy = g.unsqueeze(g.equal(temperature, c(0)), { axes: [1] }); // [N, 1]
  // T = 0 scores the argmax at T = 1 (the host's convention) and draws nothing.
  const t = g.where(greedy, c(1), g.unsqueeze(temperature, { axes: [1] }));
  const z = g.div(g.sub(x, m), t); // <= 0, 0 at the maximum
  const w = g.exp(z);
  const cum = dtype === 'float64' ? g.cumSum(w, { axis: 1 }) : blockedCumSum(g, w, V);
  const total = g.slice(cum, { starts: [V - 1], ends: [V], axes: [1] }); // [N, 1]
  const target = g.mul(g.unsqueeze(uniform, { axes: [1] }), total);
  const below = g.reduceSum(g.cast(g.lessOrEqual(cum, target), { to: 'float32' }), { axes: [1], keepdims: true }); // exact: V < 2^24
  const index = g.constant(
    Float32Array.from({ length: V }, (_, i) => i),
    'float32',
    [1, V],
  );
  const lastPositive = g.reduceMax(g.where(g.greater(w, c(0)), index, g.constant(-1, 'float32')), { axes: [1], keepdims: true });
  const drawn = g.min(below, lastPositive);
  const argmax = g.cast(g.argMax(rowLogits, { axis: 1, keepdims: true }), { to: 'float32' });
  const token = g.cast(g.where(greedy, argmax, drawn), { to: 'int64' }); // [N, 1]
  const logprob = g.sub(g.gatherElements(z, token, { axis: 1 }), g.log(total)); // z_token - log Σ e^z
  g.output(g.cast(g.reshape(token, [-1]), { to: 'int32' }), SAMPLER.token);
  g.output(g.reshape(logprob, [-1]), SAMPLER.logprob);
  g.output(lastPositionRows(g, hidden, rows, dims.hiddenSize), SAMPLER.hiddenRows);
  return g.build();
}

/**
 * The running sum of `w` [N, V] along the vocabulary, in blocks: each block's own running sum plus
 * the sum of the blocks before it. The padding (zeros past V) never raises a sum.
 */
function blockedCumSum(g: GraphBuilder, w: Value, V: number): Value {
  const size = Math.max(1, Math.ceil(Math.sqrt(V)));
  const blocks = Math.ceil(V / size);
  const padded = blocks * size === V ? w : g.pad(w, [0, 0, 0, blocks * size - V]);
  const inBlock = g.cumSum(g.reshape(padded, [-1, blocks, size]), { axis: 2 }); // [N, blocks, size]
  const blockSums = g.slice(inBlock, { starts: [size - 1], ends: [size], axes: [2] }); // [N, blocks, 1]
  const before = g.cumSum(blockSums, { axis: 1, exclusive: true });
  const cum = g.reshape(g.add(inBlock, before), [-1, blocks * size]);
  return blocks * size === V ? cum : g.slice(cum, { starts: [0], ends: [V], axes: [1] });
}
