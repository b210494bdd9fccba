import { test } from 'node:test';
import assert from 'node:assert/strict';
import { streamFor } from '../../src/util/rng.js';
import { AdamW, globalGradNorm, skipOneDimensional, type AdamWOptions } from '../../src/rl/optimizer.js';

interface Hyper {
  lrs: number[];
  beta1: number;
  beta2: number;
  eps: number;
  wd: number;
  maxNorm: number;
}

/**
 * Independent float64 reference, textbook form (Loshchilov & Hutter, Algorithm 2, with torch's clipping):
 *   g <- g * min(1, maxNorm / (||g|| + 1e-6))
 *   p <- p - lr * wd * p
 *   m <- b1 m + (1 - b1) g ;  v <- b2 v + (1 - b2) g^2
 *   mhat = m / (1 - b1^t) ;   vhat = v / (1 - b2^t)
 *   p <- p - lr * mhat / (sqrt(vhat) + eps)
 */
function referenceAdamW(p0: number[], grads: number[][], h: Hyper): number[] {
  const p = [...p0];
  const m = p.map(() => 0);
  const v = p.map(() => 0);
  grads.forEach((g0, step) => {
    const t = step + 1;
    const lr = h.lrs[step]!;
    const norm = Math.sqrt(g0.reduce((s, x) => s + x * x, 0));
    const coef = Math.min(1, h.maxNorm / (norm + 1e-6));
    g0.forEach((gi, i) => {
      const g = gi * coef;
      const decayed = p[i]! - lr * h.wd * p[i]!;
      const mi = (m[i] = h.beta1 * m[i]! + (1 - h.beta1) * g);
      const vi = (v[i] = h.beta2 * v[i]! + (1 - h.beta2) * g * g);
      const mhat = mi / (1 - h.beta1 ** t);
      const vhat = vi / (1 - h.beta2 ** t);
      p[i] = decayed - (lr * mhat) / (Math.sqrt(vhat) + h.eps);
    });
  });
  return p;
}

const p0 = [1, -2, 0.5, 3];
const grads: [number[], number[], number[]] = [
  [0.1, -0.2, 0, 0.3],
  [-0.05, 0.4, 0.2, 0.1],
  [0.3, 0.1, -0.6, 0.05],
];

function run(options: AdamWOptions, lrs: number[]): { p: Float32Array; opt: AdamW } {
  const p = Float32Array.from(p0);
  const opt = new AdamW(new Map([['w', p]]), options);
  grads.forEach((g, i) => assert.equal(opt.step(new Map([['w', Float32Array.from(g)]]), lrs[i]).applied, true));
  return { p, opt };
}

function assertNear(actual: ArrayLike<number>, expected: number[], tol: number): void {
  expected.forEach((e, i) => assert.ok(Math.abs(actual[i]! - e) <= tol, `index ${i}: ${actual[i]} vs ${e}`));
}

test('AdamW first step by hand: decay, then a step of ~lr * sign(g)', () => {
  const p = Float32Array.from(p0);
  const opt = new AdamW(new Map([['w', p]]), { lr: 0.1, weightDecay: 0.1 });
  opt.step(new Map([['w', Float32Array.from(grads[0])]]));
  // With bias correction the first step has mhat = g, vhat = g^2, so the update is lr * g / (|g| + eps).
  const expected = p0.map((x, i) => x * (1 - 0.01) - (grads[0][i] === 0 ? 0 : (0.1 * grads[0][i]!) / (Math.abs(grads[0][i]!) + 1e-8)));
  assertNear(p, expected, 1e-6);
  assert.equal(opt.stepCount, 1);
});

test('AdamW three steps with weight decay and per-step lr match the float64 reference', () => {
  const h: Hyper = { lrs: [0.1, 0.05, 0.02], beta1: 0.8, beta2: 0.95, eps: 1e-8, wd: 0.1, maxNorm: Infinity };
  const { p } = run({ lr: 1, betas: [h.beta1, h.beta2], eps: h.eps, weightDecay: h.wd }, h.lrs);
  assertNear(p, referenceAdamW(p0, grads, h), 2e-6);
});

