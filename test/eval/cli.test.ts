/**
 * `introspect eval` and `introspect grade` as a user runs them: the real CLI entry (bin/run.js, the
 * compiled commands) on a tiny character model, with a fresh graph cache.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { packageRoot } from '../../src/config/index.js';
import { writeTinyCharModel } from './tiny-char-model.js';
import { datasetsDir } from '../helpers/paths.js';

const temp = mkdtempSync(join(tmpdir(), 'introspect-eval-cli-'));
const modelDir = writeTinyCharModel();
after(() => {
  rmSync(temp, { recursive: true, force: true });
  rmSync(modelDir, { recursive: true, force: true });
});

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const env = { ...process.env, CI: '1', INTROSPECT_CACHE_DIR: join(temp, 'cache') };
  const r = spawnSync(process.execPath, [resolve(packageRoot, 'bin', 'run.js'), ...args], { encoding: 'utf8', env, timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('introspect eval synthetic-arith --model <dir> --k 4 --limit 20 --out <dir>', () => {
  const out = join(temp, 'run');
  const { status, stdout, stderr } = cli(
    'eval',
    'synthetic-arith',
    '--model',
    modelDir,
    '--k',
    '4',
    '--limit',
    '20',
    '--max-new-tokens',
    '16',
    '--policy',
    'fixed:0.7',
    '--out',
    out,
  );
  assert.equal(status, 0, stderr);
  assert.match(stdout, /^\| metric \| synthetic-arith \|$/m);
  assert.match(stdout, /^\| pass@k \| \d+\.\d% \|$/m);
  assert.match(stdout, new RegExp(`files: ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  for (const name of ['summary.csv', 'samples.jsonl', 'report.md', 'config.yaml']) assert.ok(existsSync(join(out, name)), name);
  const [header, row] = readFileSync(join(out, 'summary.csv'), 'utf8').trim().split('\n');
  assert.equal(
    header,
    'task,policy,k,problems,avg_at_k,avg_ci_low,avg_ci_high,pass_at_k,maj_at_k,greedy_acc,mean_length,mean_temperature,seconds',
  );
  assert.match(row!, /^synthetic-arith,fixed:0\.7,4,20,/);
  const samples = readFileSync(join(out, 'samples.jsonl'), 'utf8').trim().split('\n');
  assert.equal(samples.length, 80);
  assert.ok(samples.every((l) => (JSON.parse(l) as { temperatures: number[] }).temperatures.every((t) => t === 0.7)));
});

test('introspect eval --json prints the result object on stdout and nothing else', () => {
  const out = join(temp, 'run-json');
  const { status, stdout, stderr } = cli(
    'eval',
    'synthetic-arith',
    '--model',
    modelDir,
    '--k',
    '2',
    '--limit',
    '4',
    '--max-new-tokens',
    '8',
    '--policy',
    'fixed:0.7',
    '--out',
    out,
    '--json',
  );
  assert.equal(status, 0, stderr);
  const result = JSON.parse(stdout) as { runDir: string; files: string[]; results: { task: string; summary: { problems: number } }[] };
  assert.equal(result.runDir, out);
  assert.ok(result.files.every((f) => existsSync(f)) && result.files.some((f) => f.endsWith('summary.csv')));
  assert.deepEqual(
    result.results.map((r) => [r.task, r.summary.problems]),
    [['synthetic-arith', 4]],
  );
  // A failure under --json is one JSON error object on stdout, and not a second copy on stderr.
  const failed = cli('eval', 'gsm9k', '--model', modelDir, '--out', join(temp, 'bad-json'), '--json');
  assert.notEqual(failed.status, 0);
  assert.match((JSON.parse(failed.stdout) as { error: { message: string } }).error.message, /gsm9k/);
  assert.doesNotMatch(failed.stderr, /Error:/);
});

test('introspect eval refuses a model that cannot read the benchmark, and an untrained learned head, with one line each', () => {
  // The embedded model's character tokenizer knows synthetic-arith's alphabet, not GSM8K's ($, %, capitals).
  const gsm = cli(
    'eval',
    'gsm8k',
    '--model',
    resolve(packageRoot, 'models', 'arith-tiny'),
    '--policy',
    'fixed:0.7',
    '--limit',
    '4',
    '--data-dir',
    datasetsDir,
    '--out',
    join(temp, 'refuse-gsm'),
  );
  assert.notEqual(gsm.status, 0);
  assert.match(
    gsm.stderr,
    /^Error: model .* cannot read gsm8k: \d+% of its prompts have characters the tokenizer does not know \(.*\$.*\); pass --model .* or --force/m,
  );
  assert.equal(gsm.stderr.split('\n').filter((l) => l.startsWith('Error')).length, 1, gsm.stderr);
  const forced = cli(
    'eval',
    'gsm8k',
    '--model',
    resolve(packageRoot, 'models', 'arith-tiny'),
    '--policy',
    'fixed:0.7',
    '--limit',
    '2',
    '--k',
    '1',
    '--max-new-tokens',
    '4',
    '--data-dir',
    datasetsDir,
    '--out',
    join(temp, 'forced-gsm'),
    '--force',
  );
  assert.equal(forced.status, 0, forced.stderr);
  const head = cli(
    'eval',
    'synthetic-arith',
    '--model',
    modelDir,
    '--policy',
    'learned',
    '--limit',
    '2',
    '--out',
    join(temp, 'refuse-head'),
  );
  assert.notEqual(head.status, 0);
  assert.match(head.stderr, /^Error: policy learned needs a trained head: pass --head .*\/head \(or --force/m);
});

test('introspect eval with an unknown task: one line naming it, non-zero', () => {
  const unknown = cli('eval', 'gsm9k', '--model', modelDir, '--out', join(temp, 'bad1'));
  assert.notEqual(unknown.status, 0);
  assert.match(unknown.stderr, /gsm9k/);
  assert.doesNotMatch(unknown.stderr, /\n\s+at /, 'no stack trace');
  // Printed once: not also as a JSON log record.
  assert.equal(unknown.stderr.split('\n').filter((l) => l.includes('gsm9k')).length, 1, unknown.stderr);
});

test('introspect grade --input <file> [--task gsm8k]', () => {
  const input = join(temp, 'answers.jsonl');
  writeFileSync(
    input,
    [
      JSON.stringify({ response: '#### 18', answer: 'She makes 18.\n#### 18' }),
      JSON.stringify({ response: 'It is 4', answer: 'So 3.\n#### 3' }),
    ].join('\n'),
  );
  const graded = cli('grade', '--input', input, '--task', 'gsm8k');
  assert.equal(graded.status, 0, graded.stderr);
  assert.match(graded.stdout, /accuracy: 50\.00% \(1\/2\)/);
  const json = JSON.parse(cli('grade', '--input', input, '--task', 'gsm8k', '--json').stdout) as {
    accuracy: number;
    correct: number;
    total: number;
    verdicts: { correct: boolean }[];
  };
  assert.deepEqual([json.accuracy, json.correct, json.total, json.verdicts.map((v) => v.correct)], [0.5, 1, 2, [true, false]]);
  const missing = cli('grade', '--input', join(temp, 'nope.jsonl'));
  assert.notEqual(missing.status, 0);
  assert.match(missing.stderr, /nope\.jsonl: no such file/);
});
