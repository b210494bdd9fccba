import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fullBatchLlmSteps, matchedIterations, tokenUpdateIterations } from '../../src/rl/budget.js';
import { validateJob } from '../../src/config/index.js';
import { cellJobOf } from '../../src/api/compare-baselines.js';

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
  assert.equal(
    matchedIterations(
      'llm-steps',
      'coordinate-ascent',
      [
        { phase: 'temperature', iterations: 1 },
        { phase: 'token', iterations: 3 },
      ],
      5,
    ),
    7,
  );
  assert.equal(matchedIterations('llm-steps', 'joint', phases, 80), 80);
  assert.equal(matchedIterations('llm-steps', 'token-only', phases, 80), 80);
  assert.equal(matchedIterations('llm-steps', 'temperature-only', phases, 80), 80, 'never updates the LLM: nothing to match');
});

test("budget: iterations and tokens keep the job's iterations (tokens stop the trainer instead)", () => {
  assert.equal(matchedIterations('iterations', 'coordinate-ascent', phases, 80), 80);
  assert.equal(matchedIterations('tokens', 'coordinate-ascent', phases, 80), 80);
  // Today's unmatched budget, the numbers: coordinate ascent's LLM gets half the updates.
  assert.equal(tokenUpdateIterations('coordinate-ascent', phases, 80), 40);
});

test('budget: llm-steps-exact gives every method that updates the LLM the full-batch steps of token-only training', () => {
  // 16 prompts x 8 samples = 128 rollouts in mini-batches of 64: 2 steps an update iteration, 60 iterations = 120 steps.
  assert.equal(fullBatchLlmSteps({ promptsPerIteration: 16, groupSize: 8, miniBatchSize: 64, epochs: 1 }, 60), 120);
  // 30 rollouts in mini-batches of 8: 4 (the last one short), 2 epochs, 10 iterations = 80.
  assert.equal(fullBatchLlmSteps({ promptsPerIteration: 10, groupSize: 3, miniBatchSize: 8, epochs: 2 }, 10), 80);
  const job = (budget: string) =>
    validateJob(
      { train: { iterations: 60, promptsPerIteration: 16, groupSize: 8, miniBatchSize: 64 }, compare: { budget } },
      { source: 'test', baseDir: process.cwd() },
    );
  const cell = (budget: string, schedule: 'token-only' | 'coordinate-ascent' | 'temperature-only') =>
    cellJobOf(
      job(budget),
      { name: schedule, policy: schedule === 'token-only' ? 'fixed:1.0' : 'learned', schedule },
      0,
      '/tmp/cell',
      undefined,
    ).train;
  assert.deepEqual([cell('llm-steps-exact', 'token-only').llmStepBudget, cell('llm-steps-exact', 'token-only').iterations], [120, 120]);
  // coordinate ascent: 120 matched iterations (2 + 2 phases), capped at twice that; stopped by the steps
  assert.deepEqual(
    [cell('llm-steps-exact', 'coordinate-ascent').llmStepBudget, cell('llm-steps-exact', 'coordinate-ascent').iterations],
    [120, 240],
  );
  assert.deepEqual(
    [cell('llm-steps-exact', 'temperature-only').llmStepBudget, cell('llm-steps-exact', 'temperature-only').iterations],
    [undefined, 60],
    'no LLM steps to match',
  );
  // llm-steps (the committed comparison's) sets no step budget: its cells' jobs are what they were
  assert.ok(!('llmStepBudget' in cell('llm-steps', 'coordinate-ascent')));
  assert.equal(cell('llm-steps', 'coordinate-ascent').iterations, 120);
});