test('AdamW with global-norm clipping matches the reference and reports the pre-clip norm', () => {
  const h: Hyper = { lrs: [0.1, 0.1, 0.1], beta1: 0.9, beta2: 0.999, eps: 1e-8, wd: 0.01, maxNorm: 0.25 };
  const g = Float32Array.from(grads[0]);
  const copy = g.slice();
  const opt = new AdamW(new Map([['w', Float32Array.from(p0)]]), { lr: 0.1, maxGradNorm: h.maxNorm });
  const report = opt.step(new Map([['w', g]]));
  const norm = Math.sqrt(0.01 + 0.04 + 0 + 0.09); // grads[0], computed by hand
  assert.ok(Math.abs(report.gradNorm - norm) < 1e-7);
  assert.ok(Math.abs(report.clipCoef - 0.25 / (norm + 1e-6)) < 1e-7);
  assert.deepEqual(g, copy, 'the caller gradients are not modified');
  const { p } = run({ lr: 0.1, maxGradNorm: h.maxNorm }, h.lrs);
  assertNear(p, referenceAdamW(p0, grads, h), 2e-6);
  // Clipping must have changed the result: without it the trajectory differs.
  const unclipped = referenceAdamW(p0, grads, { ...h, maxNorm: Infinity });
  assert.ok(Math.abs(unclipped[1]! - p[1]!) > 1e-4);
});

test('globalGradNorm spans all tensors', () => {
  const norm = globalGradNorm(
    new Map([
      ['a', Float32Array.from([3])],
      ['b', Float32Array.from([0, 4])],
    ]),
  );
  assert.equal(norm, 5);
});

test('globalGradNorm counts every element at every length, tail included, and passes NaN and Inf on', () => {
  // Integers: every square and partial sum is exact in float64, so any order gives the exact sum.
  for (let n = 0; n <= 11; n++) {
    const g = Float32Array.from({ length: n }, (_, i) => i + 1);
    const exact = (n * (n + 1) * (2 * n + 1)) / 6;
    assert.equal(globalGradNorm(new Map([['g', g]])), Math.sqrt(exact), `length ${n}`);
  }
  // Random values over magnitudes: within float64 rounding of a sequential sum.
  const rng = streamFor(5, 0x6e6f726d);
  const big = Float32Array.from({ length: 10_007 }, () => rng.normal() * 10 ** Math.floor(rng.uniform() * 6 - 3));
  let sequential = 0;
  for (const x of big) sequential += x * x;
  assert.ok(Math.abs(globalGradNorm(new Map([['g', big]])) / Math.sqrt(sequential) - 1) < 1e-13);
  for (const bad of [NaN, Infinity]) {
    const g = Float32Array.from([1, 2, 3, 4, 5, 6]);
    g[5] = bad;
    assert.ok(!Number.isFinite(globalGradNorm(new Map([['g', g]]))), `${bad} in the tail`);
    g[5] = 6;
    g[2] = bad;
    assert.ok(!Number.isFinite(globalGradNorm(new Map([['g', g]]))), `${bad} in a partial sum`);
  }
});

test('decay filter: 1-D parameters skip weight decay', () => {
  const weight = Float32Array.from([1, 2, 3, 4]);
  const bias = Float32Array.from([1, 2]);
  const shapes = new Map([
    ['weight', [2, 2]],
    ['bias', [2]],
  ]);
  const opt = new AdamW(
    new Map([
      ['weight', weight],
      ['bias', bias],
    ]),
    { lr: 0.5, weightDecay: 0.1, decayParameter: skipOneDimensional(shapes) },
  );
  // zero gradients: the Adam part is 0 / (0 + eps) = 0, so only decay acts: p * (1 - 0.5 * 0.1)
  opt.step(
    new Map([
      ['weight', new Float32Array(4)],
      ['bias', new Float32Array(2)],
    ]),
  );
  assert.deepEqual([...weight], [0.95, 1.9, 2.85, 3.8].map(Math.fround));
  assert.deepEqual([...bias], [1, 2]);
});

