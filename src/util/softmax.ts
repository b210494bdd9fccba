/**
 * Tempered softmax over one row of logits, as plain loops: log-probabilities and entropy in nats, with
 * the max subtracted for stability and `-Infinity` as a masked token. The one home of this math: the
 * sampler (rollout/sampling.ts) and the decode loop use it per token, and the graph tests check the
 * ONNX graphs' log-softmax and entropy against it.
 *
 * The loops index the row at indices proven in range (i < length) with non-null assertions: they run
 * once per generated token over the whole vocabulary (see util/must.ts).
 */

/**
 * Index of the largest logit (lowest index among ties); throws on NaN, +Infinity or an all-masked row.
 */
export function argmaxOf(logits: ArrayLike<number>): number {
  let best = -1;
  let m = -Infinity;
  for (let i = 0; i < logits.length; i++) {
    const x = logits[i]!;
    if (x > m) {
      m = x;
      best = i;
    } else if (x !== x) {
      throw new RangeError(`logits contain NaN at index ${i}`);
    }
  }
  if (best < 0) throw new RangeError(`logits row of length ${logits.length} has no finite entry`);
  if (m === Infinity) throw new RangeError(`logits contain +Infinity at index ${best}`);
  return best;
}

/** Throws unless `temperature` is finite and >= 0 (0 is greedy). */
export function checkTemperature(temperature: number): void {
  // `!(t >= 0)` also catches NaN.
  if (!(temperature >= 0) || temperature === Infinity) {
    throw new RangeError(`temperature must be a finite number >= 0, got ${temperature}`);
  }
}

function checkPositiveTemperature(temperature: number): void {
  if (!(temperature > 0)) throw new RangeError(`temperature must be > 0, got ${temperature}`);
}

/**
 * Entropy `-Σ p log p` in nats of softmax(logits / temperature) (default untempered). 0 for a one-hot
 * row, log V for a flat one; masked tokens count as probability 0.
 */
export function entropyOf(logits: ArrayLike<number>, temperature = 1): number {
  checkPositiveTemperature(temperature);
  const m = logits[argmaxOf(logits)]!;
  let sum = 0; // Σ e^d, d = (x - m) / T
  let weighted = 0; // Σ e^d d
  for (let i = 0; i < logits.length; i++) {
    const d = (logits[i]! - m) / temperature;
    const w = Math.exp(d);
    // Masked tokens (x = -Infinity) give w = 0 and d = -Infinity; 0 * -Infinity would be NaN.
    if (w > 0) {
      sum += w;
      weighted += w * d;
    }
  }
  // H = -Σ p (d - log S) = log S - Σ w d / S, with p = w / S.
  return Math.max(0, Math.log(sum) - weighted / sum);
}

/**
 * `log softmax(logits / temperature)[token]` in nats. Temperature 0 gives the untempered
 * `log softmax(logits)[token]`, the sampler's greedy convention (rollout/sampling.ts).
 */
export function logSoftmaxAt(logits: ArrayLike<number>, temperature: number, token: number): number {
  checkTemperature(temperature);
  if (!Number.isInteger(token) || token < 0 || token >= logits.length) {
    throw new RangeError(`token must be an integer in [0, ${logits.length}), got ${token}`);
  }
  const t = temperature === 0 ? 1 : temperature;
  const m = logits[argmaxOf(logits)]!;
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp((logits[i]! - m) / t);
  return (logits[token]! - m) / t - Math.log(sum);
}

/** The whole row of log softmax(logits / temperature), temperature > 0. Shape [V] -> [V], float64. */
export function logSoftmax(logits: ArrayLike<number>, temperature: number): Float64Array {
  checkPositiveTemperature(temperature);
  const m = logits[argmaxOf(logits)]!;
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp((logits[i]! - m) / temperature);
  const logZ = Math.log(sum);
  return Float64Array.from(logits, (x) => (x - m) / temperature - logZ);
}
