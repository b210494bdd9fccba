import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aggregateLoss, aggregationWeights, lossAggregations, type AggregationOptions } from '../../src/rl/loss-aggregation.js';

const close = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${a} vs ${b}`);

// Row 0 has 2 response tokens, row 1 has 3, row 2 none (e.g. an empty completion).
const loss = [
  [1, 2, 3],
  [4, 5, 6],
  [7, 8, 9],
];
const mask = [
  [1, 1, 0],
  [1, 1, 1],
  [0, 0, 0],
];

const handComputed: [mode: string, options: AggregationOptions | undefined, expected: number][] = [
  ['token-mean', undefined, (1 + 2 + 4 + 5 + 6) / 5],
  ['seq-mean-token-mean', undefined, (1.5 + 5) / 2], // the empty row is left out
  ['seq-mean-token-sum', undefined, (3 + 15 + 0) / 3],
  ['seq-mean-token-sum-norm', undefined, (3 / 3 + 15 / 3 + 0) / 3], // L defaults to T = 3
  ['seq-mean-token-sum-norm', { normLength: 10 }, (0.3 + 1.5 + 0) / 3],
];

test('aggregation modes against hand-computed values', () => {
  for (const [mode, options, expected] of handComputed) close(aggregateLoss(mode, loss, mask, options), expected);
});

/** Small deterministic generator for the randomised agreement test. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296;
}

test('weighted-sum form: sum(w * l) equals the loop aggregation for every mode', () => {
  const random = lcg(7);
  const B = 6;
  const T = 9;
  const l = Array.from({ length: B }, () => Array.from({ length: T }, () => random() * 4 - 2));
  // right-padded masks of random lengths, one row empty
  const m = Array.from({ length: B }, (_, b) => {
    const len = b === 2 ? 0 : 1 + Math.floor(random() * T);
    return Array.from({ length: T }, (_, t) => (t < len ? 1 : 0));
  });
  for (const mode of lossAggregations.names()) {
    for (const options of [undefined, { normLength: 32 }]) {
      const reference = aggregateLoss(mode, l, m, options);
      const w64 = lossAggregations.get(mode).weights(m, options);
      const w32 = aggregationWeights(mode, m, options);
      assert.equal(w32.length, B * T);
      let sum64 = 0;
      let sum32 = 0;
      l.forEach((row, b) =>
        row.forEach((loss, t) => {
          sum64 += w64[b * T + t]! * loss;
          sum32 += w32[b * T + t]! * loss;
          if (m[b]?.[t] === 0) assert.equal(w32[b * T + t], 0, `${mode}: padding gets no weight`);
        }),
      );
      close(sum64, reference);
      close(sum32, reference, 1e-6);
    }
  }
});

test('aggregation: empty mask gives 0 and zero weights; bad shapes and lengths are rejected', () => {
  const none = [
    [0, 0],
    [0, 0],
  ];
  for (const mode of lossAggregations.names()) {
    assert.equal(
      aggregateLoss(
        mode,
        [
          [1, 2],
          [3, 4],
        ],
        none,
      ),
      0,
    );
    assert.ok(aggregationWeights(mode, none).every((w) => w === 0));
  }
  assert.throws(
    () =>
      aggregateLoss(
        'token-mean',
        [[1, 2], [3]],
        [
          [1, 1],
          [1, 1],
        ],
      ),
    /length 1, expected 2/,
  );
  assert.throws(() => aggregateLoss('seq-mean-token-sum-norm', loss, mask, { normLength: 0 }), /normalising length/);
  assert.throws(() => aggregateLoss('sum', loss, mask), /valid: token-mean, seq-mean-token-mean/);
});
