import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { validateJob, writeResolvedConfig } from '../../src/config/index.js';
import { analyzeRun } from '../../src/api/analyze.js';
import { cellFingerprint, cellJobOf, compareBaselines, compareReport } from '../../src/api/compare-baselines.js';
import { createRunLogger, silentLogger } from '../../src/util/log.js';
import { parse } from 'csv-parse/sync';
import { evaluatePolicy } from '../../src/eval/evaluate.js';
import { loadJobProblems } from '../../src/eval/problems.js';
import { createPolicy } from '../../src/policy/index.js';
import { TemperatureHead } from '../../src/policy/head/index.js';
import { latestCheckpoint } from '../../src/rl/checkpoint.js';
import { openPolicyModel } from '../../src/rollout/runtime.js';
import { getTask } from '../../src/tasks/index.js';
import { writeTinyCharModel } from '../eval/tiny-char-model.js';

/** A logger whose JSON records are kept, and an optional hook on each one. */
function recordingLogger(onRecord: (r: ProgressLine) => void = () => {}) {
  const records: ProgressLine[] = [];
  const destination = {
    write(chunk: string | Uint8Array): boolean {
      for (const line of String(chunk).split('\n').filter(Boolean)) {
        const r = JSON.parse(line) as ProgressLine;
        records.push(r);
        onRecord(r);
      }
      return true;
    },
  } as unknown as NodeJS.WritableStream;
  return {
    logger: createRunLogger({ json: true, destination }).logger,
    records,
    progress: () => records.filter((r) => r.cells !== undefined && /^cell \d+\//.test(r.msg)),
  };
}

interface ProgressLine {
  msg: string;
  cell?: number;
  cells?: number;
  done?: number;
  method?: string;
  seed?: number;
  etaSeconds?: number | null;
  iterations?: number;
}

test('compare baselines: the policy grid, tuning, paired differences and matched LLM steps; a rerun reuses finished cells', async () => {
  const model = writeTinyCharModel({ seed: 2 });
  const job = validateJob(
    {
      model: { path: model },
      task: { name: 'synthetic-arith', synthetic: { trainSize: 40, testSize: 10 } },
      rollout: { maxNewTokens: 8, batchSize: 16 },
      train: {
        iterations: 2,
        promptsPerIteration: 2,
        groupSize: 4,
        miniBatchSize: 8,
        evalEvery: 0,
        checkpointEvery: 0,
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
          {
            name: 'learned',
            policy: 'learned',
            schedule: 'coordinate-ascent',
            evalPolicies: ['learned', { name: 'learned', greedy: true }],
            initTemperature: 'best-fixed',
          },
        ],
      },
    },
    { source: 'test', baseDir: process.cwd() },
  );
  const runDir = mkdtempSync(join(tmpdir(), 'introspect-compare-'));
  const log1 = recordingLogger();
  const first = await compareBaselines(job, { logger: log1.logger, runDir });
  assert.equal(first.rows.length, 6, 'one row per (method, seed)');
  assert.deepEqual([first.cells, first.interrupted], [{ done: 6, total: 6 }, false]);
  // Progress: every cell starts and finishes as "cell k/6", baselines first, seeds outer; the ETA
  // is unknown until a cell has been measured, then a number of seconds, 0 after the last cell.
  const started = log1.progress().filter((r) => /: training \d+ iterations/.test(r.msg));
  const finished = log1.progress().filter((r) => /: done in /.test(r.msg));
  const order = ['fixed-0.6 0', 'fixed-1.0 0', 'fixed-0.6 1', 'fixed-1.0 1', 'learned 0', 'learned 1'];
  assert.deepEqual(
    started.map((r) => `${r.method} ${r.seed}`),
    order,
  );
  assert.deepEqual(
    started.map((r) => r.cell),
    [1, 2, 3, 4, 5, 6],
  );
  assert.ok(started.every((r) => r.cells === 6 && r.msg.startsWith(`cell ${r.cell}/6 ${r.method} seed ${r.seed}: `)));
  assert.deepEqual(
    started.map((r) => r.iterations),
    [2, 2, 2, 2, 4, 4],
    'coordinate-ascent cells run twice the iterations',
  );
  assert.equal(started[0]!.etaSeconds, null);
  assert.match(started[0]!.msg, /ETA \?$/);
  assert.deepEqual(
    finished.map((r) => r.done),
    [1, 2, 3, 4, 5, 6],
  );
  assert.ok(
    finished.slice(0, 5).every((r) => typeof r.etaSeconds === 'number' && r.etaSeconds >= 0),
    JSON.stringify(finished),
  );
  assert.equal(finished.at(-1)!.etaSeconds, 0);
  // synthetic-arith has no validation split: tuned on test, and results.md says so.
  assert.equal(first.tuning.split, 'test');
  const best = first.tuning.bestFixedTemperature;
  assert.ok(best === 0.6 || best === 1.0);
  for (const r of first.rows) {
    const columns = r.evaluations.map((e) => `${e.column}/${e.evalPolicy}`).sort();
    const own =
      r.method === 'learned'
        ? ['own/learned', 'own learned:greedy=true/learned:greedy=true']
        : [`own/${r.method === 'fixed-0.6' ? 'fixed:0.6' : 'fixed:1.0'}`];
    assert.deepEqual(columns, [...own, 'greedy/greedy', 'fixed:1.0/fixed:1.0'].sort(), r.method);
    for (const e of r.evaluations) {
      assert.equal(e.correct.length, 5);
      // greedy decoding is deterministic: one sample per problem, so no pass@k beyond k = 1
      assert.equal(e.samples, e.evalPolicy === 'greedy' ? 1 : 2);
      assert.ok(Math.abs(e.avgAtK - e.correct.reduce((a, b) => a + b, 0) / (5 * e.samples)) < 1e-12, 'avg@k from the per-problem counts');
      assert.ok(Math.abs(e.passAtK[1]! - e.avgAtK) < 1e-12, 'pass@1 is avg@k');
      if (e.samples === 2) assert.ok(e.passAtK[2]! >= e.passAtK[1]! - 1e-12);
      else assert.equal(e.passAtK[2], undefined);
      assert.equal(e.passAtK[8], undefined, 'k > n is left out');
    }
    if (r.method === 'learned') {
      assert.equal(r.initTemperature, best, 'the head starts from the best fixed temperature');
      assert.equal(r.iterations, 4, 'llm-steps budget: coordinate ascent (2 + 2 phases) runs twice the iterations');
    }
  }
  const steps = (m: string) => first.rows.filter((r) => r.method === m).map((r) => r.llmSteps);
  assert.deepEqual(steps('learned'), steps('fixed-0.6'), 'equal LLM optimiser steps');
  for (const file of ['results.csv', 'results.md', 'provenance.json', 'tuning.json']) assert.ok(existsSync(join(runDir, file)), file);
  for (const chart of ['accuracy', 'differences', 'reward-curves']) {
    for (const ext of ['vl.json', 'svg', 'png']) assert.ok(existsSync(join(runDir, `${chart}.${ext}`)), `${chart}.${ext}`);
  }
  // The plots' data are the tables' numbers: accuracy per (method, column, seed) as in results.csv,
  // paired differences equal to the mean over seeds of the avg@k differences (same problems and
  // samples per seed), reward curves the mean over seeds of the cells' metrics.csv.
  const csv = (parse(readFileSync(join(runDir, 'results.csv'), 'utf8'), { columns: true }) as Record<string, string>[]).filter(
    (r) => r.split === 'test',
  );
  const spec = (name: string) =>
    (JSON.parse(readFileSync(join(runDir, `${name}.vl.json`), 'utf8')) as { data: { values: Record<string, number | string>[] } }).data
      .values;
  const key = (r: Record<string, unknown>) => `${r.method}|${r.column}|${r.seed}`;
  assert.deepEqual(
    spec('accuracy')
      .map((r) => [key(r), r.value])
      .sort(),
    csv.map((r) => [key(r), Number(r.avg_at_k)]).sort(),
  );
  const reference = first.tuning.bestBaseline!;
  const avg = (method: string, column: string, seed: number) => Number(csv.find((r) => key(r) === `${method}|${column}|${seed}`)!.avg_at_k);
  const deltas = spec('differences');
  assert.equal(
    deltas.length,
    3 + 3,
    'the other baseline and the learned method, each under own, greedy and fixed:1.0 (the reference has no learned:greedy column)',
  );
  for (const d of deltas) {
    const byHand =
      (avg(String(d.method), String(d.column), 0) -
        avg(reference, String(d.column), 0) +
        avg(String(d.method), String(d.column), 1) -
        avg(reference, String(d.column), 1)) /
      2;
    assert.ok(Math.abs(Number(d.mean) - byHand) < 1e-12, `${key(d)}: ${d.mean} vs ${byHand}`);
    assert.ok(Number(d.low) <= Number(d.mean) && Number(d.mean) <= Number(d.high));
  }
  const reward = (seed: number) =>
    (
      parse(readFileSync(join(runDir, 'cells', 'learned', `seed-${seed}`, 'metrics.csv'), 'utf8'), { columns: true }) as Record<
        string,
        string
      >[]
    ).map((r) => Number(r.reward));
  const curve = spec('reward-curves').filter((r) => r.method === 'learned');
  assert.deepEqual(
    curve.map((r) => r.iteration),
    [1, 2, 3, 4],
  );
  for (const r of curve)
    assert.ok(Math.abs(Number(r.mean) - (reward(0)[Number(r.iteration) - 1]! + reward(1)[Number(r.iteration) - 1]!) / 2) < 1e-12);
  const md = readFileSync(join(runDir, 'results.md'), 'utf8');
  assert.match(md, /## Every method decoded with greedy/);
  assert.match(md, /## Own policy variant learned:greedy=true/);
  assert.match(md, /Δ avg@2 vs fixed-/);
  assert.match(md, /\| learned \| 2 \| .* \[[-+]\d\.\d{3}, [-+]\d\.\d{3}\]/, 'paired difference with an interval');
  assert.match(md, /no validation split/);
  assert.match(md, /Made by `introspect.*` at commit [0-9a-f]{40}/);

  const cellResult = join(runDir, 'cells', 'learned', 'seed-1', 'result.json');
  const before = statSync(cellResult).mtimeMs;
  const log2 = recordingLogger();
  const again = await compareBaselines(job, { logger: log2.logger, runDir });
  assert.deepEqual(again.rows, first.rows, 'a rerun reads finished cells back');
  assert.equal(statSync(cellResult).mtimeMs, before, 'finished cells are not retrained');
  // Reused cells count as done from the start, and no cell is measured: nothing left, ETA 0.
  assert.ok(log2.records.some((r) => r.msg === '6 cells, 6 finished before'));
  assert.deepEqual(
    log2.progress().map((r) => [r.cell, r.msg.includes('reused'), r.etaSeconds]),
    [1, 2, 3, 4, 5, 6].map((k) => [k, true, 0]),
  );
  // A newer job (another eval.k) would retrain every cell; compareReport tabulates them as they are.
  const newer = validateJob({ ...structuredClone(job), eval: { ...job.eval, k: 3 } }, { source: 'test', baseDir: process.cwd() });
  const remade = await compareReport(newer, { logger: silentLogger, runDir });
  assert.deepEqual(remade.rows, first.rows);
  assert.equal(statSync(cellResult).mtimeMs, before, 'nothing retrained');
  assert.match(
    readFileSync(join(runDir, 'results.md'), 'utf8'),
    /Made by `introspect.*` at commit [0-9a-f]{40}(-dirty)?\.\nTables and plots re-made from its cells by `introspect/,
  );
  assert.ok(remade.files.some((f) => f.endsWith('accuracy.vl.json')));

  // Ctrl-C before anything runs: finished cells are still tabulated, nothing is retrained.
  const stop = new AbortController();
  stop.abort();
  const stopped = await compareBaselines(job, { logger: silentLogger, runDir, signal: stop.signal });
  assert.equal(stopped.rows.length, 6);
  assert.match(readFileSync(join(runDir, 'results.md'), 'utf8'), /## Each method under its own policy/);

  // Ctrl-C in a fresh folder, before and after the first cell: no empty tables; then only the finished cell.
  const fresh = mkdtempSync(join(tmpdir(), 'introspect-compare-stop-'));
  const none = await compareBaselines(job, { logger: silentLogger, runDir: fresh, signal: stop.signal });
  assert.deepEqual([none.rows.length, none.cells, none.interrupted, none.table], [0, { done: 0, total: 6 }, true, '']);
  for (const file of ['results.md', 'results.csv', 'tuning.json', 'accuracy.svg']) assert.ok(!existsSync(join(fresh, file)), `no ${file}`);
  const later = new AbortController();
  const log3 = recordingLogger((r) => {
    if (r.cell === 1 && /done in/.test(r.msg)) later.abort();
  });
  const partial = await compareBaselines(job, { logger: log3.logger, runDir: fresh, signal: later.signal });
  assert.deepEqual([partial.rows.map((r) => r.method), partial.cells, partial.interrupted], [['fixed-0.6'], { done: 1, total: 6 }, true]);
  assert.match(readFileSync(join(fresh, 'results.md'), 'utf8'), /Incomplete: 1 of 6 cells finished/);
  assert.ok(!existsSync(join(fresh, 'tuning.json')), 'no tuning from a partial set of baselines');
  assert.ok(log3.records.some((r) => /stopped: the tables cover the 1 of 6 cells/.test(r.msg)));
});

test('compare evaluates every cell with the settings it trained with (prompts, stop strings, top-k/top-p), and a learned cell with its own head', async () => {
  const template = '{% for m in messages %}<{{ m.role }}>{{ m.content }}\n{% endfor %}{% if add_generation_prompt %}<assistant>{% endif %}';
  const model = writeTinyCharModel({ seed: 3, chatTemplate: template });
  const job = validateJob(
    {
      model: { path: model },
      task: {
        name: 'synthetic-arith',
        synthetic: { trainSize: 20, testSize: 6 },
        systemPrompt: 'Be brief.',
        instruction: 'Answer with a number.',
      },
      rollout: { maxNewTokens: 10, batchSize: 16, stop: [' ', '#'], topK: 8, topP: 0.9 },
      head: { grid: [0.5, 1.0, 1.5] },
      train: { iterations: 1, promptsPerIteration: 2, groupSize: 2, miniBatchSize: 4, evalEvery: 0, checkpointEvery: 0 },
      eval: { k: 3, limit: 6 },
      compare: {
        seeds: [0],
        passK: [3],
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
  for (const [method, spec] of [
    ['fixed', 'fixed:1.0'],
    ['learned', 'learned'],
  ] as const) {
    const row = rows.find((r) => r.method === method)!.evaluations.find((e) => e.column === 'own' && e.split === 'test')!;
    const reference = await byHand(method, spec, 'as trained');
    assert.deepEqual(
      { avgAtK: row.avgAtK, passAtK: row.passAtK[3], majAtK: row.majAtK, meanTemperature: row.meanTemperature, meanLength: row.meanLength },
      {
        avgAtK: reference.avgAtK,
        passAtK: reference.passAtK,
        majAtK: reference.majAtK,
        meanTemperature: reference.meanTemperature,
        meanLength: reference.meanLength,
      },
      `${method}: evaluated with the training settings`,
    );
    const defaults = await byHand(method, spec, 'defaults');
    assert.notEqual(defaults.meanLength, row.meanLength, `${method}: the settings change the result, so the check can fail`);
  }

  // `introspect analyze <cell>`: a cell keeps no samples, so its own-policy evaluation is regenerated,
  // and it is the one the comparison scored (same streams: same temperatures, lengths and verdicts).
  writeResolvedConfig(runDir, job);
  const cellDir = join(runDir, 'cells', 'learned', 'seed-0');
  const analysis = await analyzeRun(cellDir, { logger: silentLogger, runDir: mkdtempSync(join(tmpdir(), 'introspect-analyze-cell-')) });
  const own = rows.find((r) => r.method === 'learned')!.evaluations.find((e) => e.column === 'own' && e.split === 'test')!;
  const samples = readFileSync(analysis.source, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { temperatures: number[]; correct: boolean; policy: string });
  assert.equal(samples.length, 6 * 3);
  const tokens = samples.reduce((n, x) => n + x.temperatures.length, 0);
  const temperatureSum = samples.reduce((t, x) => t + x.temperatures.reduce((a, b) => a + b, 0), 0);
  assert.ok(
    Math.abs(temperatureSum / tokens - own.meanTemperature) < 1e-6,
    `mean temperature ${temperatureSum / tokens} vs ${own.meanTemperature}`,
  );
  assert.equal(tokens / samples.length, own.meanLength);
  assert.equal(
    samples.filter((x) => x.correct).length,
    own.correct.reduce((a, b) => a + b, 0),
  );
  assert.ok(samples.every((x) => x.policy === 'learned'));
  assert.ok(existsSync(join(dirname(analysis.source), 'analysis.md')));
});

test('a finished cell is reused only under the same settings: its fingerprint ignores the folder and changes with any setting', () => {
  const base = { model: { path: 'models/countdown-tiny' }, task: { name: 'countdown' }, train: { iterations: 6 }, eval: { k: 8 } };
  const job = validateJob(base, { source: 'test', baseDir: process.cwd() });
  const method = { name: 'fixed-0.6', policy: 'fixed:0.6', schedule: 'token-only' } as const;
  const at = (j: typeof job, dir: string, t?: number) => cellFingerprint(cellJobOf(j, method, 0, dir, t));
  assert.equal(at(job, '/a/cells/x'), at(job, '/b/elsewhere'), 'the cell folder is not a setting');
  // the same settings written in another key order
  const reordered = validateJob(
    { eval: { k: 8 }, train: { iterations: 6 }, task: { name: 'countdown' }, model: { path: 'models/countdown-tiny' } },
    { source: 'test', baseDir: process.cwd() },
  );
  assert.equal(at(reordered, '/a'), at(job, '/a'));
  const changed = [
    validateJob({ ...base, train: { iterations: 7 } }, { source: 'test', baseDir: process.cwd() }),
    validateJob({ ...base, eval: { k: 4 } }, { source: 'test', baseDir: process.cwd() }),
    validateJob({ ...base, train: { iterations: 6, tokenOptimizer: { lr: 0.5 } } }, { source: 'test', baseDir: process.cwd() }),
  ];
  for (const other of changed) assert.notEqual(at(other, '/a'), at(job, '/a'));
  assert.notEqual(at(job, '/a', 0.6), at(job, '/a', 1.0), 'the head temperature is a setting');
  assert.notEqual(cellFingerprint(cellJobOf(job, method, 1, '/a', undefined)), at(job, '/a'), 'the seed is a setting');
});
