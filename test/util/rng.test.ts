import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng, streamFor, type RngState } from '../../src/util/rng.js';

function draws(rng: Rng, n: number): number[] {
  return Array.from({ length: n }, () => rng.nextUint32());
}

test('rng: xoshiro128** matches the reference C implementation', () => {
  // First outputs of Blackman & Vigna's reference xoshiro128starstar.c from state {1, 2, 3, 4} (compiled with gcc).
  const rng = Rng.fromState({ algorithm: 'xoshiro128**', words: [1, 2, 3, 4] });
  assert.deepEqual(draws(rng, 8), [11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849]);
});

test('rng: stream derivation matches a C implementation of splitmix64 (64-bit arithmetic done right)', () => {
  // The derivation of rng.ts written in C with native uint64_t (splitmix64 constants from Vigna's splitmix64.c):
  // key = mix(seed + G); key = mix((key ^ id) + G) per id; state = mix(key + G), mix(key + 2G) split into uint32 words.
  const cases: { seed: number; ids: number[]; words: number[]; outputs: number[] }[] = [
    {
      seed: 42,
      ids: [3, 7],
      words: [117988201, 3332737130, 4193609912, 1338642143],
      outputs: [2357023984, 3430936556, 6717265, 3240806111],
    },
    {
      seed: 42,
      ids: [],
      words: [1695576580, 1474427578, 4273094741, 4104900931],
      outputs: [1552505907, 4113083374, 3991650357, 132206321],
    },
    {
      seed: -1,
      ids: [0],
      words: [1443111386, 4228130569, 1598238887, 1228112994],
      outputs: [1567510182, 1749628301, 849718794, 4275543292],
    },
  ];
  for (const c of cases) {
    const rng = streamFor(c.seed, ...c.ids);
    assert.deepEqual(rng.exportState().words, c.words, `state for ${c.seed} ${c.ids}`);
    assert.deepEqual(draws(rng, 4), c.outputs, `outputs for ${c.seed} ${c.ids}`);
  }
  assert.deepEqual(draws(Rng.fromSeed(42), 4), cases[1]?.outputs);
});

test('rng: same (seed, ids) give the same stream; different seeds, ids, order or count differ', () => {
  assert.deepEqual(draws(streamFor(7, 1, 2), 16), draws(streamFor(7, 1, 2), 16));
  const reference = draws(streamFor(7, 1, 2), 16);
  for (const other of [streamFor(8, 1, 2), streamFor(7, 1, 3), streamFor(7, 2, 1), streamFor(7, 1), streamFor(7, 1, 2, 0)]) {
    assert.notDeepEqual(draws(other, 16), reference);
  }
});

test('rng: a sequence draws the same numbers whatever batch it is in', () => {
  // Sequential: each (prompt, sample) stream alone. Batched: 6 streams advanced in lockstep, interleaved.
  const alone = [0, 1, 2].flatMap((p) => [0, 1].map((s) => draws(streamFor(5, p, s), 10)));
  const batch = [0, 1, 2].flatMap((p) => [0, 1].map((s) => streamFor(5, p, s)));
  const interleaved = batch.map((rng) => ({ rng, drawn: [] as number[] }));
  for (let t = 0; t < 10; t++) for (const { rng, drawn } of interleaved) drawn.push(rng.nextUint32());
  assert.deepEqual(
    interleaved.map((s) => s.drawn),
    alone,
  );
});

test('rng: exported state is plain JSON and resumes the identical sequence', () => {
  const rng = streamFor(123, 4, 5);
  rng.uniform();
  rng.normal();
  const saved = JSON.parse(JSON.stringify(rng.exportState())) as RngState;
  assert.deepEqual(saved, rng.exportState());
  const expected = [rng.uniform(), rng.normal(), rng.nextUint32()];
  const resumed = Rng.fromState(saved);
  assert.deepEqual([resumed.uniform(), resumed.normal(), resumed.nextUint32()], expected);
  const copy = resumed.clone();
  assert.deepEqual(draws(copy, 5), draws(resumed, 5));
});

test('rng: invalid states are rejected', () => {
  const bad: unknown[] = [
    { algorithm: 'pcg32', words: [1, 2, 3, 4] },
    { algorithm: 'xoshiro128**', words: [1, 2, 3] },
    { algorithm: 'xoshiro128**', words: [1, 2, 3, 2 ** 32] },
    { algorithm: 'xoshiro128**', words: [1, 2.5, 3, 4] },
    { algorithm: 'xoshiro128**', words: [0, 0, 0, 0] },
    null,
  ];
  for (const state of bad) assert.throws(() => Rng.fromState(state as RngState), RangeError, JSON.stringify(state));
  assert.throws(() => streamFor(1.5), RangeError);
  assert.throws(() => streamFor(1, Number.NaN), RangeError);
});

test('rng: uniform and normal have the right moments', () => {
  const rng = streamFor(2024);
  const n = 100_000;
  let sum = 0;
  let sumSq = 0;
  let min = 1;
  let max = 0;
  for (let i = 0; i < n; i++) {
    const u = rng.uniform();
    sum += u;
    sumSq += u * u;
    min = Math.min(min, u);
    max = Math.max(max, u);
  }
  const mean = sum / n;
  // Uniform[0,1): mean 1/2, variance 1/12; standard error of the mean sqrt(1/12/n) ~ 0.0009.
  assert.ok(Math.abs(mean - 0.5) < 0.005, `mean ${mean}`);
  assert.ok(Math.abs(sumSq / n - mean * mean - 1 / 12) < 0.002);
  assert.ok(min >= 0 && max < 1);

  let zSum = 0;
  let zSq = 0;
  let within1 = 0;
  for (let i = 0; i < n; i++) {
    const z = rng.normal();
    zSum += z;
    zSq += z * z;
    if (Math.abs(z) < 1) within1++;
  }
  assert.ok(Math.abs(zSum / n) < 0.015, `normal mean ${zSum / n}`);
  assert.ok(Math.abs(zSq / n - 1) < 0.02, `normal variance ${zSq / n}`);
  // P(|Z| < 1) = erf(1 / sqrt 2) = 0.682689...
  assert.ok(Math.abs(within1 / n - 0.682689) < 0.006, `P(|z|<1) ${within1 / n}`);
});

test('rng: neighbouring streams are uncorrelated', () => {
  // Streams for adjacent sample indices must not start alike: correlation of their first draws
  // across 2000 prompt indices should be ~0 (standard error 1/sqrt(2000) ~ 0.022).
  const n = 2000;
  const a: number[] = [];
  const b: number[] = [];
  for (let p = 0; p < n; p++) {
    a.push(streamFor(9, p, 0).uniform());
    b.push(streamFor(9, p, 1).uniform());
  }
  const mean = (x: number[]): number => x.reduce((s, v) => s + v, 0) / x.length;
  const ma = mean(a);
  const mb = mean(b);
  let cov = 0;
  let va = 0;
  let vb = 0;
  a.forEach((ai, i) => {
    const bi = b[i]!;
    cov += (ai - ma) * (bi - mb);
    va += (ai - ma) ** 2;
    vb += (bi - mb) ** 2;
  });
  assert.ok(Math.abs(cov / Math.sqrt(va * vb)) < 0.1);
  assert.ok(Math.abs(ma - 0.5) < 0.03 && Math.abs(mb - 0.5) < 0.03);
});
