/**
 * Seedable pseudo-random numbers: rollouts, parameter initialisation, prompt draws and shuffles.
 *
 * The generator is xoshiro128** (Blackman & Vigna, "Scrambled linear pseudorandom number generators",
 * 2018): 128 bits of state, 32-bit operations only, so it runs on plain JS numbers and `Math.imul`
 * without BigInt in the decode loop. Its state is four uint32 words, which export as plain JSON
 * for checkpoint resume.
 *
 * Reproducibility independent of batch size: every sequence gets its own stream, derived from
 * `(seed, promptIndex, sampleIndex, ...)` by {@link streamFor}. Which sequences share a batch then
 * cannot change what any one of them samples. Streams are derived by hashing the ids into a 64-bit
 * key with the splitmix64 finaliser and expanding the key into the 128-bit state with splitmix64,
 * which is how the xoshiro authors recommend seeding it.
 */

/** Plain-JSON state of an {@link Rng}: four uint32 words of xoshiro128** state. */
export interface RngState {
  readonly algorithm: 'xoshiro128**';
  readonly words: readonly [number, number, number, number];
}

const MASK64 = (1n << 64n) - 1n;
/** splitmix64's increment: 2^64 / golden ratio, odd. */
const GOLDEN_GAMMA = 0x9e3779b97f4a7c15n;

/** splitmix64's output function (Stafford's "Mix13"): a bijection on 64-bit words with full avalanche. */
function mix64(z: bigint): bigint {
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return z ^ (z >> 31n);
}

function toU64(value: number, what: string): bigint {
  if (!Number.isSafeInteger(value)) throw new RangeError(`${what} must be a safe integer, got ${value}`);
  return BigInt.asUintN(64, BigInt(value));
}

/**
 * A seedable generator (xoshiro128**). Not cryptographic. Each instance is an independent stream;
 * draw from one per sequence (see {@link streamFor}).
 */
export class Rng {
  // The four state words, kept as int32-valued numbers (what `|`, `^`, `<<` produce) for speed.
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  private constructor(words: RngState['words']) {
    const [w0, w1, w2, w3] = words;
    [this.s0, this.s1, this.s2, this.s3] = [w0 | 0, w1 | 0, w2 | 0, w3 | 0];
  }

  /** The generator for `seed` alone; same as `streamFor(seed)`. */
  static fromSeed(seed: number): Rng {
    return streamFor(seed);
  }

  /** Resumes a generator from {@link Rng.exportState}'s output (e.g. read back from a checkpoint). */
  static fromState(state: RngState): Rng {
    if (state === null || typeof state !== 'object' || state.algorithm !== 'xoshiro128**') {
      throw new RangeError(`rng state must be {algorithm: "xoshiro128**", words: [4 x uint32]}`);
    }
    const words = state.words;
    if (!Array.isArray(words) || words.length !== 4 || !words.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff)) {
      throw new RangeError(`rng state words must be 4 integers in [0, 2^32), got ${JSON.stringify(words)}`);
    }
    // The all-zero state is xoshiro's one fixed point: it would output zeros forever.
    if (words.every((w) => w === 0)) throw new RangeError('rng state words must not all be zero');
    return new Rng(words);
  }

  /** The state as plain JSON-serialisable data; {@link Rng.fromState} continues the identical sequence. */
  exportState(): RngState {
    return { algorithm: 'xoshiro128**', words: [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0] };
  }

  /** An independent copy at the same position. */
  clone(): Rng {
    return new Rng([this.s0, this.s1, this.s2, this.s3]);
  }

  /** The next 32 random bits as an unsigned integer in [0, 2^32). */
  nextUint32(): number {
    const s0 = this.s0;
    const s1 = this.s1;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    const s2 = this.s2 ^ s0;
    const s3 = this.s3 ^ s1;
    this.s1 = s1 ^ s2;
    this.s0 = s0 ^ s3;
    this.s2 = s2 ^ t;
    this.s3 = rotl(s3, 11);
    return result;
  }

  /**
   * A uniform double in [0, 1) with 53 random bits (two 32-bit outputs), so every double multiple of
   * 2^-53 is equally likely; 32 bits alone would quantise probabilities of rare tokens to 2^-32.
   */
  uniform(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992; // (hi * 2^26 + lo) / 2^53
  }

  /**
   * A standard normal draw (mean 0, variance 1) by the Box–Muller transform. It uses two uniforms
   * and discards the second normal it could make, so the generator's whole state stays the four
   * words (no cached spare to export).
   */
  normal(): number {
    const u1 = 1 - this.uniform(); // (0, 1]: log(0) would be -Infinity
    const u2 = this.uniform();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * The stream for one sequence: a generator determined by `seed` and the ids (e.g. prompt index,
 * sample index), independent of every other `(seed, ids)` combination. The same arguments always
 * give the same stream; ids are ordered (`(1, 2)` differs from `(2, 1)`) and their count matters
 * (`(1)` differs from `(1, 0)`).
 *
 * @param seed the run's seed (any safe integer)
 * @param ids stream identifiers, e.g. `promptIndex, sampleIndex` (safe integers)
 */
export function streamFor(seed: number, ...ids: number[]): Rng {
  let key = mix64((toU64(seed, 'seed') + GOLDEN_GAMMA) & MASK64);
  for (const id of ids) {
    // XOR then mix: for a fixed prefix, distinct ids give distinct keys (mix64 is a bijection).
    key = mix64(((key ^ toU64(id, 'stream id')) + GOLDEN_GAMMA) & MASK64);
  }
  // Expand the key into 128 bits of state with two splitmix64 steps.
  const a = mix64((key + GOLDEN_GAMMA) & MASK64);
  const b = mix64((key + 2n * GOLDEN_GAMMA) & MASK64);
  // All-zero is xoshiro's fixed point (probability 2^-128); nudge it.
  const lowest = a === 0n && b === 0n ? 1 : Number(a & 0xffffffffn);
  return Rng.fromState({
    algorithm: 'xoshiro128**',
    words: [lowest, Number(a >> 32n), Number(b & 0xffffffffn), Number(b >> 32n)],
  });
}
