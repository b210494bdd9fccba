/**
 * The results of `introspect compare baselines` (the orchestration is api/compare-baselines.ts):
 * the grid of method x evaluation policy x seed, the choice of the best baseline on the tuning
 * split, paired differences to it with bootstrap intervals, results.csv, results.md and the plots.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import type { JobConfig } from '../config/index.js';
import { barChart, lineChart } from '../report/svg-charts.js';
import { writeChart } from '../report/png.js';
import { parsePolicySpec } from '../policy/index.js';
import { runFiles } from '../util/run-layout.js';
import { mean, std } from '../util/stats.js';
import { readMetricsColumn } from './metrics-file.js';
import { pairedBootstrap, pairedDifferences, type PairedDifference, type ProblemScores } from './paired.js';
import { at } from '../util/must.js';

/** One method of the comparison (the `compare.methods` entries). */
export type Method = JobConfig['compare']['methods'][number];

/** The evaluation column of a method's own policy (whatever it is called). */
export const OWN = 'own';

/** One evaluation of one trained model: a policy on a split, with the per-problem counts kept for pairing. */
export interface CellEvaluation extends ProblemScores {
  /** the policy's label, e.g. `fixed:0.6` or `learned` */
  evalPolicy: string;
  /** `own` for the method's own policies, else the common-decoding policy's label */
  column: string;
  split: string;
  avgAtK: number;
  majAtK: number;
  /** unbiased pass@k for each compare.passK that fits in the samples */
  passAtK: Record<number, number>;
  meanTemperature: number;
  meanLength: number;
}

/** One trained (method, seed) cell: its budget use and its evaluations. */
export interface CellResult {
  method: string;
  seed: number;
  task: string;
  /** the head's initial temperature, for learned methods */
  initTemperature?: number;
  /** Hash of the cell's job (compare-baselines.ts cellFingerprint): a cell is reused only under the same settings. */
  fingerprint?: string;
  iterations: number;
  /** LLM optimiser steps applied */
  llmSteps: number;
  /** head optimiser steps applied */
  headSteps: number;
  /** rollout tokens generated in training */
  generatedTokens: number;
  trainSeconds: number;
  evaluations: CellEvaluation[];
}

/** What the comparison chose on the tuning split. */
export interface Tuning {
  /** the split the choice was made on (validation, or test when the task has none) */
  split: string;
  /** mean own-policy avg@k on that split, per baseline */
  scores: Record<string, number>;
  bestBaseline: string | null;
  bestFixed: string | null;
  bestFixedTemperature: number | null;
}

/** A method's cells by seed, and the evaluation of one column on one split. */
function scoresOf(rows: readonly CellResult[], method: string, column: string, split: string): Map<number, CellEvaluation> {
  const out = new Map<number, CellEvaluation>();
  for (const r of rows) {
    if (r.method !== method) continue;
    const e = r.evaluations.find((x) => x.column === column && x.split === split);
    if (e !== undefined) out.set(r.seed, e);
  }
  return out;
}

/**
 * The baseline with the best mean own-policy avg@k over seeds on the tuning split, and the best
 * of the fixed-temperature baselines (whose temperature a learned head may start from).
 */
export function chooseBaselines(rows: readonly CellResult[], baselines: readonly Method[], split: string): Tuning {
  const scores: Record<string, number> = {};
  for (const m of baselines) {
    const evals = [...scoresOf(rows, m.name, OWN, split).values()];
    if (evals.length > 0) scores[m.name] = mean(evals.map((e) => e.avgAtK));
  }
  const best = (names: string[]) => names.reduce<string | null>((b, n) => (b === null || (scores[n] ?? -Infinity) > (scores[b] ?? -Infinity) ? n : b), null);
  const fixedNames = baselines.filter((m) => fixedTemperatureOf(m) !== null && m.name in scores).map((m) => m.name);
  const bestFixed = best(fixedNames);
  const fixedMethod = baselines.find((m) => m.name === bestFixed);
  return {
    split,
    scores,
    bestBaseline: best(Object.keys(scores)),
    bestFixed,
    bestFixedTemperature: fixedMethod ? fixedTemperatureOf(fixedMethod) : null,
  };
}

