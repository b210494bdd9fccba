/**
 * `introspect compare baselines`: the method's claim as an experiment. Every method trains from the
 * same initial model with the same budget and seeds (baselines as plain GRPO with their temperature
 * rule, the learned head with coordinate ascent, and with joint updates as an ablation), then is
 * evaluated on the same held-out problems with its own temperature policy.
 *
 * Each (method, seed) cell trains in its own folder, cells/<method>/seed-<s>/, and is done when its
 * result.json exists: a cut-short comparison resumes where it stopped, never retraining a finished cell.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import type { JobConfig, PolicySpec } from '../config/index.js';
import type { RunContext } from '../api/context.js';
import { train } from '../rl/trainer.js';
import { latestCheckpoint } from '../rl/checkpoint.js';
import { createPolicy } from '../policy/index.js';
import { TemperatureHead } from '../policy/head/index.js';
import { openPolicyModel } from '../rollout/runtime.js';
import { getTask } from '../tasks/index.js';
import { evaluatePolicy } from './evaluate.js';
import { loadJobProblems } from './problems.js';
import { mean, std } from './metrics.js';
import { lineChart, barChart } from '../report/svg-charts.js';
import { writeChart } from '../report/png.js';
import { readMetricsColumn } from './metrics-file.js';

export type Method = JobConfig['compare']['methods'][number];

/** The built-in comparison: fixed temperatures, heuristics, and the learned head (coordinate ascent, and joint as an ablation). */
export const defaultMethods: readonly Method[] = [
  { name: 'fixed-0.6', policy: 'fixed:0.6', schedule: 'token-only' },
  { name: 'fixed-1.0', policy: 'fixed:1.0', schedule: 'token-only' },
  { name: 'fixed-1.2', policy: 'fixed:1.2', schedule: 'token-only' },
  { name: 'edt', policy: 'edt', schedule: 'token-only' },
  { name: 'entropy-threshold', policy: 'entropy-threshold', schedule: 'token-only' },
  { name: 'schedule-1.2-0.6', policy: { name: 'schedule', from: 1.2, to: 0.6, shape: 'cosine' }, schedule: 'token-only' },
  { name: 'learned', policy: 'learned', schedule: 'coordinate-ascent', evalPolicies: ['learned', { name: 'learned', greedy: true }] },
  { name: 'learned-joint', policy: 'learned', schedule: 'joint' },
];

export interface CellResult {
  method: string;
  seed: number;
  task: string;
  /** the policy the row was evaluated with */
  evalPolicy: string;
  avgAtK: number;
  passAtK: number;
  majAtK: number;
  meanTemperature: number;
  meanLength: number;
  trainSeconds: number;
}

export interface CompareResult {
  runDir: string;
  table: string;
  rows: CellResult[];
}

const label = (spec: PolicySpec): string =>
  typeof spec === 'string' ? spec : `${spec.name}(${Object.entries(spec).filter(([k]) => k !== 'name').map(([k, v]) => `${k}=${String(v)}`).join(',')})`;

export async function compareBaselines(job: JobConfig, ctx: RunContext): Promise<CompareResult> {
  const methods = job.compare.methods.length > 0 ? job.compare.methods : defaultMethods;
  const rows: CellResult[] = [];
  for (const seed of job.compare.seeds) {
    for (const method of methods) {
      if (ctx.signal?.aborted) break;
      rows.push(...(await runCell(job, ctx, method, seed)));
    }
  }
  return { runDir: ctx.runDir, table: writeOutputs(job, ctx, methods, rows), rows };
}

async function runCell(job: JobConfig, ctx: RunContext, method: Method, seed: number): Promise<CellResult[]> {
  const cellDir = join(ctx.runDir, 'cells', method.name, `seed-${seed}`);
  const resultFile = join(cellDir, 'result.json');
  if (existsSync(resultFile)) {
    ctx.logger.info({ method: method.name, seed }, 'cell already done');
    return JSON.parse(readFileSync(resultFile, 'utf8')) as CellResult[];
  }
  mkdirSync(cellDir, { recursive: true });
  const cellJob: JobConfig = structuredClone({
    ...job,
    run: { ...job.run, seed, out: cellDir },
    policy: method.policy,
    train: { ...job.train, schedule: { ...job.train.schedule, name: method.schedule } },
  });
  const started = performance.now();
  ctx.logger.info({ method: method.name, seed }, 'training cell');
  const resuming = latestCheckpoint(cellDir) !== undefined;
  const child = ctx.logger.child({ method: method.name, seed });
  const summary = await train(cellJob, { logger: child, runDir: cellDir, signal: ctx.signal }, { resume: resuming });
  const trainSeconds = (performance.now() - started) / 1000;
  if (summary.iterations < job.train.iterations) return []; // interrupted: the cell stays open

  const checkpoint = latestCheckpoint(cellDir)!;
  const model = await openPolicyModel({ modelDir: join(checkpoint, 'model'), executionProvider: job.model.executionProvider, threads: job.model.threads });
  const task = getTask(job.task.name);
  const problems = await loadJobProblems(job, job.task.name, job.eval.split, job.eval.limit || undefined);
  const results: CellResult[] = [];
  try {
    for (const spec of method.evalPolicies ?? [method.policy]) {
      const policy = createPolicy(spec, { head: job.head });
      const head = policy.kind === 'head' ? TemperatureHead.load(join(checkpoint, 'head')) : undefined;
      const evaluation = await evaluatePolicy({
        model, policy, head, policyLabel: label(spec), task, problems, k: job.eval.k,
        maxNewTokens: job.rollout.maxNewTokens, batchSize: job.rollout.batchSize, seed: job.run.seed,
        // schedules are evaluated at their final temperature
        trainingStep: job.train.iterations, totalTrainingSteps: job.train.iterations,
      });
      await head?.dispose();
      const s = evaluation.summary;
      results.push({
        method: method.name, seed, task: job.task.name, evalPolicy: label(spec), avgAtK: s.avgAtK, passAtK: s.passAtK,
        majAtK: s.majAtK, meanTemperature: s.meanTemperature, meanLength: s.meanLength, trainSeconds,
      });
    }
  } finally {
    await model.dispose();
  }
  writeFileSync(resultFile, JSON.stringify(results, null, 2) + '\n');
  return results;
}

