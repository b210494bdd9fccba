/**
 * `--json` on the commands that make runs (train, export, compare baselines): stdout is exactly one
 * JSON object, the command's result (run folder, files that exist, summary figures), and none of
 * the plain lines the command prints without it; logs stay on stderr. Small limits throughout.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after } from 'node:test';
import { packageRoot } from '../../src/config/index.js';
import { fixtureDir } from '../helpers/paths.js';

const temp = mkdtempSync(join(tmpdir(), 'introspect-json-'));
after(() => rmSync(temp, { recursive: true, force: true }));

function json(...args: string[]): Record<string, unknown> {
  const r = spawnSync(process.execPath, [resolve(packageRoot, 'bin', 'run.js'), ...args, '--json'], {
    cwd: packageRoot,
    encoding: 'utf8',
    env: { ...process.env, CI: '1' },
  });
  assert.equal(r.status, 0, r.stderr);
  // One object and nothing else: JSON.parse fails on any line before or after it.
  const result = JSON.parse(r.stdout) as Record<string, unknown>;
  assert.doesNotMatch(r.stdout, /^(files|next|run folder|trained): /m);
  return result;
}

const files = (result: Record<string, unknown>) => {
  const list = result.files as string[];
  assert.ok(Array.isArray(list) && list.length > 0);
  for (const f of list) assert.ok(existsSync(f), f);
  return list.map((f) => f.split('/').at(-1)!);
};

const SMALL = ['train.promptsPerIteration=2', 'train.groupSize=2', 'train.miniBatchSize=4', 'rollout.maxNewTokens=12'].flatMap((k) => [
  '--set',
  k,
]);

test('train --json: the run folder, iterations, held-out accuracy and the files', () => {
  const out = join(temp, 'train');
  const r = json(
    'train',
    'configs/default.yaml',
    ...SMALL,
    '--set',
    'train.iterations=1',
    '--set',
    'train.evalEvery=1',
    '--set',
    'train.evalProblems=2',
    '--set',
    'train.evalK=1',
    '--out',
    out,
  );
  assert.equal(r.runDir, out);
  assert.equal(r.iterations, 1);
  assert.equal((r.finalAccuracy as { iteration: number }).iteration, 1);
  assert.ok(files(r).includes('metrics.csv'));
});

test('export --json: the folder, the files transformers.js loads, the trainable parameters', () => {
  const out = join(temp, 'export');
  const r = json('export', fixtureDir('gpt2-tiny'), '--out', out);
  assert.equal(r.outDir, out);
  assert.equal(r.model, join(out, 'onnx', 'model.onnx'));
  assert.ok(['model.onnx', 'config.json', 'generation_config.json', 'manifest.json'].every((f) => files(r).includes(f)));
});

test('compare baselines --json: cells done of total, the tuning, the tables and plots', () => {
  const out = join(temp, 'compare');
  const r = json(
    'compare',
    'baselines',
    ...SMALL,
    '--set',
    'train.iterations=1',
    '--set',
    'compare.seeds=[0]',
    '--set',
    'compare.fixedTemperatures=[1.0]',
    '--set',
    'eval.limit=2',
    '--set',
    'eval.k=2',
    '--set',
    'compare.passK=[1,2]',
    '--out',
    out,
  );
  assert.equal(r.runDir, out);
  // fixed-1.0 and edt, then both learned methods
  assert.deepEqual([r.cells, r.interrupted], [{ done: 4, total: 4 }, false]);
  assert.equal((r.tuning as { bestFixedTemperature: number }).bestFixedTemperature, 1);
  const names = files(r);
  for (const f of ['results.csv', 'results.md', 'tuning.json', 'accuracy.png', 'accuracy.vl.json', 'reward-curves.svg'])
    assert.ok(names.includes(f), f);
});
