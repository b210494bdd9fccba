/**
 * Next-token sampling from one row of logits, with temperature, top-k and top-p.
 *
 * Conventions (the trainer relies on them):
 * - The returned `logprob` is `log softmax(logits / T)[token]` in nats: the token's log-probability
 *   under the *tempered* distribution, WITHOUT the renormalisation that top-k/top-p truncation
 *   implies. The training graph computes exactly `log softmax(logits / T)`, so the rollout's
 *   old log-probs and the trainer's new ones agree for an unchanged model (importance ratio 1).
 *   With truncation the true sampling probability is larger (divided by the kept mass); using it
 *   would make the ratio differ from 1 before any update.
 * - Temperature 0 means greedy: the argmax (the lowest index among ties). The greedy distribution's
 *   own log-prob is identically 0 and says nothing, so the returned `logprob` is the untempered
 *   `log softmax(logits)[token]` (as at T = 1): the model's confidence in the greedy token, useful
 *   for evaluation. A trainer must not train on T = 0 tokens (log softmax(logits / 0) is undefined).
 * - Every call consumes exactly one `rng.uniform()`, greedy included, so a stream's position after n
 *   tokens does not depend on the temperatures used (runs that differ only in temperature policy
 *   share their random numbers).
 * - Logits are never modified; `-Infinity` marks a masked token (never sampled); NaN and +Infinity
 *   are errors.
 */
import { UserError } from '../util/errors.js';
import type { Rng } from './rng.js';

/** Truncation of the token distribution before sampling; both off by default. */
export interface SamplingOptions {
  /**
   * Keep only the `topK` most likely tokens (integer >= 0; 0 disables it, as in the run config and
   * Hugging Face); ties at the cut go to the lower index.
   */
  readonly topK?: number;
  /**
   * Keep the smallest set of most likely tokens whose probability (after top-k renormalisation, as in
   * Hugging Face's and vLLM's samplers) reaches `topP`, in (0, 1]; 1 keeps everything.
   */
  readonly topP?: number;
}

/** One sampled token. */
export interface SampledToken {
  /** vocabulary index */
  readonly token: number;
  /** log softmax(logits / T)[token] in nats (untempered for T = 0); see the module comment */
  readonly logprob: number;
}

