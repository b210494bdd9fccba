import { test } from 'node:test';
import assert from 'node:assert/strict';
import { combinedReward, rewardFunctions } from '../../src/rl/rewards.js';
import { UnknownNameError } from '../../src/util/registry.js';

const rollout = (length: number, finishReason: 'eos' | 'length' = 'eos') => ({ tokens: Array(length).fill(5), finishReason });
const right = { extracted: '5', correct: true, reward: 1 };
const noAnswer = { extracted: null, correct: false, reward: -0.5 };

test('rewards: verifier, format and the DAPO soft overlong penalty, by hand', () => {
  const ctx = (verdict: typeof right | typeof noAnswer, length: number) => ({ verdict, rollout: rollout(length), maxTokens: 40 });
  assert.equal(rewardFunctions.get('verifier')(ctx(right, 10), { name: 'verifier', weight: 1 }), 1);
  assert.equal(rewardFunctions.get('verifier')(ctx(noAnswer, 10), { name: 'verifier', weight: 1 }), -0.5);
  assert.equal(rewardFunctions.get('format')(ctx(noAnswer, 10), { name: 'format', weight: 1 }), 0);
  assert.equal(rewardFunctions.get('format')(ctx(right, 10), { name: 'format', weight: 1 }), 1);
  // cap 40, cache 8: no penalty up to 32 tokens, then (32 - len) / 8 down to -1 at 40.
  const overlong = (len: number) => rewardFunctions.get('overlong')(ctx(right, len), { name: 'overlong', weight: 1, cache: 8 });
  assert.deepEqual([overlong(20), overlong(32), overlong(34), overlong(36), overlong(40)], [0, 0, -0.25, -0.5, -1]);
  // default cache: a quarter of the cap (10): 35 tokens -> -0.5
  assert.equal(rewardFunctions.get('overlong')(ctx(right, 35), { name: 'overlong', weight: 1 }), -0.5);
  // weighted sum: 1 x verifier + 0.1 x format + 1 x overlong(36, cache 8)
  const terms = [
    { name: 'verifier' as const, weight: 1 },
    { name: 'format' as const, weight: 0.1 },
    { name: 'overlong' as const, weight: 1, cache: 8 },
  ];
  assert.ok(Math.abs(combinedReward(terms, ctx(right, 36)) - (1 + 0.1 - 0.5)) < 1e-12);
  assert.ok(Math.abs(combinedReward(terms, ctx(noAnswer, 10)) - -0.5) < 1e-12);
  assert.throws(() => rewardFunctions.get('length'), UnknownNameError);
});