test('non-finite gradients skip the step and leave everything untouched', () => {
  for (const bad of [NaN, Infinity, -Infinity]) {
    const p = Float32Array.from(p0);
    const opt = new AdamW(new Map([['w', p]]), { lr: 0.1 });
    const report = opt.step(new Map([['w', Float32Array.from([0.1, bad, 0, 0])]]));
    assert.equal(report.applied, false);
    assert.equal(report.step, 0);
    assert.equal(opt.stepCount, 0);
    assert.deepEqual(p, Float32Array.from(p0));
    assert.ok(
      opt
        .exportState()
        .tensors.get('exp_avg.w')!
        .every((x) => x === 0),
    );
    // The next finite step behaves as a first step: bit-identical to a fresh optimizer's.
    const fresh = Float32Array.from(p0);
    new AdamW(new Map([['w', fresh]]), { lr: 0.1 }).step(new Map([['w', Float32Array.from(grads[0])]]));
    opt.step(new Map([['w', Float32Array.from(grads[0])]]));
    assert.deepEqual(p, fresh);
  }
});

test('exportState/importState gives a bit-identical continuation', () => {
  const names = ['a', 'b'];
  const init = (): Map<string, Float32Array> =>
    new Map(names.map((n, k) => [n, Float32Array.from({ length: 5 }, (_, i) => Math.sin(i + k))]));
  const gradAt = (step: number) =>
    new Map(names.map((n, k) => [n, Float32Array.from({ length: 5 }, (_, i) => Math.cos(step * 7 + i + k) * 0.3)]));
  const options: AdamWOptions = { lr: 0.05, weightDecay: 0.1, maxGradNorm: 0.5 };

  const straight = init();
  const a = new AdamW(straight, options);
  for (let s = 0; s < 5; s++) a.step(gradAt(s), 0.05 / (s + 1));

  const first = init();
  const b = new AdamW(first, options);
  for (let s = 0; s < 2; s++) b.step(gradAt(s), 0.05 / (s + 1));
  const savedParams = new Map([...first].map(([n, p]) => [n, p.slice()]));
  const saved = b.exportState();
  const savedCopy = new Map([...saved.tensors].map(([k, v]) => [k, v.slice()]));
  b.step(gradAt(99)); // must not change the exported arrays
  assert.deepEqual(saved.tensors, savedCopy);
  assert.deepEqual([...saved.tensors.keys()].sort(), ['exp_avg.a', 'exp_avg.b', 'exp_avg_sq.a', 'exp_avg_sq.b']);

  // "restart": new parameter arrays and a new optimizer, restored from the checkpoint
  const resumed = new Map([...savedParams].map(([n, p]) => [n, p.slice()]));
  const c = new AdamW(resumed, options);
  c.importState(saved);
  assert.equal(c.stepCount, 2);
  for (let s = 2; s < 5; s++) c.step(gradAt(s), 0.05 / (s + 1));

  for (const n of names) assert.deepEqual(resumed.get(n), straight.get(n), `param ${n} differs`);
  assert.deepEqual(c.exportState(), a.exportState());
});

test('AdamW rejects mismatched gradients, state and options', () => {
  const opt = new AdamW(new Map([['w', new Float32Array(3)]]), { lr: 0.1 });
  assert.throws(() => opt.step(new Map([['v', new Float32Array(3)]])), /no gradient for parameter "w"/);
  assert.throws(() => opt.step(new Map([['w', new Float32Array(2)]])), /2 elements, parameter has 3/);
  assert.throws(() => opt.importState({ step: 1, tensors: new Map([['exp_avg.w', new Float32Array(3)]]) }), /1 tensors, expected 2/);
  assert.throws(
    () =>
      opt.importState({
        step: 1,
        tensors: new Map([
          ['exp_avg.w', new Float32Array(3)],
          ['exp_avg_sq.w', new Float32Array(4)],
        ]),
      }),
    /has 4 elements, expected 3/,
  );
  assert.throws(() => new AdamW(new Map(), { lr: 0.1, betas: [1, 0.9] }), /beta1/);
  assert.throws(() => opt.step(new Map([['w', new Float32Array(3)]]), NaN), /learning rate/);
});
