/**
 * The learned head's discrete temperature action: the head outputs K logits per token, one per
 * temperature on a fixed grid; the action is a grid index drawn from softmax(temperature logits).
 */
import type { Rng } from '../util/rng.js';
import { TokenSampler } from '../rollout/sampling.js';
import { entropyOf } from '../util/softmax.js';

/** A sampled grid action. */
export interface GridAction {
  /** index into the grid, in [0, K) */
  readonly action: number;
  /** grid[action] */
  readonly temperature: number;
  /** log softmax(temperatureLogits)[action], nats: what the head's training graph recomputes */
  readonly logprob: number;
  /** entropy of softmax(temperatureLogits), nats: how undecided the head was at this token */
  readonly entropy: number;
}

// A categorical draw over K actions is next-token sampling at T = 1 over K "tokens".
const categorical = new TokenSampler();

/**
 * Draws a temperature action from one row of the head's output.
 *
 * @param temperatureLogits one row of head logits, length K (untempered; not modified)
 * @param grid the K temperatures the actions stand for
 * @param rng the sequence's stream; exactly one `uniform()` is drawn, greedy included
 * @param options.greedy take the most likely action (lowest index among ties); its `logprob` is still
 *   the head's log-probability of that action, not 0, so evaluation can report the head's confidence
 */
export function sampleGridAction(
  temperatureLogits: Float32Array,
  grid: ArrayLike<number>,
  rng: Rng,
  options: { greedy?: boolean } = {},
): GridAction {
  if (temperatureLogits.length !== grid.length) {
    throw new RangeError(`temperature logits have ${temperatureLogits.length} entries but the grid has ${grid.length}`);
  }
  const { token, logprob } = categorical.sample(temperatureLogits, options.greedy ? 0 : 1, rng);
  const temperature = grid[token] ?? NaN; // token < grid.length: the logits have one entry per grid point
  if (!(temperature > 0 && temperature < Infinity))
    throw new RangeError(`grid temperature ${token} is ${temperature}; must be finite and > 0`);
  return { action: token, temperature, logprob, entropy: entropyOf(temperatureLogits) };
}
