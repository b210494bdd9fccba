import { test } from 'node:test';
import assert from 'node:assert/strict';
import { streamFor } from '../../src/util/rng.js';
import { sampleToken, TokenSampler, type SamplingOptions } from '../../src/rollout/sampling.js';
import { entropyOf, logSoftmaxAt } from '../../src/util/softmax.js';
import { UserError } from '../../src/util/errors.js';

/** Reference softmax(x / T) in float64, written directly from the definition. */
function softmax(logits: ArrayLike<number>, temperature = 1): number[] {
  const scaled = Array.from(logits, (x) => x / temperature);
  const m = Math.max(...scaled);
  const e = scaled.map((x) => Math.exp(x - m));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / z);
}

/**
 * The kept set of top-k then top-p, by the textbook recipe: sort all tokens by probability (ties:
 * lower index first), keep k, renormalise, keep the shortest prefix reaching p.
 */
function truncatedSet(probs: number[], { topK, topP }: SamplingOptions): number[] {
  const order = probs.map((p, i) => ({ p, i })).sort((a, b) => b.p - a.p || a.i - b.i);
  const k = order.slice(0, topK || order.length);
  const mass = k.reduce((s, { p }) => s + p, 0);
  let cum = 0;
  const kept: number[] = [];
  for (const { p, i } of k) {
    kept.push(i);
    cum += p / mass;
    if (cum >= (topP ?? 1)) break;
  }
  return kept.sort((a, b) => a - b);
}

/** Critical values of the chi-square distribution at p = 0.001, by degrees of freedom. */
const CHI2_999 = [NaN, 10.83, 13.82, 16.27, 18.47, 20.52] as const;
const chi2Critical = (df: number): number => CHI2_999[df] ?? NaN;

function counts(draws: number[], V: number): number[] {
  const c = new Array<number>(V).fill(0);
  for (const d of draws) c[d]!++;
  return c;
}

/** Pearson chi-square of observed counts against expected probabilities (over categories with p > 0). */
function chiSquare(observed: number[], probs: number[], n: number): number {
  let chi = 0;
  probs.forEach((p, i) => {
    if (p > 0) chi += ((observed[i] ?? 0) - n * p) ** 2 / (n * p);
  });
  return chi;
}

test('entropyOf: hand-computed values, in nats', () => {
  assert.ok(Math.abs(entropyOf(new Float32Array(7).fill(2.5)) - Math.log(7)) < 1e-12, 'uniform = log V');
  const p = [0.1, 0.2, 0.3, 0.4];
  const fromP = -p.reduce((s, q) => s + q * Math.log(q), 0); // 1.279854...
  const logits = Float32Array.from(p, (q) => Math.log(q) + 3);
  assert.ok(Math.abs(entropyOf(logits) - fromP) < 1e-6);
  assert.equal(entropyOf(Float32Array.of(0, -Infinity, -Infinity)), 0, 'one-hot (masked rest)');
  assert.ok(Math.abs(entropyOf(Float32Array.of(1000, 1000, -Infinity)) - Math.log(2)) < 1e-12, 'stable for large logits');
  assert.throws(() => entropyOf(Float32Array.of(0, Number.NaN)), RangeError);
  assert.throws(() => entropyOf(Float32Array.of(-Infinity, -Infinity)), RangeError);
});

test('logSoftmaxAt: hand-computed values, T = 0 is the untempered value', () => {
  const logits = Float32Array.of(1, 2, 3);
  // x / 0.5 = [2, 4, 6]; log softmax at 0 = 2 - (6 + log(1 + e^-2 + e^-4))
  assert.ok(Math.abs(logSoftmaxAt(logits, 0.5, 0) - (2 - 6 - Math.log(1 + Math.exp(-2) + Math.exp(-4)))) < 1e-12);
  const atOne = 3 - Math.log(Math.E + Math.exp(2) + Math.exp(3));
  assert.ok(Math.abs(logSoftmaxAt(logits, 1, 2) - atOne) < 1e-12);
  assert.equal(logSoftmaxAt(logits, 0, 2), logSoftmaxAt(logits, 1, 2));
  assert.ok(Math.abs(logSoftmaxAt(Float32Array.of(1000, 999, 998), 1, 0) + Math.log(1 + Math.exp(-1) + Math.exp(-2))) < 1e-12);
  assert.equal(logSoftmaxAt(Float32Array.of(0, -Infinity), 1, 1), -Infinity);
  for (const token of [-1, 3, 1.5]) assert.throws(() => logSoftmaxAt(logits, 1, token), RangeError);
});