/** Entropy `-Σ p log p` in nats of softmax(logits), untempered. 0 for a one-hot row, log V for a flat one. */
export function entropyOf(logits: Float32Array): number {
  const m = logits[argmaxOf(logits)];
  let sum = 0; // Σ e^(x - m)
  let weighted = 0; // Σ e^(x - m) (x - m)
  for (let i = 0; i < logits.length; i++) {
    const d = logits[i] - m;
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
 * `log softmax(logits / temperature)[token]` in nats, computed stably (max subtracted).
 * Temperature 0 gives the untempered `log softmax(logits)[token]`, matching {@link sampleToken}'s greedy convention.
 */
export function logSoftmaxAt(logits: Float32Array, temperature: number, token: number): number {
  checkTemperature(temperature);
  if (!Number.isInteger(token) || token < 0 || token >= logits.length) {
    throw new RangeError(`token must be an integer in [0, ${logits.length}), got ${token}`);
  }
  const t = temperature === 0 ? 1 : temperature;
  const m = logits[argmaxOf(logits)];
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp((logits[i] - m) / t);
  return (logits[token] - m) / t - Math.log(sum);
}

/** Validates top-k/top-p once (they come from the config), so a bad value is a one-line user error. */
export function checkSamplingOptions(options: SamplingOptions): void {
  const { topK, topP } = options;
  if (topK !== undefined && !(Number.isInteger(topK) && topK >= 0)) {
    throw new UserError(`topK must be an integer >= 0 (0 disables it), got ${topK}`);
  }
  if (topP !== undefined && !(topP > 0 && topP <= 1)) {
    throw new UserError(`topP must be in (0, 1] (1 disables it), got ${topP}`);
  }
}

function checkTemperature(temperature: number): void {
  // `!(t >= 0)` also catches NaN.
  if (!(temperature >= 0) || temperature === Infinity) {
    throw new RangeError(`temperature must be a finite number >= 0, got ${temperature}`);
  }
}

/** Index of the largest logit (lowest index among ties); throws on NaN, +Infinity or an all-masked row. */
function argmaxOf(logits: Float32Array): number {
  let best = -1;
  let m = -Infinity;
  for (let i = 0; i < logits.length; i++) {
    const x = logits[i];
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

/**
 * Truncation uses a histogram of tempered log-probability gaps below the top token, in buckets of
 * 1/4 nat, so that only the buckets that can hold the kept set are sorted instead of the whole
 * vocabulary. Gaps beyond 32 nats (probability ratio < 1e-14) share the last bucket.
 */
const BUCKETS = 128;
const BUCKETS_PER_NAT = 4;

/**
 * A sampler with fixed top-k/top-p options and its own scratch buffers (grown to the largest
 * vocabulary seen and reused, so the decode loop does not allocate per token). Not re-entrant:
 * use one per concurrent caller (JS code between awaits is never concurrent).
 */
export class TokenSampler {
  private readonly topK: number;
  private readonly topP: number;
  private weights = new Float64Array(0); // e^((x - m) / T) per token
  private candidates = new Uint32Array(0);
  private readonly bucketCounts = new Uint32Array(BUCKETS);
  private readonly bucketMass = new Float64Array(BUCKETS);
  /** Orders candidates by weight, descending, then by index; bound once to avoid a closure per call. */
  private readonly byWeight = (a: number, b: number): number => this.weights[b] - this.weights[a] || a - b;

  constructor(options: SamplingOptions = {}) {
    checkSamplingOptions(options);
    this.topK = options.topK || Infinity; // undefined or 0: off
    this.topP = options.topP ?? 1;
  }

  /**
   * Samples one token from softmax(logits / temperature) after top-k/top-p truncation.
   * @param logits one row, length V, untempered; not modified
   * @param temperature >= 0; 0 is greedy
   * @param rng the sequence's stream; exactly one `uniform()` is drawn
   */
  sample(logits: Float32Array, temperature: number, rng: Rng): SampledToken {
    checkTemperature(temperature);
    const argmax = argmaxOf(logits);
    const u = rng.uniform();
    if (temperature === 0) return { token: argmax, logprob: logSoftmaxAt(logits, 1, argmax) };

    const V = logits.length;
    if (this.weights.length < V) this.weights = new Float64Array(V);
    const w = this.weights;
    const m = logits[argmax];
    const truncate = this.topK < V || this.topP < 1;
    if (truncate) {
      this.bucketCounts.fill(0);
      this.bucketMass.fill(0);
    }
    let total = 0;
    for (let i = 0; i < V; i++) {
      const gap = (m - logits[i]) / temperature; // >= 0, nats below the top token
      const wi = Math.exp(-gap);
      w[i] = wi;
      total += wi;
      if (truncate) {
        const b = bucketOf(gap);
        this.bucketCounts[b]++;
        this.bucketMass[b] += wi;
      }
    }
    const token = truncate ? this.pickTruncated(logits, temperature, m, total, u) : pickFrom(w, V, u * total);
    return { token, logprob: (logits[token] - m) / temperature - Math.log(total) };
  }

  /** Samples from the top-k/top-p set, given the weights and bucket histogram filled by {@link sample}. */
  private pickTruncated(logits: Float32Array, temperature: number, m: number, total: number, u: number): number {
    const w = this.weights;
    const V = logits.length;
    const useTopK = this.topK < V;
    // The kept set is a prefix of the tokens sorted by weight, so it lies within the buckets up to
    // `cut`: with top-k, the first bucket where the count reaches k (the whole top-k set is needed,
    // since top-p then renormalises over its mass); without, the first where the mass reaches p.
    let cut = BUCKETS - 1;
    for (let b = 0, count = 0, mass = 0; b < BUCKETS; b++) {
      count += this.bucketCounts[b];
      mass += this.bucketMass[b];
      if (useTopK ? count >= this.topK : mass >= this.topP * total) {
        cut = b;
        break;
      }
    }
    if (this.candidates.length < V) this.candidates = new Uint32Array(V);
    let n = 0;
    for (let i = 0; i < V; i++) {
      if (bucketOf((m - logits[i]) / temperature) <= cut) this.candidates[n++] = i;
    }
    const sorted = this.candidates.subarray(0, n).sort(this.byWeight);

    let kept = useTopK ? Math.min(n, this.topK) : n;
    if (this.topP < 1) {
      // Top-p over the distribution left by top-k, renormalised (Hugging Face's and vLLM's order).
      let base = total;
      if (useTopK) {
        base = 0;
        for (let j = 0; j < kept; j++) base += w[sorted[j]];
      }
      const target = this.topP * base;
      let cum = 0;
      for (let j = 0; j < kept; j++) {
        cum += w[sorted[j]];
        if (cum >= target) {
          kept = j + 1;
          break;
        }
      }
    }
    let keptMass = 0;
    for (let j = 0; j < kept; j++) keptMass += w[sorted[j]];
    const target = u * keptMass;
    let cum = 0;
    let last = sorted[0]; // the argmax, weight 1
    for (let j = 0; j < kept; j++) {
      const i = sorted[j];
      if (w[i] === 0) continue;
      cum += w[i];
      last = i;
      if (cum > target) return i;
    }
    return last; // u * mass rounded up to the full mass
  }
}

function bucketOf(gap: number): number {
  const b = gap * BUCKETS_PER_NAT;
  return b < BUCKETS - 1 ? Math.floor(b) : BUCKETS - 1; // also catches gap = Infinity (masked)
}

/** The first index whose cumulative weight exceeds `target`; zero-weight tokens are never picked. */
function pickFrom(w: Float64Array, V: number, target: number): number {
  let cum = 0;
  let last = -1;
  for (let i = 0; i < V; i++) {
    const wi = w[i];
    if (wi === 0) continue;
    cum += wi;
    last = i;
    if (cum > target) return i;
  }
  return last; // target rounded up to the full mass
}

const defaultSamplers = new Map<string, TokenSampler>();

/**
 * Samples one token from softmax(logits / temperature) with optional top-k/top-p; see the module
 * comment for the `logprob` and greedy conventions. Reuses a cached {@link TokenSampler} per option
 * set; hold your own `TokenSampler` in a hot loop to skip the lookup.
 *
 * @param logits one row, length V, untempered; not modified
 * @param temperature >= 0; 0 is greedy (argmax)
 * @param rng the sequence's stream; exactly one `uniform()` is drawn
 */
export function sampleToken(logits: Float32Array, temperature: number, rng: Rng, options: SamplingOptions = {}): SampledToken {
  const key = `${options.topK ?? ''}/${options.topP ?? ''}`;
  let sampler = defaultSamplers.get(key);
  if (sampler === undefined) {
    sampler = new TokenSampler(options);
    defaultSamplers.set(key, sampler);
  }
  return sampler.sample(logits, temperature, rng);
}
