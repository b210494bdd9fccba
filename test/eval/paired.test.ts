import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pairedBootstrap, pairedDifferences, passAtKs } from '../../src/eval/paired.js';

const close = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

test('pass@k: the unbiased estimator 1 - C(n-c,k)/C(n,k) against hand-computed values', () => {
  // n = 4, c = 1: pass@1 = 1/4, pass@2 = 1 - C(3,2)/C(4,2) = 1 - 3/6 = 1/2, pass@4 = 1.
  // n = 4, c = 2: pass@1 = 1/2, pass@2 = 1 - C(2,2)/C(4,2) = 5/6, pass@3 = 1 (only 2 wrong).
  // n = 4, c = 0: 0 for every k.
  const scores = { samples: 4, correct: [1, 2, 0] };
  const p = passAtKs(scores, [1, 2, 3, 4, 8]);
  close(p[1]!, (1 / 4 + 1 / 2 + 0) / 3);
  close(p[2]!, (1 / 2 + 5 / 6 + 0) / 3);
  // pass@3: c=1: 1 - C(3,3)/C(4,3) = 1 - 1/4 = 3/4; c=2: 1.
  close(p[3]!, (3 / 4 + 1 + 0) / 3);
  close(p[4]!, 2 / 3);
  assert.equal(p[8], undefined, 'k > n is not estimable and left out');
  // n = 32, c = 3, k = 8: 1 - C(29,8)/C(32,8) = 1 - (24*23*22)/(32*31*30) = 1 - 12144/29760.
  close(passAtKs({ samples: 32, correct: [3] }, [8])[8]!, 1 - 12144 / 29760);
});

test('paired bootstrap: mean difference, interval containing it, narrower with more seeds, deterministic', () => {
  const method = new Map([
    [0, { samples: 2, correct: [2, 1, 0, 2] }],
    [1, { samples: 2, correct: [1, 1, 1, 2] }],
  ]);
  const reference = new Map([
    [0, { samples: 2, correct: [1, 1, 0, 1] }],
    [1, { samples: 2, correct: [1, 0, 1, 2] }],
  ]);
  const d = pairedDifferences(method, reference);
  assert.deepEqual(d, [
    [0.5, 0, 0, 0.5],
    [0, 0.5, 0, 0],
  ]);
  const ci = pairedBootstrap(d, { seed: 1 });
  close(ci.mean, (0.25 + 0.125) / 2);
  assert.ok(ci.low <= ci.mean && ci.mean <= ci.high);
  assert.ok(ci.low >= 0 && ci.high <= 0.5, 'every difference is in [0, 0.5]');
  assert.deepEqual(pairedBootstrap(d, { seed: 1 }), ci);
  // Identical methods: a zero-width interval at 0.
  const zero = pairedBootstrap(
    [
      [0, 0, 0],
      [0, 0, 0],
    ],
    { seed: 2 },
  );
  assert.deepEqual([zero.mean, zero.low, zero.high], [0, 0, 0]);
  // A constant shift per seed: seed resampling alone makes the spread; with seeds 0.1 and 0.3 the
  // 95% interval of the two-seed mean lies within [0.1, 0.3] and covers 0.2.
  const shift = pairedBootstrap(
    [
      [0.1, 0.1],
      [0.3, 0.3],
    ],
    { seed: 3, resamples: 4000 },
  );
  assert.ok(shift.low >= 0.1 - 1e-12 && shift.high <= 0.3 + 1e-12 && shift.low < 0.2 && shift.high > 0.2);
  assert.throws(
    () => pairedDifferences(new Map([[0, { samples: 1, correct: [1] }]]), new Map([[0, { samples: 1, correct: [1, 0] }]])),
    /cannot be paired/,
  );
});
