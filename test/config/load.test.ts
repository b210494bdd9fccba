import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import {
  JobConfigError,
  loadJobFile,
  validateJob,
  writeResolvedConfig,
  jobSchema,
  modelDirOf,
  packageRoot,
} from '../../src/config/index.js';

function jobFile(text: string, name = 'job.yaml'): string {
  const dir = mkdtempSync(join(tmpdir(), 'introspect-config-'));
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

test('a good job file loads with defaults filled in', () => {
  const file = jobFile('train:\n  iterations: 7\n  groupSize: 4\npolicy: fixed:0.6\n');
  const { config } = loadJobFile(file);
  assert.equal(config.train.iterations, 7);
  assert.equal(config.train.groupSize, 4);
  assert.equal(config.policy, 'fixed:0.6');
  // defaults from the schema, including nested ones
  assert.equal(config.train.loss.clipLow, 0.2);
  assert.deepEqual(config.train.schedule.phases, [
    { phase: 'temperature', iterations: 2 },
    { phase: 'token', iterations: 2 },
  ]);
  assert.equal(config.task.synthetic.maxNumber, 20);
  assert.equal(config.model.executionProvider, 'cpu');
});

test('an unknown key is an error naming the file, line and key path', () => {
  const file = jobFile('train:\n  iterations: 7\n  itertions: 9\n');
  assert.throws(
    () => loadJobFile(file),
    (e: unknown) => e instanceof JobConfigError && e.message === `${file}:3: train.itertions: unknown key`,
  );
});

test('a wrong type is an error naming the file, line and key path', () => {
  const file = jobFile('run:\n  seed: 1\ntrain:\n  groupSize: "eight"\n');
  assert.throws(
    () => loadJobFile(file),
    (e: unknown) => {
      assert.ok(e instanceof JobConfigError);
      assert.match(e.message, new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:4: train\\.groupSize: .*number`));
      return true;
    },
  );
});

test('out-of-range values and cross-field checks are errors', () => {
  assert.throws(() => loadJobFile(jobFile('train:\n  groupSize: 1\n')), /train\.groupSize: .*>=\s*2/);
  assert.throws(
    () => loadJobFile(jobFile('train:\n  promptsPerIteration: 2\n  groupSize: 2\n  miniBatchSize: 8\n')),
    /train\.miniBatchSize: must be at most promptsPerIteration x groupSize = 4/,
  );
});

test('invalid YAML names the line', () => {
  assert.throws(() => loadJobFile(jobFile('train:\n  iterations: [1, 2\n')), /job\.yaml:\d+: invalid YAML/);
});

test('a missing job file is one clear error', () => {
  assert.throws(() => loadJobFile('no/such/job.yaml'), /^JobConfigError: no\/such\/job\.yaml: no such job file$/m);
});

test('--set overrides any key and is validated the same way', () => {
  const file = jobFile('train:\n  iterations: 7\n');
  const { config } = loadJobFile(file, ['train.iterations=3', 'train.loss.aggregation=seq-mean-token-mean', 'compare.seeds=[4, 5]']);
  assert.equal(config.train.iterations, 3);
  assert.equal(config.train.loss.aggregation, 'seq-mean-token-mean');
  assert.deepEqual(config.compare.seeds, [4, 5]);
  assert.throws(() => loadJobFile(file, ['train.iterations=zero']), /--set train\.iterations: .*number/);
  assert.throws(() => loadJobFile(file, ['train.nope=1']), /--set train\.nope: unknown key$/);
  assert.throws(() => loadJobFile(file, ['iterations']), /--set iterations: expected key\.path=value/);
});

test('relative paths resolve against the job file folder; hub ids stay', () => {
  const file = jobFile('model:\n  path: ../weights/m\ntask:\n  dataDir: data\n', 'job.yaml');
  const dir = join(file, '..');
  const { config } = loadJobFile(file);
  assert.equal(config.model.path, join(dir, '..', 'weights', 'm'));
  assert.equal(config.task.dataDir, join(dir, 'data'));
  const hub = loadJobFile(jobFile('model:\n  path: Qwen/Qwen2.5-Math-1.5B\n')).config;
  assert.equal(hub.model.path, 'Qwen/Qwen2.5-Math-1.5B');
  mkdirSync(join(dir, 'Qwen', 'local'), { recursive: true });
  const local = loadJobFile(jobFile('model:\n  path: Qwen/local\n')).config;
  assert.equal(local.model.path, 'Qwen/local', 'no such folder beside this other job file, so it is a hub id');
});

test('the default model is the embedded one', () => {
  const config = validateJob({}, { source: 'flags', baseDir: process.cwd() });
  assert.equal(modelDirOf(config), join(packageRoot, 'models', 'arith-tiny'));
});

test('the resolved config written beside a run loads back to the same job', () => {
  const { config } = loadJobFile(jobFile('train:\n  iterations: 5\npolicy: {name: edt, T0: 1.2}\n'));
  const dir = mkdtempSync(join(tmpdir(), 'introspect-run-'));
  const written = writeResolvedConfig(dir, config);
  const reread = jobSchema.parse(parse(readFileSync(written, 'utf8')));
  assert.deepEqual(reread, config);
});

test('configs/README.md is the reference generated from the schema (npm run docs:config)', async () => {
  const { configReference } = await import('../../src/config/docs.js');
  const committed = readFileSync(join(packageRoot, 'configs', 'README.md'), 'utf8');
  assert.equal(committed, configReference(), 'run `npm run docs:config` after changing src/config/schema.ts');
  for (const key of ['train.schedule.name', 'head.grid', 'model.trainable', 'rollout.maxNewTokens']) {
    assert.match(committed, new RegExp(`\`${key.replace(/\./g, '\\.')}\``), `${key} is documented`);
  }
});
