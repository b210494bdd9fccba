/** summarizeSamples against hand-computed values. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { summarizeSamples, type GradedSample } from '../../src/eval/summary.js';
import { metricsTable, summaryRow, SUMMARY_COLUMNS } from '../../src/eval/report.js';

const s = (extracted: string | null, correct: boolean, length = 4, temperature = 0.5): GradedSample => ({
  extracted,
  correct,
  length,
  temperatureSum: temperature * length,
});
const byText = { key: (a: string) => a.trim() };

test('avg@k, pass@k, maj@k, lengths and temperatures of three problems with k = 3', () => {
  const samples = [
    [s('5', true), s('4', false), s('5', true)], // 2/3 right; majority 5 (right)
    [s('7', false), s('7', false), s('8', true, 10, 1)], // 1/3; majority 7 (wrong)
    [s(null, false), s('1', false, 1, 1), s(null, false)], // 0/3; only one answer, wrong
  ];
  const summary = summarizeSamples(samples, 3, byText, [s('5', true), s('8', true), s('2', false)]);
  assert.equal(summary.problems, 3);
  assert.ok(Math.abs(summary.avgAtK - 1 / 3) < 1e-12); // (2/3 + 1/3 + 0) / 3
  assert.ok(Math.abs(summary.passAtK - 2 / 3) < 1e-12); // n = k: a problem passes when any sample is right
  assert.ok(Math.abs(summary.majAtK - 1 / 3) < 1e-12);
  assert.ok(Math.abs(summary.greedyAccuracy! - 2 / 3) < 1e-12);
  // lengths 4,4,4, 4,4,10, 4,1,4 = 39 tokens over 9 samples; seven 4-token samples at 0.5, the others at 1
  assert.ok(Math.abs(summary.meanLength - 39 / 9) < 1e-12);
  const temperatureSum = 7 * 0.5 * 4 + 10 * 1 + 1 * 1;
  assert.ok(Math.abs(summary.meanTemperature - temperatureSum / 39) < 1e-12);
  assert.equal(summary.tokens, 39 + 12);
  // Normal interval over per-problem accuracies [2/3, 1/3, 0]: mean 1/3, std 1/3, half-width 1.96 * (1/3) / sqrt(3).
  const half = (1.959963984540054 * (1 / 3)) / Math.sqrt(3);
  assert.ok(Math.abs(summary.avgCiLow - Math.max(0, 1 / 3 - half)) < 1e-6);
  assert.ok(Math.abs(summary.avgCiHigh - (1 / 3 + half)) < 1e-6);
});

test('pass@k is the unbiased estimator when a problem has more samples than k', () => {
  // 4 samples, 1 right, pass@2 = 1 - C(3,2)/C(4,2) = 1 - 3/6 = 0.5
  const summary = summarizeSamples([[s('1', true), s('2', false), s('3', false), s('4', false)]], 2, byText);
  assert.ok(Math.abs(summary.passAtK - 0.5) < 1e-12);
  assert.equal(summary.greedyAccuracy, null);
});

test('one problem, or all verdicts equal: the interval collapses onto the mean within [0, 1]', () => {
  const one = summarizeSamples([[s('1', true), s('2', false)]], 2, byText);
  assert.deepEqual([one.avgCiLow, one.avgAtK, one.avgCiHigh], [0.5, 0.5, 0.5]);
  const allRight = summarizeSamples([[s('1', true)], [s('1', true)]], 1, byText);
  assert.deepEqual([allRight.avgCiLow, allRight.avgCiHigh], [1, 1]);
  const none = summarizeSamples([], 4, byText);
  assert.equal(none.problems, 0);
  assert.ok(Number.isNaN(none.avgAtK) && Number.isNaN(none.passAtK));
});

test('summary rows and the table: tasks as columns, metrics as rows', () => {
  const summary = summarizeSamples([[s('1', true), s('2', false)]], 2, byText);
  const results = [
    { task: 'gsm8k', policy: 'edt', summary, seconds: 1.25, completed: true },
    { task: 'math500', policy: 'edt', summary, seconds: 2, completed: false },
  ];
  assert.deepEqual(Object.keys(summaryRow(results[0]!)), [...SUMMARY_COLUMNS]);
  const lines = metricsTable(results).split('\n');
  assert.equal(lines[0], '| metric | gsm8k | math500 |');
  assert.ok(lines.includes('| avg@k | 50.0% | 50.0% |'));
  assert.ok(lines.includes('| pass@k | 100.0% | 100.0% |'));
  assert.ok(lines.includes('| problems | 1 | 1 (stopped early) |'));
  assert.ok(lines.includes('| greedy accuracy | — | — |'));
});
