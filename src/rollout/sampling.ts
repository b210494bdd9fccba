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
 *
 * This is the decode loop's per-token kernel: its loops index typed arrays at indices proven in range
 * (`i < V`, bucket numbers < BUCKETS, members < n) and read them with `a[i]!` rather than a checked
 * call per element (see util/must.ts).
 */
import { UserError } from '../util/errors.js';
import type { Rng } from '../util/rng.js';
import { argmaxOf, checkTemperature, logSoftmaxAt } from '../util/softmax.js';

/**
 * Truncation of the token distribution before sampling, applied to the tempered distribution
 * softmax(logits / T) as Hugging Face's and vLLM's samplers do; both off by default.
 */
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

/**
 * Truncation works on a histogram of the tempered log-probability gap below the top token, in buckets
 * of 1/4 nat (gaps beyond 32 nats, probability ratio < 1e-14, share the last bucket). The kept set is
 * always a prefix of the tokens sorted by probability, so it is "every token in the buckets before
 * some bucket B, plus the most likely few of bucket B": only bucket B is ever sorted, never the
 * vocabulary.
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
  private buckets = new Uint8Array(0); // gap bucket per token (truncation only)
  private members = new Uint32Array(0); // the sorted tokens of the boundary bucket
  private readonly bucketCounts = new Uint32Array(BUCKETS);
  private readonly bucketMass = new Float64Array(BUCKETS);
  /** Orders tokens by weight, descending, then by index; bound once to avoid a closure per call. */
  private readonly byWeight = (a: number, b: number): number => this.weights[b]! - this.weights[a]! || a - b;

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
    const m = logits[argmax]!;
    const truncate = this.topK < V || this.topP < 1;
    let total = 0;
    if (!truncate) {
      for (let i = 0; i < V; i++) {
        const wi = Math.exp((logits[i]! - m) / temperature);
        w[i] = wi;
        total += wi;
      }
    } else {
      if (this.buckets.length < V) this.buckets = new Uint8Array(V);
      const counts = this.bucketCounts.fill(0);
      const mass = this.bucketMass.fill(0);
      for (let i = 0; i < V; i++) {
        const gap = (m - logits[i]!) / temperature; // >= 0: nats below the top token
        const wi = Math.exp(-gap);
        const b = bucketOf(gap);
        w[i] = wi;
        total += wi;
        this.buckets[i] = b;
        counts[b]!++;
        mass[b]! += wi;
      }
    }
    const token = truncate ? this.pickTruncated(V, total, u) : pickFrom(w, V, u * total);
    return { token, logprob: (logits[token]! - m) / temperature - Math.log(total) };
  }

  /**
   * Samples from the top-k, then top-p set, given the weights and histogram filled by {@link sample}.
   * The kept set is tracked as (every token of the buckets before `cut`) + `members[0..n)`, the most
   * likely tokens of bucket `cut`, with `massBefore` the mass of the former.
   */
  private pickTruncated(V: number, total: number, u: number): number {
    const w = this.weights;
    let cut = BUCKETS; // no boundary bucket yet: everything kept
    let n = 0;
    let massBefore = total;
    let keptMass = total;

    if (this.topK < V) {
      let before = 0;
      cut = 0;
      while (before + this.bucketCounts[cut]! < this.topK) before += this.bucketCounts[cut++]!;
      n = this.sortBucket(cut, V);
      const take = this.topK - before; // ties at the cut: the sort puts the lower index first
      massBefore = 0;
      for (let b = 0; b < cut; b++) massBefore += this.bucketMass[b]!;
      keptMass = massBefore;
      for (let j = 0; j < take; j++) keptMass += w[this.members[j]!]!;
      n = take;
    }

    if (this.topP < 1) {
      // Top-p over the distribution left by top-k, renormalised (Hugging Face's and vLLM's order):
      // the shortest prefix whose mass reaches topP * keptMass.
      const target = this.topP * keptMass;
      let cum = 0;
      let b = 0;
      while (b < cut && cum + this.bucketMass[b]! < target) cum += this.bucketMass[b++]!;
      if (b < cut) {
        // The boundary moves to an earlier (or the first) bucket; sort it.
        cut = b;
        massBefore = cum;
        n = this.sortBucket(cut, V);
      }
      // Walk the boundary bucket's sorted members to the first one that reaches the target.
      let j = 0;
      while (j < n && cum < target) cum += w[this.members[j++]!]!;
      if (j > 0) n = j; // j = 0 only when the buckets before already reach the target (rounding)
      keptMass = massBefore;
      for (let k = 0; k < n; k++) keptMass += w[this.members[k]!]!;
    }

    // Draw: first the tokens of the buckets before `cut`, in vocabulary order, then the members.
    const target = u * keptMass;
    let cum = 0;
    let last = -1;
    for (let i = 0; i < V; i++) {
      const wi = w[i]!;
      if (this.buckets[i]! < cut && wi > 0) {
        cum += wi;
        last = i;
        if (cum > target) return i;
      }
    }
    for (let j = 0; j < n; j++) {
      const i = this.members[j]!;
      const wi = w[i]!;
      if (wi === 0) continue;
      cum += wi;
      last = i;
      if (cum > target) return i;
    }
    return last; // u * mass rounded up to the full mass
  }

  /** Collects the tokens of bucket `b` into `members`, most likely first (ties: lower index first); returns their count. */
  private sortBucket(b: number, V: number): number {
    if (this.members.length < this.bucketCounts[b]!) this.members = new Uint32Array(V);
    let n = 0;
    for (let i = 0; i < V; i++) if (this.buckets[i] === b) this.members[n++] = i;
    this.members.subarray(0, n).sort(this.byWeight);
    return n;
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
    const wi = w[i]!;
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
