/**
 * The results of `introspect compare baselines` (the orchestration is api/compare.ts): one row per
 * (method, evaluation policy, seed), the mean ± std table over seeds, results.csv, results.md and the plots.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import type { JobConfig } from '../config/index.js';
import { barChart, lineChart } from '../report/svg-charts.js';
import { writeChart } from '../report/png.js';
import { runFiles } from '../util/run-layout.js';
import { mean, std } from '../util/stats.js';
import { readMetricsColumn } from './metrics-file.js';

/** One method of the comparison (the `compare.methods` entries). */
export type Method = JobConfig['compare']['methods'][number];

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

/** results.csv, results.md and the plots; returns the Markdown table. */
export function writeCompareResults(job: JobConfig, runDir: string, methods: readonly Method[], rows: readonly CellResult[]): string {
  writeFileSync(
    runFiles.results(runDir),
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
    runFiles.resultsTable(runDir),
    `# Temperature policies compared on ${job.task.name}\n\n${job.train.iterations} RL iterations per method, seeds ${job.compare.seeds.join(', ')}, ` +
      `evaluated on ${job.eval.limit || 'all'} held-out problems with k = ${k}. Mean ± std over seeds; best in bold.\n\n${table}\n`,
  );
  // Plots: mean training reward per iteration per method, and final avg@k with the seed spread.
  const curves = methods.map((m) => {
    const perSeed = job.compare.seeds
      .map((s) => readMetricsColumn(runFiles.metrics(runFiles.cell(runDir, m.name, s)), 'reward'))
      .filter((c) => c.length > 0);
    const length = Math.min(...perSeed.map((c) => c.length));
    const points: [number, number][] = Number.isFinite(length)
      ? Array.from({ length }, (_, i) => [i + 1, mean(perSeed.map((c) => c[i]!))] as [number, number])
      : [];
    return { name: m.name, points };
  }).filter((c) => c.points.length > 0);
  if (curves.length > 0) {
    writeChart(join(runDir, 'reward-curves'), lineChart({ title: `Training reward (mean over seeds) on ${job.task.name}`, xLabel: 'iteration', yLabel: 'mean reward', series: curves }));
  }
  if (summary.length > 0) {
    writeChart(
      join(runDir, 'final-accuracy'),
      barChart({ title: `Held-out avg@${k} (mean ± std over seeds)`, yLabel: `avg@${k}`, bars: summary.map((s) => ({ label: s.evalPolicy.includes('greedy=true') ? `${s.method} (argmax T)` : s.method, value: s.avg.mean, error: s.avg.std })) }),
    );
  }
  return table;
}
