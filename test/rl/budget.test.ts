import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchedIterations, tokenUpdateIterations } from '../../src/rl/budget.js';

const phases = [
  { phase: 'temperature' as const, iterations: 2 },
  { phase: 'token' as const, iterations: 2 },
];

test('budget: llm-steps gives coordinate ascent as many LLM-update iterations as token-only', () => {
  // 2 temperature + 2 token phases: T T L L T T L L ...; 80 LLM updates need 40 cycles of 4 = 160 iterations.
  assert.equal(matchedIterations('llm-steps', 'coordinate-ascent', phases, 80), 160);
  assert.equal(tokenUpdateIterations('coordinate-ascent', phases, 160), 80);
  assert.equal(tokenUpdateIterations('token-only', phases, 80), 80);
  // 3 updates: T T L L T T L -> 7 iterations (the last one is a token iteration).
  assert.equal(matchedIterations('llm-steps', 'coordinate-ascent', phases, 3), 7);
  // Uneven phases: 1 temperature + 3 token: T L L L T L L -> 5 updates take 7 iterations.
  assert.equal(matchedIterations('llm-steps', 'coordinate-ascent', [{ phase: 'temperature', iterations: 1 }, { phase: 'token', iterations: 3 }], 5), 7);
  assert.equal(matchedIterations('llm-steps', 'joint', phases, 80), 80);
  assert.equal(matchedIterations('llm-steps', 'token-only', phases, 80), 80);
  assert.equal(matchedIterations('llm-steps', 'temperature-only', phases, 80), 80, 'never updates the LLM: nothing to match');
});

test('budget: iterations and tokens keep the job\'s iterations (tokens stop the trainer instead)', () => {
  assert.equal(matchedIterations('iterations', 'coordinate-ascent', phases, 80), 80);
  assert.equal(matchedIterations('tokens', 'coordinate-ascent', phases, 80), 80);
  // Today's unmatched budget, the numbers: coordinate ascent's LLM gets half the updates.
  assert.equal(tokenUpdateIterations('coordinate-ascent', phases, 80), 40);
});
