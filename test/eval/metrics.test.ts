import { test } from 'node:test';
import assert from 'node:assert/strict';
import { avgAtK, avgAtKWithInterval, majAtK, majorityVote, meanPassAtK, passAtK } from '../../src/eval/metrics.js';
import {
  averageRanks,
  binnedMeans,
  mean,
  meanConfidenceInterval,
  normalQuantile,
  pearson,
  quantileSorted,
  spearman,
  std,
} from '../../src/util/stats.js';

const close = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

test('mean and std (sample and population) by hand', () => {
  const values = [2, 4, 4, 4, 5, 5, 7, 9]; // sum of squared deviations 32
  assert.equal(mean(values), 5);
  assert.equal(std(values, { unbiased: false }), 2);
  close(std(values), Math.sqrt(32 / 7));
  assert.ok(Number.isNaN(mean([])));
  assert.ok(Number.isNaN(std([3])));
});

test('avg@k: per-problem accuracy averaged over problems', () => {
  const T = true;
  const F = false;
  assert.equal(
    avgAtK([
      [T, F, T, T],
      [F, F, F, F],
    ]),
    0.375,
  );
  close(avgAtK([[T], [F, F, T]]), (1 + 1 / 3) / 2);
  assert.throws(() => avgAtK([[]]), /no samples/);
});

/** pass@k by enumeration: the fraction of k-subsets of n samples (the first c correct) that hold a correct one. */
function bruteForcePassAtK(n: number, c: number, k: number): number {
  let subsets = 0;
  let hits = 0;
  const visit = (start: number, chosen: number[]) => {
    if (chosen.length === k) {
      subsets++;
      if (chosen.some((i) => i < c)) hits++;
      return;
    }
    for (let i = start; i < n; i++) visit(i + 1, [...chosen, i]);
  };
  visit(0, []);
  return hits / subsets;
}

test('pass@k equals brute-force subset enumeration for n <= 8', () => {
  for (let n = 1; n <= 8; n++) {
    for (let c = 0; c <= n; c++) {
      for (let k = 1; k <= n; k++) close(passAtK(n, c, k), bruteForcePassAtK(n, c, k), 1e-12);
    }
  }
});

test('pass@k stays finite for large n (log-binomial reference) and rejects bad arguments', () => {
  const [n, c, k] = [1000, 10, 100];
  // log C(n - c, k) - log C(n, k) = sum_{i < k} log(n - c - i) - log(n - i)
  let logRatio = 0;
  for (let i = 0; i < k; i++) logRatio += Math.log(n - c - i) - Math.log(n - i);
  close(passAtK(n, c, k), 1 - Math.exp(logRatio), 1e-12);
  assert.equal(passAtK(5, 3, 3), 1);
  close(
    meanPassAtK(
      [
        [true, false],
        [false, false],
      ],
      1,
    ),
    0.25,
  );
  assert.throws(() => passAtK(4, 1, 5), /1 <= k <= n/);
  assert.throws(() => passAtK(4, 5, 1), /0 <= c <= n/);
});

test('majority vote: key normaliser, earliest class wins ties, missing answers do not vote', () => {
  const trim = { key: (a: string) => a.trim() };
  const tie = majorityVote(
    [
      { answer: '4', correct: true },
      { answer: '5', correct: false },
      { answer: ' 4', correct: true },
      { answer: '5 ', correct: false },
      { answer: null, correct: false },
    ],
    trim,
  );
  assert.deepEqual(tie, { answer: '4', index: 0, votes: 2, correct: true });
  const later = majorityVote(
    [
      { answer: '5', correct: false },
      { answer: '4', correct: true },
      { answer: '4 ', correct: true },
    ],
    trim,
  );
  assert.deepEqual(later, { answer: '4', index: 1, votes: 2, correct: true });
  assert.deepEqual(majorityVote([{ answer: null, correct: false }], trim), { answer: null, index: -1, votes: 0, correct: false });
  // a pairwise equivalence (numeric tolerance) instead of a key
  const numeric = { equivalent: (a: number, b: number) => Math.abs(a - b) < 1e-9 };
  const votes = majorityVote(
    [
      { answer: 0.3, correct: false },
      { answer: 0.5, correct: true },
      { answer: 1 / 2, correct: true },
    ],
    numeric,
  );
  assert.deepEqual(votes, { answer: 0.5, index: 1, votes: 2, correct: true });
  assert.equal(
    majAtK(
      [
        [
          { answer: 'a', correct: true },
          { answer: 'a', correct: true },
          { answer: 'b', correct: false },
        ],
        [
          { answer: 'b', correct: false },
          { answer: 'a', correct: true },
        ],
      ],
      { key: (a: string) => a },
    ),
    0.5, // problem 1 is a tie, won by the earlier wrong answer
  );
});

