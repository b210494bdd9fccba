import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateJob } from '../../src/config/index.js';
import { compareBaselines } from '../../src/api/compare-baselines.js';
import { silentLogger } from '../../src/util/log.js';
import { writeTinyCharModel } from '../eval/tiny-char-model.js';

test('compare baselines: the policy grid, tuning, paired differences and matched LLM steps; a rerun reuses finished cells', async () => {
  const model = writeTinyCharModel({ seed: 2 });
  const job = validateJob(
    {
      model: { path: model },
      task: { name: 'synthetic-arith', synthetic: { trainSize: 40, testSize: 10 } },
      rollout: { maxNewTokens: 8, batchSize: 16 },
      train: {
        iterations: 2, promptsPerIteration: 2, groupSize: 4, miniBatchSize: 8, evalEvery: 0, checkpointEvery: 0,
        // every group kept, so an update iteration is always one optimiser step: budgets compare exactly
        advantage: { dropUniformGroups: false },
      },
      eval: { k: 2, limit: 5 },
      compare: {
        seeds: [0, 1],
        evalPolicies: ['greedy', 'fixed:1.0'],
        passK: [1, 2, 8],
        methods: [
          { name: 'fixed-0.6', policy: 'fixed:0.6', schedule: 'token-only' },
          { name: 'fixed-1.0', policy: 'fixed:1.0', schedule: 'token-only' },
          { name: 'learned', policy: 'learned', schedule: 'coordinate-ascent', evalPolicies: ['learned', { name: 'learned', greedy: true }], initTemperature: 'best-fixed' },
        ],
      },
    },
    { source: 'test', baseDir: process.cwd() },
  );
  const runDir = mkdtempSync(join(tmpdir(), 'introspect-compare-'));
  const first = await compareBaselines(job, { logger: silentLogger, runDir });
  assert.equal(first.rows.length, 6, 'one row per (method, seed)');
  // synthetic-arith has no validation split: tuned on test, and results.md says so.
  assert.equal(first.tuning.split, 'test');
  const best = first.tuning.bestFixedTemperature;
  assert.ok(best === 0.6 || best === 1.0);
  for (const r of first.rows) {
    const columns = r.evaluations.map((e) => `${e.column}/${e.evalPolicy}`).sort();
    const own = r.method === 'learned' ? ['own/learned', 'own learned:greedy=true/learned:greedy=true'] : [`own/${r.method === 'fixed-0.6' ? 'fixed:0.6' : 'fixed:1.0'}`];
    assert.deepEqual(columns, [...own, 'greedy/greedy', 'fixed:1.0/fixed:1.0'].sort(), r.method);
    for (const e of r.evaluations) {
      assert.equal(e.correct.length, 5);
      assert.ok(Math.abs(e.avgAtK - e.correct.reduce((a, b) => a + b, 0) / 10) < 1e-12, 'avg@k from the per-problem counts');
      assert.ok(Math.abs(e.passAtK[1]! - e.avgAtK) < 1e-12, 'pass@1 is avg@k');
      assert.ok(e.passAtK[2]! >= e.passAtK[1]! - 1e-12 && e.passAtK[8] === undefined);
    }
    if (r.method === 'learned') {
      assert.equal(r.initTemperature, best, 'the head starts from the best fixed temperature');
      assert.equal(r.iterations, 4, 'llm-steps budget: coordinate ascent (2 + 2 phases) runs twice the iterations');
    }
  }
  const steps = (m: string) => first.rows.filter((r) => r.method === m).map((r) => r.llmSteps);
  assert.deepEqual(steps('learned'), steps('fixed-0.6'), 'equal LLM optimiser steps');
  for (const file of ['results.csv', 'results.md', 'provenance.json', 'tuning.json', 'reward-curves.svg', 'final-accuracy.png']) {
    assert.ok(existsSync(join(runDir, file)), file);
  }
  const md = readFileSync(join(runDir, 'results.md'), 'utf8');
  assert.match(md, /## Every method decoded with greedy/);
  assert.match(md, /## Own policy variant learned:greedy=true/);
  assert.match(md, /Δ avg@2 vs fixed-/);
  assert.match(md, /\| learned \| 2 \| .* \[[-+]\d\.\d{3}, [-+]\d\.\d{3}\]/, 'paired difference with an interval');
  assert.match(md, /no validation split/);
  assert.match(md, /Made by `introspect.*` at commit [0-9a-f]{40}/);

  const cellResult = join(runDir, 'cells', 'learned', 'seed-1', 'result.json');
  const before = statSync(cellResult).mtimeMs;
  const again = await compareBaselines(job, { logger: silentLogger, runDir });
  assert.deepEqual(again.rows, first.rows, 'a rerun reads finished cells back');
  assert.equal(statSync(cellResult).mtimeMs, before, 'finished cells are not retrained');
  // Ctrl-C before anything runs: finished cells are still tabulated, nothing is retrained.
  const stop = new AbortController();
  stop.abort();
  const stopped = await compareBaselines(job, { logger: silentLogger, runDir, signal: stop.signal });
  assert.equal(stopped.rows.length, 6);
  assert.match(readFileSync(join(runDir, 'results.md'), 'utf8'), /## Each method under its own policy/);
});
