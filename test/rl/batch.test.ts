import { test } from 'node:test';
import assert from 'node:assert/strict';
import { headBatch, tokenBatch } from '../../src/rl/batch.js';
import type { Rollout } from '../../src/rollout/types.js';

function rollout(promptIds: number[], tokens: number[], temperatures: number[], hiddenSize = 2): Rollout {
  return {
    promptIndex: 0,
    sampleIndex: 0,
    promptIds,
    tokens,
    text: '',
    finishReason: 'eos',
    temperatures: Float32Array.from(temperatures),
    logprobs: Float32Array.from(tokens, (_, i) => -(i + 1) / 10),
    entropies: new Float32Array(tokens.length),
    actions: Int32Array.from(tokens, (_, i) => i),
    actionLogprobs: Float32Array.from(tokens, () => -2),
    hidden: Float32Array.from({ length: tokens.length * hiddenSize }, (_, i) => i),
  };
}

// Row 0: prompt [5, 6], completion [7, 8, 9] at T = 1, 0 (greedy), 0.5. Row 1: prompt [4], completion [3].
const rollouts = [rollout([5, 6], [7, 8, 9], [1, 0, 0.5]), rollout([4], [3], [0.8])];

test('token batch: prompt then completion per row, right-padded; weights only on sampled completion tokens', () => {
  const b = tokenBatch(rollouts, [1.5, -0.5], 'token-mean');
  assert.equal(b.length, 5);
  assert.deepEqual(Array.from(b.inputIds, Number), [5, 6, 7, 8, 9, 4, 3, 0, 0, 0]);
  assert.deepEqual(Array.from(b.attentionMask, Number), [1, 1, 1, 1, 1, 1, 1, 0, 0, 0]);
  // 3 trainable tokens (the greedy one is left out), token-mean: 1/3 each
  const third = Math.fround(1 / 3);
  assert.deepEqual(Array.from(b.lossMask), [0, 0, third, 0, third, 0, third, 0, 0, 0]);
  assert.deepEqual(Array.from(b.temperatures), [1, 1, 1, 1, 0.5, 1, Math.fround(0.8), 1, 1, 1]);
  assert.deepEqual(Array.from(b.oldLogprobs), [0, 0, Math.fround(-0.1), 0, Math.fround(-0.3), 0, Math.fround(-0.1), 0, 0, 0]);
  assert.deepEqual(Array.from(b.advantages), [1.5, -0.5]);
  assert.equal(b.tokens, 3);
});

test('seq-mean-token-mean weighs each sequence equally: 1/(2 x its token count)', () => {
  const b = tokenBatch(rollouts, [1, 1], 'seq-mean-token-mean');
  assert.deepEqual(Array.from(b.lossMask), [0, 0, 0.25, 0, 0.25, 0, 0.5, 0, 0, 0]);
});

test('head batch: one row per generated token with its hidden state, action and the sequence advantage', () => {
  const h = headBatch(rollouts, [2, -1], 'seq-mean-token-mean', 2);
  assert.equal(h.rows, 4);
  assert.deepEqual(Array.from(h.actions, Number), [0, 1, 2, 0]);
  assert.deepEqual(Array.from(h.advantages), [2, 2, 2, -1]);
  assert.deepEqual(Array.from(h.hidden), [0, 1, 2, 3, 4, 5, 0, 1]);
  const sixth = Math.fround(1 / 6);
  assert.deepEqual(Array.from(h.mask), [sixth, sixth, sixth, 0.5]);
});