test('sampleToken: frequencies match softmax(logits / T) and logprob is log softmax(logits / T)[token]', () => {
  const logits = Float32Array.of(0.5, -1, 2, 0, 1.5, -0.3);
  for (const temperature of [0.3, 1, 1.7]) {
    const probs = softmax(logits, temperature);
    const rng = streamFor(11, Math.round(temperature * 10));
    const n = 20_000;
    const draws: number[] = [];
    for (let i = 0; i < n; i++) {
      const { token, logprob } = sampleToken(logits, temperature, rng);
      assert.ok(Math.abs(logprob - Math.log(probs[token]!)) < 1e-9);
      draws.push(token);
    }
    const chi = chiSquare(counts(draws, logits.length), probs, n);
    assert.ok(chi < chi2Critical(5), `T=${temperature}: chi-square ${chi}`);
  }
});

test('sampleToken: top-k and top-p restrict the support; logprob is not renormalised', () => {
  const probs = [0.4, 0.3, 0.2, 0.1]; // cumulative 0.4, 0.7, 0.9, 1
  const logits = Float32Array.from(probs, (p) => Math.log(p) - 2);
  const table: { options: SamplingOptions; kept: number[] }[] = [
    { options: { topK: 1 }, kept: [0] },
    { options: { topK: 2 }, kept: [0, 1] },
    { options: { topK: 10 }, kept: [0, 1, 2, 3] },
    { options: { topK: 0 }, kept: [0, 1, 2, 3] }, // 0 disables top-k
    { options: { topP: 0.35 }, kept: [0] },
    { options: { topP: 0.65 }, kept: [0, 1] },
    { options: { topP: 0.85 }, kept: [0, 1, 2] },
    { options: { topP: 1 }, kept: [0, 1, 2, 3] },
    // top-k first, then top-p over the renormalised top 3: (0.4, 0.3, 0.2) / 0.9 -> cumulative 0.44, 0.78
    { options: { topK: 3, topP: 0.75 }, kept: [0, 1] },
    { options: { topK: 3, topP: 0.8 }, kept: [0, 1, 2] },
  ];
  for (const { options, kept } of table) {
    const label = JSON.stringify(options);
    assert.deepEqual(truncatedSet(probs, options), kept, `reference for ${label}`);
    const keptMass = kept.reduce((s, i) => s + probs[i]!, 0);
    const renormalised = probs.map((p, i) => (kept.includes(i) ? p / keptMass : 0));
    const rng = streamFor(3, kept.length);
    const n = 10_000;
    const draws: number[] = [];
    for (let i = 0; i < n; i++) {
      const { token, logprob } = sampleToken(logits, 1, rng, options);
      assert.ok(kept.includes(token), `${label}: sampled ${token}`);
      assert.ok(Math.abs(logprob - Math.log(probs[token]!)) < 1e-6, `${label}: logprob is log p, not renormalised`);
      draws.push(token);
    }
    if (kept.length > 1) {
      const chi = chiSquare(counts(draws, probs.length), renormalised, n);
      assert.ok(chi < chi2Critical(kept.length - 1), `${label}: chi-square ${chi}`);
    }
  }
});

