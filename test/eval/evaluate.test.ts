/**
 * `runEvaluation` end to end on a tiny character model: the files it writes, and their numbers
 * recomputed from samples.jsonl by plain loops (avg@k as the mean over samples, pass@k as "any
 * sample right" since n = k, maj@k by counting answers).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { quietContext } from '../../src/util/run-context.js';
import { runEvaluation } from '../../src/api/evaluate.js';
import { jobSchema, type JobConfig } from '../../src/config/index.js';
import type { SampleRecord } from '../../src/eval/samples.js';
import { evaluatePolicy } from '../../src/eval/evaluate.js';
import { SUMMARY_COLUMNS } from '../../src/eval/report.js';
import { createPolicy } from '../../src/policy/index.js';
import { openPolicyModel } from '../../src/rollout/runtime.js';
import { answersEquivalent, generateArithProblems, getTask, gradeResponse } from '../../src/tasks/index.js';
import { datasetsDir } from '../helpers/paths.js';
import { writeTinyCharModel } from './tiny-char-model.js';

const temp = mkdtempSync(join(tmpdir(), 'introspect-eval-'));
process.env.INTROSPECT_CACHE_DIR = join(temp, 'cache');
let modelDir: string;
before(() => {
  modelDir = writeTinyCharModel();
});
after(() => {
  rmSync(temp, { recursive: true, force: true });
  rmSync(modelDir, { recursive: true, force: true });
});

const SPECIAL = new Set(['<pad>', '<bos>', '<eos>', '<unk>']);

function job(overrides: Record<string, unknown>): JobConfig {
  return jobSchema.parse({ model: { path: modelDir, threads: 1 }, rollout: { maxNewTokens: 24, batchSize: 32 }, ...overrides });
}

function readJsonl<T>(path: string): T[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as T);
}

function readCsv(path: string): Record<string, string>[] {
  const [header, ...rows] = readFileSync(path, 'utf8').trim().split('\n');
  const columns = header!.split(',');
  return rows.map((r) => Object.fromEntries(r.split(',').map((cell, i) => [columns[i]!, cell])));
}

function groupByProblem(samples: SampleRecord[]): SampleRecord[][] {
  const groups = new Map<string, SampleRecord[]>();
  for (const s of samples) groups.set(s.problemId, [...(groups.get(s.problemId) ?? []), s]);
  return [...groups.values()];
}

/** maj@k by counting: the first answer with the most equivalent answers among the samples. */
function majorityCorrect(group: SampleRecord[]): boolean {
  let best: { count: number; correct: boolean } | null = null;
  for (const s of group) {
    if (s.extracted === null) continue;
    const count = group.filter((o) => o.extracted !== null && answersEquivalent(s.extracted!, o.extracted)).length;
    if (!best || count > best.count) best = { count, correct: s.correct };
  }
  return best?.correct ?? false;
}

const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-6, `${what}: ${a} vs ${b}`);

test('synthetic-arith, k = 4, 20 problems: summary.csv, samples.jsonl and report.md agree with each other', async () => {
  const runDir = mkdtempSync(join(temp, 'run-'));
  const config = job({ policy: 'fixed:1', eval: { tasks: ['synthetic-arith'], k: 4, limit: 20, greedy: true } });
  const started = performance.now();
  const result = await runEvaluation(config, quietContext(runDir));
  const seconds = (performance.now() - started) / 1000;

  const samples = readJsonl<SampleRecord>(join(runDir, 'samples.jsonl'));
  assert.equal(samples.length, 80);
  const expectedProblems = generateArithProblems('test', {
    seed: 0,
    count: 500,
    minSteps: 1,
    maxSteps: 3,
    maxValue: 20,
    operations: ['+', '-'],
  }).slice(0, 20);
  for (const [i, s] of samples.entries()) {
    const problem = expectedProblems[Math.floor(i / 4)]!;
    assert.equal(s.problemId, problem.id);
    assert.equal(s.answer, problem.answer);
    assert.equal(s.sample, i % 4);
    assert.equal(s.policy, 'fixed:1');
    assert.equal(s.prompt, `<bos>${problem.question}\n`);
    const n = s.tokens.length;
    assert.ok(n >= 1 && n <= 24);
    assert.deepEqual([s.temperatures.length, s.entropies.length, s.logprobs.length], [n, n, n], 'per-token arrays aligned to tokens');
    assert.ok(s.temperatures.every((t) => t === 1) && s.logprobs.every((l) => l <= 0) && s.entropies.every((e) => e >= 0));
    assert.equal(s.response, s.tokens.filter((t) => !SPECIAL.has(t)).join(''), 'the response is its tokens without specials');
    assert.equal(s.finishReason, s.tokens.at(-1) === '<eos>' ? 'eos' : 'length');
    const verdict = gradeResponse(s.response, s.answer, getTask('synthetic-arith').verifier);
    assert.deepEqual([s.extracted, s.correct, s.reward], [verdict.extracted, verdict.correct, verdict.reward]);
  }
  const greedy = readJsonl<SampleRecord>(join(runDir, 'greedy-samples.jsonl'));
  assert.equal(greedy.length, 20);
  assert.ok(greedy.every((g) => g.policy === 'greedy' && g.temperatures.every((t) => t === 0)));

  const rows = readCsv(join(runDir, 'summary.csv'));
  assert.equal(rows.length, 1);
  const row = rows[0]!;
  assert.deepEqual(Object.keys(row), [...SUMMARY_COLUMNS]);
  assert.deepEqual([row.task, row.policy, row.k, row.problems], ['synthetic-arith', 'fixed:1', '4', '20']);
  const groups = groupByProblem(samples);
  const avg = samples.filter((s) => s.correct).length / samples.length;
  const pass = groups.filter((g) => g.some((s) => s.correct)).length / groups.length;
  const maj = groups.filter(majorityCorrect).length / groups.length;
  close(Number(row.avg_at_k), avg, 'avg@k');
  close(Number(row.pass_at_k), pass, 'pass@k');
  close(Number(row.maj_at_k), maj, 'maj@k');
  close(Number(row.greedy_acc), greedy.filter((g) => g.correct).length / 20, 'greedy accuracy');
  close(Number(row.mean_length), samples.reduce((n, s) => n + s.tokens.length, 0) / 80, 'mean length');
  close(Number(row.mean_temperature), 1, 'mean temperature');
  for (const key of ['avg_at_k', 'pass_at_k', 'maj_at_k', 'greedy_acc', 'avg_ci_low', 'avg_ci_high'] as const) {
    assert.ok(Number(row[key]) >= 0 && Number(row[key]) <= 1, key);
  }
  assert.ok(Number(row.avg_ci_low) <= avg && avg <= Number(row.avg_ci_high));
  assert.ok(pass >= avg);
  assert.ok(Number(row.seconds) > 0 && Number(row.seconds) <= seconds);

  const report = readFileSync(join(runDir, 'report.md'), 'utf8');
  assert.ok(report.includes(result.table), "the returned table is the report's");
  assert.match(report, new RegExp(`model: \`${modelDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\``));
  assert.match(result.table, /^\| metric \| synthetic-arith \|$/m);
  assert.match(result.table, new RegExp(`^\\| avg@k \\| ${(100 * avg).toFixed(1)}% \\|$`, 'm'));
  const tokens = samples.reduce((n, s) => n + s.tokens.length, 0) + greedy.reduce((n, s) => n + s.tokens.length, 0);
  console.log(
    `eval on the tiny model: ${tokens} tokens in ${seconds.toFixed(2)} s (${(tokens / seconds).toFixed(0)} tokens/s incl. loading); avg@4 ${avg}, pass@4 ${pass}`,
  );
});

