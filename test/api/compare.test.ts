import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateJob } from '../../src/config/index.js';
import { compareBaselines } from '../../src/api/compare-baselines.js';
import { silentLogger } from '../../src/util/log.js';
import { writeTinyCharModel } from '../eval/tiny-char-model.js';

test('compare baselines trains and evaluates every (method, seed) cell once, and a rerun reuses finished cells', async () => {
  const model = writeTinyCharModel({ seed: 2 });
  const job = validateJob(
    {
      model: { path: model },
      task: { name: 'synthetic-arith', synthetic: { trainSize: 40, testSize: 10 } },
      rollout: { maxNewTokens: 8, batchSize: 16 },
      train: { iterations: 2, promptsPerIteration: 2, groupSize: 4, miniBatchSize: 8, evalEvery: 0, checkpointEvery: 0 },
      eval: { k: 2, limit: 5 },
      compare: {
        seeds: [0, 1],
        methods: [
          { name: 'fixed-0.6', policy: 'fixed:0.6', schedule: 'token-only' },
          { name: 'learned', policy: 'learned', schedule: 'coordinate-ascent', evalPolicies: ['learned', { name: 'learned', greedy: true }] },
        ],
      },
    },
    { source: 'test', baseDir: process.cwd() },
  );
  const runDir = mkdtempSync(join(tmpdir(), 'introspect-compare-'));
  const first = await compareBaselines(job, { logger: silentLogger, runDir });
  // 2 seeds x (1 row for fixed + 2 rows for learned: its own policy and greedy over the head)
  assert.equal(first.rows.length, 6);
  for (const r of first.rows) assert.ok(r.avgAtK >= 0 && r.avgAtK <= 1 && r.passAtK >= r.avgAtK - 1e-12);
  for (const file of ['results.csv', 'results.md', 'reward-curves.svg', 'reward-curves.png', 'final-accuracy.svg', 'final-accuracy.png']) {
    assert.ok(existsSync(join(runDir, file)), file);
  }
  const csv = readFileSync(join(runDir, 'results.csv'), 'utf8').trim().split('\n');
  assert.equal(csv.length, 7, 'header + one row per (method, eval policy, seed)');
  assert.match(readFileSync(join(runDir, 'results.md'), 'utf8'), /\*\*\d\.\d{3} ± \d\.\d{3}\*\*/, 'the best mean is bold');

  const cellResult = join(runDir, 'cells', 'learned', 'seed-1', 'result.json');
  const before = statSync(cellResult).mtimeMs;
  const again = await compareBaselines(job, { logger: silentLogger, runDir });
  assert.deepEqual(again.rows, first.rows, 'a rerun reads finished cells back');
  assert.equal(statSync(cellResult).mtimeMs, before, 'finished cells are not retrained');
});
