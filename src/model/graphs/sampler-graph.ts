/**
 * The in-graph token sampler: draws the next token of chosen rows from the decode graph's last
 * logits on the provider's device, so a decode step returns B·few numbers (token ids,
 * log-probabilities and, when asked, the rows' hidden states) instead of the [B, V] logits.
 *
 * It draws exactly as the host sampler (rollout/sampling.ts, `TokenSampler` without truncation)
 * does with the same uniform u: the first token, in vocabulary order, whose cumulative weight
 * e^((x - max) / T) exceeds u times the total weight; T = 0 takes the argmax (lowest index among
 * ties); the log-probability is log softmax(logits / T)[token] (untempered for T = 0). The
 * difference is precision: the weights and their running sum are float32 here (WebGPU has no
 * float64), float64 on the host, so the two picks differ only when u·total lies within float32
 * rounding of a boundary between two tokens' cumulative weights (see test/rollout/graph-sampler.test.ts).
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

/**
 * Inputs: `logits` [B, 1, V] and `last_hidden` [B, S, H] (a decode step's outputs, fed as they
 * are), `rows` [N] int64 (which batch rows to draw for), `temperature` [N] (>= 0, 0 greedy) and
 * `uniform` [N] in [0, 1). Outputs: `token` [N] int32, `logprob` [N] float32 and `hidden_rows`
 * [N, H] (the rows' last hidden states, fetched only when the rollout records them).
 */
export function buildSamplerGraph(dims: { vocabSize: number; hiddenSize: number }): Graph {
  const V = dims.vocabSize;
  const g = new GraphBuilder('token_sampler');
  const logits = g.input(SAMPLER.logits, 'float32', ['batch_size', 1, V]);
  const hidden = g.input(SAMPLER.hidden, 'float32', ['batch_size', 'sequence_length', dims.hiddenSize]);
  const rows = g.input(SAMPLER.rows, 'int64', ['rows']);
  const temperature = g.input(SAMPLER.temperature, 'float32', ['rows']);
  const uniform = g.input(SAMPLER.uniform, 'float32', ['rows']);

  const x = lastPositionRows(g, logits, rows, V); // [N, V]
  const m = g.reduceMax(x, { axes: [1], keepdims: true }); // [N, 1]
  const greedy = g.unsqueeze(g.equal(temperature, g.constant(0, 'float32')), { axes: [1] }); // [N, 1]
  // T = 0 scores the argmax at T = 1 (the host's convention) and draws nothing.
  const t = g.where(greedy, g.constant(1, 'float32'), g.unsqueeze(temperature, { axes: [1] }));
  const z = g.div(g.sub(x, m), t); // <= 0, 0 at the maximum
  const w = g.exp(z);
  const cum = g.cumSum(w, { axis: 1 });
  const total = g.slice(cum, { starts: [V - 1], ends: [V], axes: [1] }); // [N, 1]
  const target = g.mul(g.unsqueeze(uniform, { axes: [1] }), total);
  const below = g.reduceSum(g.cast(g.lessOrEqual(cum, target), { to: 'float32' }), { axes: [1], keepdims: true }); // exact: V < 2^24
  const index = g.constant(Float32Array.from({ length: V }, (_, i) => i), 'float32', [1, V]);
  const lastPositive = g.reduceMax(g.where(g.greater(w, g.constant(0, 'float32')), index, g.constant(-1, 'float32')), { axes: [1], keepdims: true });
  const drawn = g.min(below, lastPositive);
  const argmax = g.cast(g.argMax(x, { axis: 1, keepdims: true }), { to: 'float32' });
  const token = g.cast(g.where(greedy, argmax, drawn), { to: 'int64' }); // [N, 1]
  const logprob = g.sub(g.gatherElements(z, token, { axis: 1 }), g.log(total)); // z_token - log Σ e^z
  g.output(g.cast(g.reshape(token, [-1]), { to: 'int32' }), SAMPLER.token);
  g.output(g.reshape(logprob, [-1]), SAMPLER.logprob);
  g.output(lastPositionRows(g, hidden, rows, dims.hiddenSize), SAMPLER.hiddenRows);
  return g.build();
}