test('the learned policy over two tasks (gsm8k from the shared datasets): one column each', async () => {
  const runDir = mkdtempSync(join(temp, 'run-'));
  const config = job({
    policy: 'learned',
    head: { grid: [0.5, 1.0, 1.5], initTemperature: 1.0 },
    task: { dataDir: datasetsDir },
    // An untrained head on a task the tiny model cannot read: forced, as this tests the plumbing only.
    eval: { tasks: ['synthetic-arith', 'gsm8k'], k: 2, limit: 3, force: true },
  });
  const result = await runEvaluation(config, quietContext(runDir));
  const rows = readCsv(join(runDir, 'summary.csv'));
  assert.deepEqual(
    rows.map((r) => [r.task, r.problems, r.k, r.policy]),
    [
      ['synthetic-arith', '3', '2', 'learned'],
      ['gsm8k', '3', '2', 'learned'],
    ],
  );
  assert.equal(rows[0]!.greedy_acc, '', 'no greedy pass unless asked');
  const samples = readJsonl<SampleRecord>(join(runDir, 'samples.jsonl'));
  assert.equal(samples.length, 12);
  assert.ok(
    samples.every((s) => s.temperatures.every((t) => [0.5, 1.0, 1.5].includes(t))),
    "temperatures from the head's grid",
  );
  assert.equal(samples[6]!.problemId, 'gsm8k-test-0');
  assert.equal(samples[6]!.answer, '18');
  for (const row of rows) assert.ok(Number(row.mean_temperature) >= 0.5 && Number(row.mean_temperature) <= 1.5);
  assert.match(result.table, /^\| metric \| synthetic-arith \| gsm8k \|$/m);
});

test('evaluatePolicy stops between chunks when its signal aborts, and summarises what is done', async () => {
  const model = await openPolicyModel({ modelDir, threads: 1 });
  try {
    const controller = new AbortController();
    const problems = generateArithProblems('test', { count: 10, seed: 0 });
    let chunks = 0;
    const result = await evaluatePolicy({
      model,
      policy: createPolicy('fixed:0.8'),
      policyLabel: 'fixed:0.8',
      task: getTask('synthetic-arith'),
      problems,
      k: 4,
      maxNewTokens: 8,
      batchSize: 8, // two problems per chunk
      seed: 0,
      signal: controller.signal,
      onProblems: () => {
        chunks++;
        controller.abort();
      },
    });
    assert.equal(chunks, 1);
    assert.equal(result.completed, false);
    assert.equal(result.summary.problems, 2);
    assert.equal(result.samples.length, 8);
  } finally {
    await model.dispose();
  }
});

test('an aborted run writes its (empty) report; unknown tasks fail before the model loads', async () => {
  const runDir = mkdtempSync(join(temp, 'run-'));
  const controller = new AbortController();
  controller.abort();
  const result = await runEvaluation(job({ policy: 'greedy', eval: { tasks: ['synthetic-arith'], limit: 2 } }), {
    ...quietContext(runDir),
    signal: controller.signal,
  });
  assert.match(readFileSync(join(runDir, 'report.md'), 'utf8'), /# Evaluation report/);
  assert.equal(result.results.length, 0);
  await assert.rejects(runEvaluation(job({ eval: { tasks: ['gsm9k'] } }), quietContext(runDir)), /gsm9k.*valid/i);
  await assert.rejects(
    runEvaluation(job({ policy: 'schedule', eval: { tasks: ['synthetic-arith'], limit: 1 } }), quietContext(runDir)),
    /training step/,
  );
});