test('normal quantile against table values', () => {
  const table: [number, number][] = [
    [0.5, 0],
    [0.975, 1.959963984540054],
    [0.995, 2.5758293035489004],
    [0.01, -2.3263478740408408],
    [0.999, 3.090232306167813],
    [0.84134474606854293, 1],
  ];
  for (const [p, z] of table) close(normalQuantile(p), z, 1e-8);
});

test('confidence intervals: normal by hand, bootstrap seeded and close to normal for large n', () => {
  const ci = meanConfidenceInterval([0, 1, 1, 1], { method: 'normal' });
  // sample std 0.5, half-width 1.959964 * 0.5 / 2
  close(ci.mean, 0.75);
  close(ci.low, 0.75 - 1.959963984540054 * 0.25, 1e-8);
  close(ci.high, 0.75 + 1.959963984540054 * 0.25, 1e-8);
  assert.equal(ci.n, 4);

  const correct = Array.from({ length: 400 }, (_, i) => [i % 10 < 3, i % 7 === 0, true, i % 3 === 0]);
  const normal = avgAtKWithInterval(correct, { method: 'normal' });
  const boot = avgAtKWithInterval(correct, { method: 'bootstrap', seed: 1, resamples: 4000 });
  close(boot.mean, normal.mean);
  close(boot.low, normal.low, 0.005);
  close(boot.high, normal.high, 0.005);
  assert.deepEqual(avgAtKWithInterval(correct, { method: 'bootstrap', seed: 1, resamples: 4000 }), boot);
  assert.notDeepEqual(avgAtKWithInterval(correct, { method: 'bootstrap', seed: 2, resamples: 4000 }), boot);
  const constant = meanConfidenceInterval([0.5, 0.5, 0.5], { method: 'bootstrap', seed: 3 });
  assert.deepEqual([constant.low, constant.high], [0.5, 0.5]);
  close(quantileSorted([1, 2, 3, 4], 0.5), 2.5);
  close(quantileSorted([1, 2, 3, 4], 0.25), 1.75);
});

test('pearson and spearman against hand-computed values', () => {
  const x = [1, 2, 3, 4, 5];
  const y = [2, 4, 5, 4, 5];
  close(pearson(x, y), 6 / Math.sqrt(60)); // sxy 6, sxx 10, syy 6
  assert.deepEqual([...averageRanks(y)], [1, 2.5, 4.5, 2.5, 4.5]);
  close(spearman(x, y), 7 / Math.sqrt(90)); // ranks of y centred: [-2, -0.5, 1.5, -0.5, 1.5]
  close(spearman([1, 2, 3, 4], [1, 8, 27, 64]), 1);
  close(pearson([1, 2, 3], [3, 2, 1]), -1);
  assert.ok(Number.isNaN(pearson([1, 2, 3], [2, 2, 2])));
  assert.throws(() => pearson([1, 2], [1]), /different lengths/);
});

test('binned means over equal-width bins', () => {
  const x = [0, 0.1, 0.5, 0.9, 1.0];
  const y = [1, 2, 3, 4, 5];
  const two = binnedMeans(x, y, 2);
  assert.deepEqual(
    two.map((b) => [b.lo, b.hi, b.count, b.meanY]),
    [
      [0, 0.5, 2, 1.5],
      [0.5, 1, 3, 4],
    ],
  );
  close(two[1]!.meanX, 0.8);
  const four = binnedMeans(x, y, 4, [0, 2]);
  assert.deepEqual(
    four.map((b) => b.count),
    [2, 2, 1, 0],
  );
  assert.deepEqual(
    four.slice(0, 3).map((b) => b.meanY),
    [1.5, 3.5, 5],
  );
  assert.ok(Number.isNaN(four[3]!.meanY));
  const inside = binnedMeans(x, y, 1, [0.2, 0.95]);
  assert.deepEqual(
    inside.map((b) => [b.count, b.meanY]),
    [[2, 3.5]],
  );
  assert.throws(() => binnedMeans(x, y, 0), /bins must be/);
});

test('pearson of a constant series is NaN, even when its mean rounds', async () => {
  const { pearson } = await import('../../src/util/stats.js');
  const x = Array.from({ length: 200 }, (_, i) => i / 20);
  const y = x.map(() => 0.6);
  assert.ok(Number.isNaN(pearson(x, y)));
  assert.ok(Number.isNaN(pearson(y, x)));
});
