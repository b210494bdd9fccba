import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clippedSurrogate, k3Kl, policyObjectiveReference } from '../../src/model/graphs/policy-losses.js';
import { entropyOf, logSoftmax } from '../../src/util/softmax.js';

const close = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

test('clipped surrogate: hand-computed cases on both sides of the clip range', () => {
  const cases: [ratio: number, advantage: number, low: number, high: number, expected: number][] = [
    [1.5, 1, 0.2, 0.2, -1.2], // positive A, ratio above 1 + eps: clipped objective is the smaller one
    [1.5, -1, 0.2, 0.2, 1.5], // negative A, ratio above: unclipped (pessimistic) term
    [0.5, 1, 0.2, 0.2, -0.5], // positive A, ratio below: unclipped term
    [0.5, -1, 0.2, 0.2, 0.8], // negative A, ratio below 1 - eps: clipped at 0.8
    [1.5, 2, 0.2, 0.28, -2.56], // DAPO clip-higher: 1.28 * 2
    [1.1, 3, 0.2, 0.2, -3.3], // inside the range: ratio * A
  ];
  for (const [ratio, a, low, high, expected] of cases) close(clippedSurrogate(Math.log(ratio) - 0.7, -0.7, a, low, high), expected);
});

test('k3 KL: zero at equal log-probs, 1 - ln 2 at ref - logp = ln 2, never negative', () => {
  close(k3Kl(-1.3, -1.3), 0);
  close(k3Kl(-2, -2 + Math.LN2), 1 - Math.LN2);
  close(k3Kl(-2 + Math.LN2, -2), 0.5 + Math.LN2 - 1);
  for (const d of [-3, -0.1, 0.2, 4]) assert.ok(k3Kl(0, d) >= 0);
});

test('temperature log-softmax and entropy against closed forms', () => {
  const logits = [0, Math.log(3)];
  const [a = NaN, b = NaN] = logSoftmax(logits, 1);
  close(a, Math.log(0.25));
  close(b, Math.log(0.75));
  const [, b2 = NaN] = logSoftmax(logits, 2); // logits / 2 = [0, ln sqrt 3]
  close(b2, Math.log(Math.sqrt(3) / (1 + Math.sqrt(3))));
  close(entropyOf(logits, 1), -(0.25 * Math.log(0.25) + 0.75 * Math.log(0.75)));
  close(entropyOf([5, 5, 5, 5], 0.3), Math.log(4));
  const big = logSoftmax([1000, 1000], 0.5); // overflows without the max shift
  close(big[0] ?? NaN, -Math.LN2);
  assert.throws(() => logSoftmax(logits, 0), /temperature must be > 0/);
});

// B = 2, T = 2; ratios [[1.5, 1], [0.5, 1.1]], last token is padding.
const oldLogp = [
  [-1, -2],
  [-0.5, -3],
];
const [logp00, logp10, logp11] = [-1 + Math.log(1.5), -0.5 + Math.log(0.5), -3 + Math.log(1.1)];
const logp = [
  [logp00, -2],
  [logp10, logp11],
];
const mask = [
  [1, 1],
  [1, 0],
];

test('clipped policy loss: surrogate + klCoef * k3 - entropyCoef * entropy per token', () => {
  const refLogp = [
    [logp00 + Math.LN2, -2],
    [logp10, logp11 - 1],
  ];
  const entropy = [
    [0.5, 1],
    [2, 3],
  ];
  const { perToken: value } = policyObjectiveReference('clipped', {
    logp: logp.flat(),
    oldLogp: oldLogp.flat(),
    advantages: [1, 1, -1, -1],
    weights: mask.flat(),
    clipLow: 0.2,
    clipHigh: 0.2,
    kl: { refLogp: refLogp.flat(), coef: 0.1 },
    entropy: { perToken: entropy.flat(), coef: 0.01 },
  });
  const expected = [
    [-1.2 + 0.1 * (1 - Math.LN2) - 0.005, -1 + 0.1 * 0 - 0.01],
    [0.8 + 0 - 0.02, 1.1 + 0.1 * (Math.exp(-1) + 1 - 1) - 0.03],
  ];
  for (let b = 0; b < 2; b++) for (let t = 0; t < 2; t++) close(value[b * 2 + t]!, expected[b]![t]!);
});

test('clip fraction: weighted and sign-aware (only the side the advantage pushes towards counts)', () => {
  // masked tokens: ratio 1.5 with A = 1 (clipped), 1 with A = 1 (inside), 0.5 with A = -1 (clipped)
  const metrics = (advantages: number[], weights: number[]) =>
    policyObjectiveReference('clipped', { logp: logp.flat(), oldLogp: oldLogp.flat(), advantages, weights, clipLow: 0.2, clipHigh: 0.2 })
      .clipFraction;
  close(metrics([1, 1, -1, -1], mask.flat()), 2 / 3);
  // the same ratios with the advantages' signs flipped: the unclipped branch is the smaller one everywhere
  close(metrics([-1, -1, 1, 1], mask.flat()), 0);
  // weights: the ratio-1.5 token counts double
  close(metrics([1, 1, -1, -1], [2, 1, 1, 0]), 3 / 4);
  assert.equal(metrics([1, 1, -1, -1], [0, 0, 0, 0]), 0);
});