/** The temperature of a `fixed:<t>` (or `{name: fixed, t}`) method; null for others. */
export function fixedTemperatureOf(m: Method): number | null {
  const spec = parsePolicySpec(m.policy);
  return spec.name === 'fixed' ? Number(spec.params.t) : null;
}

export interface CompareTables {
  markdown: string;
  /** paired differences to the best baseline, by method and column (test split) */
  differences: Record<string, Record<string, PairedDifference>>;
}

/** results.csv, results.md and the plots; returns the Markdown and the paired differences. */
export function writeCompareResults(
  job: JobConfig,
  runDir: string,
  methods: readonly Method[],
  rows: readonly CellResult[],
  tuning: Tuning,
  provenance: { commit: string; command: string },
): CompareTables {
  const ks = job.compare.passK.filter((k) => k <= job.eval.k);
  const testSplit = job.eval.split;
  writeFileSync(
    runFiles.results(runDir),
    stringify(
      rows.flatMap((r) =>
        r.evaluations.map((e) => ({
          method: r.method, seed: r.seed, task: r.task, split: e.split, column: e.column, eval_policy: e.evalPolicy,
          avg_at_k: e.avgAtK, maj_at_k: e.majAtK, ...Object.fromEntries(ks.map((k) => [`pass_at_${k}`, e.passAtK[k] ?? NaN])),
          mean_temperature: e.meanTemperature, mean_length: e.meanLength, init_temperature: r.initTemperature ?? '',
          iterations: r.iterations, llm_steps: r.llmSteps, head_steps: r.headSteps, generated_tokens: r.generatedTokens, train_seconds: r.trainSeconds,
        })),
      ),
      { header: true },
    ),
  );

  const columns = [OWN, ...new Set(rows.flatMap((r) => r.evaluations.filter((e) => e.column !== OWN).map((e) => e.column)))];
  const reference = tuning.bestBaseline;
  const differences: CompareTables['differences'] = {};
  const stat = (xs: number[]) => `${mean(xs).toFixed(3)} ± ${(xs.length > 1 ? std(xs) : 0).toFixed(3)}`;
  const k = job.eval.k;
  const sections: string[] = [];
  for (const column of columns) {
    const lines = [
      `| method | seeds | avg@${k} | ${ks.map((x) => `pass@${x}`).join(' | ')} | maj@${k} | mean T | Δ avg@${k} vs ${reference ?? '—'} [95% CI] |`,
      `| --- | --- | --- | ${ks.map(() => '---').join(' | ')} | --- | --- | --- |`,
    ];
    for (const m of methods) {
      const cells = scoresOf(rows, m.name, column, testSplit);
      if (cells.size === 0) continue;
      const evals = [...cells.values()];
      let delta = '';
      if (reference !== null && m.name !== reference) {
        const ref = scoresOf(rows, reference, column, testSplit);
        const d = pairedDifferences(cells, ref);
        if (d.length > 0) {
          const ci = pairedBootstrap(d, { seed: 0, resamples: job.compare.bootstrapResamples });
          (differences[m.name] ??= {})[column] = ci;
          const mark = ci.low > 0 ? ' (better)' : ci.high < 0 ? ' (worse)' : '';
          delta = `${signed(ci.mean)} [${signed(ci.low)}, ${signed(ci.high)}]${mark}`;
        }
      } else if (m.name === reference) delta = 'reference';
      const label = column === OWN ? `${m.name} (${[...new Set(evals.map((e) => e.evalPolicy))].join(', ')})` : m.name;
      lines.push(
        `| ${label} | ${cells.size} | ${stat(evals.map((e) => e.avgAtK))} | ${ks.map((x) => stat(evals.map((e) => e.passAtK[x] ?? NaN))).join(' | ')} | ` +
          `${stat(evals.map((e) => e.majAtK))} | ${mean(evals.map((e) => e.meanTemperature)).toFixed(3)} | ${delta} |`,
      );
    }
    const title =
      column === OWN ? 'Each method under its own policy' : column.startsWith(`${OWN} `) ? `Own policy variant ${column.slice(OWN.length + 1)}` : `Every method decoded with ${column}`;
    sections.push(`## ${title}\n\n${lines.join('\n')}`);
  }

  const budget = [
    '| method | seeds | iterations | LLM optimiser steps | head steps | generated tokens | train seconds |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...methods
      .map((m) => rows.filter((r) => r.method === m.name))
      .flatMap((rs) => (rs[0] === undefined ? [] : [{ first: rs[0], rs }]))
      .map(({ first, rs }) => `| ${first.method}${first.initTemperature !== undefined ? ` (head from T ${first.initTemperature})` : ''} | ${rs.length} | ${mean(rs.map((r) => r.iterations)).toFixed(0)} | ${mean(rs.map((r) => r.llmSteps)).toFixed(0)} | ${mean(rs.map((r) => r.headSteps)).toFixed(0)} | ${mean(rs.map((r) => r.generatedTokens)).toFixed(0)} | ${mean(rs.map((r) => r.trainSeconds)).toFixed(0)} |`),
  ];
  const tuningText = [
    `Baselines tuned on the ${tuning.split} split (own-policy avg@${k}, mean over seeds): ` +
      Object.entries(tuning.scores).map(([n, s]) => `${n} ${s.toFixed(3)}`).join(', ') + '.',
    `Best baseline: **${tuning.bestBaseline ?? 'none'}**; best fixed temperature: **${tuning.bestFixedTemperature ?? 'none'}**` +
      (tuning.split === testSplit ? ` (the task has no validation split, so it was chosen on the ${testSplit} split it is reported on).` : '.'),
  ].join('\n');
  const markdown =
    `# Temperature policies compared on ${job.task.name}\n\n` +
    `Seeds ${job.compare.seeds.join(', ')}; budget held equal: ${job.compare.budget}; evaluated on ${job.eval.limit || 'all'} ${testSplit} problems with ` +
    `k = ${k} samples each, the same problems and token random numbers for every method of a seed (paired). Mean ± std over seeds; ` +
    `Δ is the paired difference to the best baseline with a bootstrap 95% interval over seeds and problems.\n\n` +
    `${tuningText}\n\n${sections.join('\n\n')}\n\n## Budget used\n\n${budget.join('\n')}\n\n` +
    `Made by \`${provenance.command}\` at commit ${provenance.commit}.\n`;
  writeFileSync(runFiles.resultsTable(runDir), markdown);
  writePlots(job, runDir, methods, rows, testSplit);
  return { markdown, differences };
}