test('sampleToken: truncation over a large vocabulary matches a full sort, ties at the cut included', () => {
  // 1500 tail tokens far below 14 head tokens at scattered positions, with ties (5.6, 5.6) and (4.6, 4.6).
  const V = 1500;
  const fill = streamFor(77);
  const logits = Float32Array.from({ length: V }, () => -6 + 5 * fill.uniform());
  const heads: [number, number][] = [
    [1499, 6],
    [17, 5.9],
    [750, 5.6],
    [3, 5.6],
    [1111, 5.3],
    [320, 5.1],
    [600, 5],
    [1250, 4.9],
    [45, 4.6],
    [900, 4.6],
    [1050, 4.4],
    [388, 4.2],
    [500, 4],
    [1350, 3.9],
  ];
  for (const [i, x] of heads) logits[i] = x;
  const temperature = 0.9;
  const probs = softmax(logits, temperature);
  const small = Float32Array.of(0.3, -0.2, 0.9);
  for (const options of [{ topK: 9 }, { topK: 1 }, { topP: 0.8 }, { topK: 9, topP: 0.8 }, { topK: 25, topP: 0.95 }] as SamplingOptions[]) {
    const label = JSON.stringify(options);
    const kept = truncatedSet(probs, options);
    const keptMass = kept.reduce((s, i) => s + probs[i]!, 0);
    const n = 4000;
    // Precondition of this test's design: each kept token is expected >= 30 times, so all must appear.
    assert.ok(
      kept.every((i) => (n * probs[i]!) / keptMass >= 30),
      `${label}: design keeps rare tokens`,
    );
    const s = new TokenSampler(options);
    const rng = streamFor(5, kept.length);
    s.sample(small, 1, rng); // scratch buffers start small and must grow
    const draws: number[] = [];
    for (let d = 0; d < n; d++) draws.push(s.sample(logits, temperature, rng).token);
    const observed = counts(draws, V);
    assert.deepEqual(
      observed.flatMap((c, i) => (c > 0 ? [i] : [])),
      kept,
      `${label}: support`,
    );
    for (const i of kept) {
      const expected = probs[i]! / keptMass;
      // standard error <= sqrt(0.25 / 4000) ~ 0.008
      assert.ok(Math.abs(observed[i]! / n - expected) < 0.03, `${label}: token ${i} ${observed[i]! / n} vs ${expected}`);
    }
    // Back to a small vocabulary with the grown (larger, stale) scratch buffers.
    const smallKept = truncatedSet(softmax(small), options);
    for (let d = 0; d < 200; d++) assert.ok(smallKept.includes(s.sample(small, 1, rng).token), `${label}: small vocabulary after large`);
  }
  assert.ok(
    truncatedSet(probs, { topK: 9 }).includes(45) && !truncatedSet(probs, { topK: 9 }).includes(900),
    'tie goes to the lower index',
  );
});

test('sampleToken: greedy at T = 0 is the argmax (lowest index among ties) and uses one uniform', () => {
  const logits = Float32Array.of(1, 3, 3, 0);
  const untempered = 3 - Math.log(Math.E + 2 * Math.exp(3) + 1);
  for (const options of [{}, { topK: 2 }, { topP: 0.5 }] as SamplingOptions[]) {
    const rng = streamFor(1);
    const reference = rng.clone();
    const { token, logprob } = sampleToken(logits, 0, rng, options);
    assert.equal(token, 1);
    assert.ok(Math.abs(logprob - untempered) < 1e-12);
    reference.uniform();
    assert.deepEqual(rng.exportState(), reference.exportState(), 'exactly one uniform drawn');
  }
  // A tiny temperature behaves like greedy, with logprob -> 0 (the tempered distribution is one-hot).
  const sharp = sampleToken(Float32Array.of(0, 1, 0.5), 1e-6, streamFor(2));
  assert.equal(sharp.token, 1);
  assert.equal(sharp.logprob, 0);
});

test('sampleToken: masked tokens are never drawn; inputs are not modified', () => {
  const logits = Float32Array.of(0, -Infinity, 0, -Infinity, 0.2);
  const before = Float32Array.from(logits);
  const rng = streamFor(8);
  for (const options of [{}, { topK: 4 }, { topP: 0.99 }] as SamplingOptions[]) {
    for (let i = 0; i < 2000; i++) {
      const { token, logprob } = sampleToken(logits, 1.3, rng, options);
      assert.ok(token !== 1 && token !== 3);
      assert.ok(Number.isFinite(logprob));
    }
  }
  entropyOf(logits);
  logSoftmaxAt(logits, 0.7, 0);
  assert.deepEqual(logits, before);
});

test('sampleToken: invalid arguments are errors, thrown before any random number is drawn', () => {
  const logits = Float32Array.of(0, 1);
  const rng = streamFor(0);
  const state = rng.exportState();
  for (const temperature of [-0.1, Number.NaN, Infinity]) {
    assert.throws(() => sampleToken(logits, temperature, rng), RangeError, `temperature ${temperature}`);
  }
  assert.throws(() => sampleToken(Float32Array.of(0, Number.NaN), 1, rng), /NaN at index 1/);
  assert.throws(() => sampleToken(Float32Array.of(0, Infinity), 1, rng), /\+Infinity/);
  assert.throws(() => sampleToken(Float32Array.of(-Infinity), 1, rng), /no finite entry/);
  assert.throws(() => sampleToken(new Float32Array(0), 1, rng), /no finite entry/);
  assert.deepEqual(rng.exportState(), state);
  for (const options of [{ topK: -1 }, { topK: 1.5 }, { topP: 0 }, { topP: 1.01 }, { topP: Number.NaN }] as SamplingOptions[]) {
    assert.throws(() => new TokenSampler(options), UserError, JSON.stringify(options));
    assert.throws(() => sampleToken(logits, 1, rng, options), UserError);
  }
});
