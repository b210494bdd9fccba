// Crash-safe checkpoints: what is on disk after crashes at every step of a write, pruning, and
// the guard that keeps non-finite weights out of checkpoints.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateJob, type JobConfig } from '../../src/config/index.js';
import { loadCheckpoint } from '../../src/model/checkpoint.js';
import { latestCheckpoint, listCheckpoints, readTrainerState } from '../../src/rl/checkpoint.js';
import { train } from '../../src/rl/trainer.js';
import { silentLogger } from '../../src/util/log.js';
import { writeTinyCharModel } from '../eval/tiny-char-model.js';
import { newDir } from './helpers.js';

const model = writeTinyCharModel({ seed: 3 });

function job(train: Record<string, unknown>, policy = 'learned'): JobConfig {
  return validateJob(
    {
      run: { seed: 5 },
      model: { path: model },
      policy,
      task: { name: 'synthetic-arith', synthetic: { trainSize: 50, testSize: 10 } },
      rollout: { maxNewTokens: 12, batchSize: 8 },
      train: {
        iterations: 4,
        promptsPerIteration: 2,
        groupSize: 4,
        miniBatchSize: 4,
        evalEvery: 0,
        checkpointEvery: 1,
        schedule: { name: 'joint' },
        advantage: { dropUniformGroups: false },
        loss: { entropyCoef: 0.05, headEntropyCoef: 0.05 },
        ...train,
      },
    },
    { source: 'test', baseDir: process.cwd() },
  );
}

test('keepCheckpoints keeps the newest N; a crash leftover is cleaned; a newer complete checkpoint than `latest` is the one resumed', async () => {
  const runDir = newDir();
  await train(job({ keepCheckpoints: 2 }), { logger: silentLogger, runDir });
  const root = join(runDir, 'checkpoints');
  assert.deepEqual(readdirSync(root).sort(), ['iter-000003', 'iter-000004', 'latest']);
  // A crash between the folder's rename and the pointer's leaves `latest` one behind; a crash
  // before the rename leaves a temporary folder.
  writeFileSync(join(root, 'latest'), 'iter-000003\n');
  mkdirSync(join(root, '.tmp-iter-000005-99999'));
  writeFileSync(join(root, '.tmp-iter-000005-99999', 'trainer.json'), '{');
  assert.equal(latestCheckpoint(runDir), join(root, 'iter-000004'));
  const resumed = await train(job({ keepCheckpoints: 2, iterations: 5 }), { logger: silentLogger, runDir }, { resume: true });
  assert.equal(resumed.iterations, 5);
  assert.deepEqual(
    readdirSync(root).filter((n) => n.startsWith('.')),
    [],
    'temporary folders are removed at start',
  );
  assert.equal(readFileSync(join(root, 'latest'), 'utf8').trim(), 'iter-000005');
});

test('an incomplete checkpoint is never resumed; `latest` may not leave the run folder', async () => {
  const runDir = newDir();
  await train(job({ iterations: 2 }), { logger: silentLogger, runDir });
  const root = join(runDir, 'checkpoints');
  truncateSync(join(root, 'iter-000002', 'model', 'model.safetensors'), 100); // a partial copy, say
  assert.deepEqual(
    listCheckpoints(runDir).map((c) => c.name),
    ['iter-000001'],
  );
  assert.equal(latestCheckpoint(runDir), join(root, 'iter-000001'));
  for (const bad of ['../../../etc', '/etc', 'iter-000001/../../x']) {
    writeFileSync(join(root, 'latest'), bad);
    assert.throws(() => latestCheckpoint(runDir), /does not name a checkpoint folder of this run/);
  }
});

test('steps that make the weights non-finite are undone and counted; no checkpoint holds a NaN or Inf; too many end the run with one line', async () => {
  // A learning rate beyond float32's range: the gradients are finite, the updated weights are not.
  const runDir = newDir();
  const summary = await train(
    job({ schedule: { name: 'token-only' }, tokenOptimizer: { lr: 1e39 }, maxNonFiniteSteps: 100, iterations: 2 }, 'fixed:1'),
    { logger: silentLogger, runDir },
  );
  assert.equal(summary.iterations, 2);
  const initial = loadCheckpoint(model).params;
  for (const c of listCheckpoints(runDir)) {
    const saved = loadCheckpoint(join(c.dir, 'model')).params;
    for (const [name, t] of saved) {
      assert.ok(t.data.every(Number.isFinite), `${c.name} ${name} is finite`);
      assert.deepEqual(t.data, initial.get(name)!.data, `${c.name} ${name}: every step was undone`);
    }
    assert.ok(readTrainerState(c.dir).nonFiniteTotal >= 2 * c.iteration, 'each undone step is counted');
  }
  await assert.rejects(
    train(job({ schedule: { name: 'token-only' }, tokenOptimizer: { lr: 1e39 }, maxNonFiniteSteps: 2 }, 'fixed:1'), {
      logger: silentLogger,
      runDir: newDir(),
    }),
    /^UserError: 2 non-finite steps in a row \(train\.maxNonFiniteSteps = 2\); lower the learning rate$/,
  );
});

test('an error in an iteration saves nothing for it: the last checkpoint is the last completed iteration', async () => {
  const runDir = newDir();
  // maxNonFiniteSteps ends the run inside iteration 3 (after its steps); iterations 1-2 completed
  const first = await train(job({ iterations: 2, checkpointEvery: 0 }), { logger: silentLogger, runDir });
  assert.equal(first.iterations, 2);
  await assert.rejects(
    train(
      job({ iterations: 4, checkpointEvery: 0, schedule: { name: 'token-only' }, tokenOptimizer: { lr: 1e39 }, maxNonFiniteSteps: 1 }),
      { logger: silentLogger, runDir },
      { resume: true },
    ),
    /non-finite steps in a row/,
  );
  assert.deepEqual(
    listCheckpoints(runDir).map((c) => c.name),
    ['iter-000002'],
    'no checkpoint labelled with a half-run iteration',
  );
  assert.ok(!existsSync(join(runDir, 'checkpoints', 'iter-000003')));
});

test('keepCheckpoints also keeps the checkpoint with the best held-out avg@k, the one eval.csv says', async () => {
  const runDir = newDir();
  await train(job({ iterations: 5, keepCheckpoints: 1, evalEvery: 1 }), { logger: silentLogger, runDir });
  const [header = [], ...rows] = readFileSync(join(runDir, 'eval.csv'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(','));
  const [iterationCol, accCol] = [header.indexOf('iteration'), header.indexOf('avg_at_k')];
  const measured = rows.map((r) => ({ iteration: Number(r[iterationCol]), acc: Number(r[accCol]) })).filter((e) => e.iteration >= 1);
  assert.deepEqual(
    measured.map((e) => e.iteration),
    [1, 2, 3, 4, 5],
    'an evaluation at every checkpoint',
  );
  // The best, the later one on a tie (the newer weights at the same accuracy).
  const best = measured.reduce((a, b) => (b.acc >= a.acc ? b : a));
  const expected = [...new Set([`iter-00000${best.iteration}`, 'iter-000005'])].sort();
  assert.deepEqual(
    listCheckpoints(runDir).map((c) => c.name),
    expected,
    `held-out avg@k by iteration: ${JSON.stringify(measured)}`,
  );
});
