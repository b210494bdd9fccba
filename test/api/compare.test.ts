import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateJob } from '../../src/config/index.js';
import { compareBaselines } from '../../src/api/compare-baselines.js';
import { silentLogger } from '../../src/util/log.js';
import { evaluatePolicy } from '../../src/eval/evaluate.js';
import { loadJobProblems } from '../../src/eval/problems.js';
import { createPolicy } from '../../src/policy/index.js';
import { TemperatureHead } from '../../src/policy/head/index.js';
import { latestCheckpoint } from '../../src/rl/checkpoint.js';
import { openPolicyModel } from '../../src/rollout/runtime.js';
import { getTask } from '../../src/tasks/index.js';
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

test('compare evaluates every cell with the settings it trained with (prompts, stop strings, top-k/top-p), and a learned cell with its own head', async () => {
  const template = '{% for m in messages %}<{{ m.role }}>{{ m.content }}\n{% endfor %}{% if add_generation_prompt %}<assistant>{% endif %}';
  const model = writeTinyCharModel({ seed: 3, chatTemplate: template });
  const job = validateJob(
    {
      model: { path: model },
      task: { name: 'synthetic-arith', synthetic: { trainSize: 20, testSize: 6 }, systemPrompt: 'Be brief.', instruction: 'Answer with a number.' },
      rollout: { maxNewTokens: 10, batchSize: 16, stop: [' ', '#'], topK: 8, topP: 0.9 },
      head: { grid: [0.5, 1.0, 1.5] },
      train: { iterations: 1, promptsPerIteration: 2, groupSize: 2, miniBatchSize: 4, evalEvery: 0, checkpointEvery: 0 },
      eval: { k: 3, limit: 6 },
      compare: {
        seeds: [0],
        methods: [
          { name: 'fixed', policy: 'fixed:1.0', schedule: 'token-only' },
          { name: 'learned', policy: 'learned', schedule: 'coordinate-ascent' },
        ],
      },
    },
    { source: 'test', baseDir: process.cwd() },
  );
  const runDir = mkdtempSync(join(tmpdir(), 'introspect-compare-settings-'));
  const { rows } = await compareBaselines(job, { logger: silentLogger, runDir });
  assert.equal(rows.length, 2);

  // The reference: each cell's final checkpoint evaluated by hand, every setting spelled out from the job.
  const task = getTask('synthetic-arith');
  const problems = await loadJobProblems(job, 'synthetic-arith', 'test', 6);
  const byHand = async (method: string, spec: string, settings: 'as trained' | 'defaults') => {
    const checkpoint = latestCheckpoint(join(runDir, 'cells', method, 'seed-0'))!;
    const opened = await openPolicyModel({ modelDir: join(checkpoint, 'model') });
    const head = spec === 'learned' ? TemperatureHead.load(join(checkpoint, 'head')) : undefined;
    try {
      const trained =
        settings === 'as trained'
          ? {
              prompt: { systemPrompt: 'Be brief.', instruction: 'Answer with a number.' },
              stopStrings: [' ', '#'],
              sampling: { topK: 8, topP: 0.9 },
              verify: { formatPenalty: 0 },
            }
          : {};
      const { summary } = await evaluatePolicy({
        model: opened,
        policy: createPolicy(spec, head ? { head: { kind: 'grid', grid: [0.5, 1.0, 1.5] } } : {}),
        ...(head ? { head } : {}),
        policyLabel: spec,
        task,
        problems,
        k: 3,
        maxNewTokens: 10,
        batchSize: 16,
        seed: 0,
        trainingStep: 1,
        totalTrainingSteps: 1,
        ...trained,
      });
      return summary;
    } finally {
      await head?.dispose();
      await opened.dispose();
    }
  };
  for (const [method, spec] of [['fixed', 'fixed:1.0'], ['learned', 'learned']] as const) {
    const row = rows.find((r) => r.method === method)!;
    const reference = await byHand(method, spec, 'as trained');
    assert.deepEqual(
      { avgAtK: row.avgAtK, passAtK: row.passAtK, majAtK: row.majAtK, meanTemperature: row.meanTemperature, meanLength: row.meanLength },
      { avgAtK: reference.avgAtK, passAtK: reference.passAtK, majAtK: reference.majAtK, meanTemperature: reference.meanTemperature, meanLength: reference.meanLength },
      `${method}: evaluated with the training settings`,
    );
    const defaults = await byHand(method, spec, 'defaults');
    assert.notEqual(defaults.meanLength, row.meanLength, `${method}: the settings change the result, so the check can fail`);
  }
});