/** results.csv, results.md and the plots; returns the Markdown table. */
function writeOutputs(job: JobConfig, ctx: RunContext, methods: readonly Method[], rows: readonly CellResult[]): string {
  writeFileSync(
    join(ctx.runDir, 'results.csv'),
    stringify(rows.map((r) => ({
      method: r.method, eval_policy: r.evalPolicy, seed: r.seed, task: r.task, avg_at_k: r.avgAtK, pass_at_k: r.passAtK,
      maj_at_k: r.majAtK, mean_temperature: r.meanTemperature, mean_length: r.meanLength, train_seconds: r.trainSeconds,
    })), { header: true }),
  );
  const groups = new Map<string, CellResult[]>();
  for (const r of rows) {
    const key = `${r.method}|${r.evalPolicy}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const stat = (xs: number[]) => ({ mean: mean(xs), std: xs.length > 1 ? std(xs) : 0 });
  const summary = [...groups.entries()].map(([key, rs]) => {
    const [method, evalPolicy] = key.split('|') as [string, string];
    return { method, evalPolicy, seeds: rs.length, avg: stat(rs.map((r) => r.avgAtK)), pass: stat(rs.map((r) => r.passAtK)), maj: stat(rs.map((r) => r.majAtK)), temp: mean(rs.map((r) => r.meanTemperature)), len: mean(rs.map((r) => r.meanLength)) };
  });
  const best = (f: (s: (typeof summary)[number]) => number) => Math.max(...summary.map(f));
  const fmt = (v: { mean: number; std: number }, top: number) => {
    const text = `${v.mean.toFixed(3)} ± ${v.std.toFixed(3)}`;
    return v.mean === top ? `**${text}**` : text;
  };
  const k = job.eval.k;
  const lines = [
    `| method | evaluated with | seeds | avg@${k} | pass@${k} | maj@${k} | mean T | mean length |`,
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...summary.map((s) =>
      `| ${s.method} | ${s.evalPolicy} | ${s.seeds} | ${fmt(s.avg, best((x) => x.avg.mean))} | ${fmt(s.pass, best((x) => x.pass.mean))} | ${fmt(s.maj, best((x) => x.maj.mean))} | ${s.temp.toFixed(3)} | ${s.len.toFixed(1)} |`),
  ];
  const table = lines.join('\n');
  writeFileSync(
    join(ctx.runDir, 'results.md'),
    `# Temperature policies compared on ${job.task.name}\n\n${job.train.iterations} RL iterations per method, seeds ${job.compare.seeds.join(', ')}, ` +
      `evaluated on ${job.eval.limit || 'all'} held-out problems with k = ${k}. Mean ± std over seeds; best in bold.\n\n${table}\n`,
  );
  // Plots: mean training reward per iteration per method, and final avg@k with the seed spread.
  const curves = methods.map((m) => {
    const perSeed = job.compare.seeds
      .map((s) => readMetricsColumn(join(ctx.runDir, 'cells', m.name, `seed-${s}`, 'metrics.csv'), 'reward'))
      .filter((c) => c.length > 0);
    const length = Math.min(...perSeed.map((c) => c.length));
    const points: [number, number][] = Number.isFinite(length)
      ? Array.from({ length }, (_, i) => [i + 1, mean(perSeed.map((c) => c[i]!))] as [number, number])
      : [];
    return { name: m.name, points };
  }).filter((c) => c.points.length > 0);
  if (curves.length > 0) {
    writeChart(join(ctx.runDir, 'reward-curves'), lineChart({ title: `Training reward (mean over seeds) on ${job.task.name}`, xLabel: 'iteration', yLabel: 'mean reward', series: curves }));
  }
  if (summary.length > 0) {
    writeChart(
      join(ctx.runDir, 'final-accuracy'),
      barChart({ title: `Held-out avg@${k} (mean ± std over seeds)`, yLabel: `avg@${k}`, bars: summary.map((s) => ({ label: s.evalPolicy.includes('greedy=true') ? `${s.method} (argmax T)` : s.method, value: s.avg.mean, error: s.avg.std })) }),
    );
  }
  return table;
}