function signed(x: number): string {
  return `${x >= 0 ? '+' : ''}${x.toFixed(3)}`;
}

/** Mean training reward per iteration per method, and test avg@k under each method's own policy. */
function writePlots(job: JobConfig, runDir: string, methods: readonly Method[], rows: readonly CellResult[], split: string): void {
  const curves = methods
    .map((m) => {
      const perSeed = job.compare.seeds
        .map((s) => readMetricsColumn(runFiles.metrics(runFiles.cell(runDir, m.name, s)), 'reward'))
        .filter((c) => c.length > 0);
      const length = Math.min(...perSeed.map((c) => c.length));
      const points: [number, number][] = Number.isFinite(length)
        ? Array.from({ length }, (_, i) => [i + 1, mean(perSeed.map((c) => at(c, i, 'reward column')))] as [number, number])
        : [];
      return { name: m.name, points };
    })
    .filter((c) => c.points.length > 0);
  if (curves.length > 0) {
    writeChart(join(runDir, 'reward-curves'), lineChart({ title: `Training reward (mean over seeds) on ${job.task.name}`, xLabel: 'iteration', yLabel: 'mean reward', series: curves }));
  }
  const bars = methods
    .map((m) => ({ name: m.name, evals: [...scoresOf(rows, m.name, OWN, split).values()] }))
    .filter((b) => b.evals.length > 0)
    .map((b) => {
      const xs = b.evals.map((e) => e.avgAtK);
      return { label: b.name, value: mean(xs), error: xs.length > 1 ? std(xs) : 0 };
    });
  if (bars.length > 0) {
    writeChart(join(runDir, 'final-accuracy'), barChart({ title: `Held-out avg@${job.eval.k}, own policy (mean ± std over seeds)`, yLabel: `avg@${job.eval.k}`, bars }));
  }
}
