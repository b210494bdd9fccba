/**
 * The results of `introspect compare baselines` (the orchestration is api/compare-baselines.ts):
 * the grid of method x evaluation policy x seed, the choice of the best baseline on the tuning
 * split, paired differences to it with bootstrap intervals, results.csv, results.md and the plots.
 */
import { writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import type { JobConfig } from '../config/index.js';
import { accuracySpec, bandCurvesSpec, differencesSpec } from '../report/charts.js';
import { writeVegaChart } from '../report/vega.js';
import { parsePolicySpec } from '../policy/index.js';
import { runFiles } from '../util/run-layout.js';
import { mean, std } from '../util/stats.js';
import { readMetricsColumn } from './metrics-file.js';
import { pairedBootstrap, pairedDifferences, type PairedDifference, type ProblemScores } from './paired.js';
import { at } from '../util/must.js';

/** One method of the comparison (the `compare.methods` entries). */
export type Method = JobConfig['compare']['methods'][number];

/** metrics.csv's mean-reward column (METRIC_NAMES.reward_mean in rl/metrics.ts, a layer above; the plot test reads it back). */
const REWARD_COLUMN = 'reward';

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
  const best = (names: string[]) =>
    names.reduce<string | null>((b, n) => (b === null || (scores[n] ?? -Infinity) > (scores[b] ?? -Infinity) ? n : b), null);
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
  /** results.csv, results.md and the plots' files */
  files: string[];
  /** paired differences to the best baseline, by method and column (test split) */
  differences: Record<string, Record<string, PairedDifference>>;
}

/** results.csv, results.md and the plots; returns the Markdown and the paired differences. */
export async function writeCompareResults(
  job: JobConfig,
  runDir: string,
  methods: readonly Method[],
  rows: readonly CellResult[],
  tuning: Tuning,
  provenance: { commit: string; command: string; cells?: { done: number; total: number }; remade?: { commit: string; command: string } },
): Promise<CompareTables> {
  const ks = job.compare.passK.filter((k) => k <= job.eval.k);
  const testSplit = job.eval.split;
  writeFileSync(
    runFiles.results(runDir),
    stringify(
      rows.flatMap((r) =>
        r.evaluations.map((e) => ({
          method: r.method,
          seed: r.seed,
          task: r.task,
          split: e.split,
          column: e.column,
          eval_policy: e.evalPolicy,
          avg_at_k: e.avgAtK,
          maj_at_k: e.majAtK,
          ...Object.fromEntries(ks.map((k) => [`pass_at_${k}`, e.passAtK[k] ?? NaN])),
          mean_temperature: e.meanTemperature,
          mean_length: e.meanLength,
          init_temperature: r.initTemperature ?? '',
          iterations: r.iterations,
          llm_steps: r.llmSteps,
          head_steps: r.headSteps,
          generated_tokens: r.generatedTokens,
          train_seconds: r.trainSeconds,
        })),
      ),
      { header: true },
    ),
  );

  const columns = [OWN, ...new Set(rows.flatMap((r) => r.evaluations.filter((e) => e.column !== OWN).map((e) => e.column)))];
  const reference = tuning.bestBaseline;
  const differences: CompareTables['differences'] = {};
  const stat = (xs: number[]) => `${mean(xs).toFixed(3)} ± ${(xs.length > 1 ? std(xs) : 0).toFixed(3)}`;
  const sections: string[] = [];
  for (const column of columns) {
    // Samples per problem in this column: eval.k, or 1 under greedy decoding (deterministic), where
    // pass@k for k > 1 does not exist and is shown as a dash rather than NaN.
    const k = Math.max(
      0,
      ...rows.flatMap((r) => r.evaluations.filter((e) => e.column === column && e.split === testSplit).map((e) => e.samples)),
    );
    const passStat = (xs: (number | undefined)[]) => (xs.every((x) => x === undefined) ? '—' : stat(xs.map((x) => x ?? NaN)));
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
        `| ${label} | ${cells.size} | ${stat(evals.map((e) => e.avgAtK))} | ${ks.map((x) => passStat(evals.map((e) => e.passAtK[x]))).join(' | ')} | ` +
          `${stat(evals.map((e) => e.majAtK))} | ${mean(evals.map((e) => e.meanTemperature)).toFixed(3)} | ${delta} |`,
      );
    }
    const title =
      column === OWN
        ? 'Each method under its own policy'
        : column.startsWith(`${OWN} `)
          ? `Own policy variant ${column.slice(OWN.length + 1)}`
          : `Every method decoded with ${column}`;
    sections.push(`## ${title}\n\n${lines.join('\n')}`);
  }

  const budget = [
    '| method | seeds | iterations | LLM optimiser steps | head steps | generated tokens | train seconds |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...methods
      .map((m) => rows.filter((r) => r.method === m.name))
      .flatMap((rs) => (rs[0] === undefined ? [] : [{ first: rs[0], rs }]))
      .map(
        ({ first, rs }) =>
          `| ${first.method}${first.initTemperature !== undefined ? ` (head from T ${first.initTemperature})` : ''} | ${rs.length} | ${mean(rs.map((r) => r.iterations)).toFixed(0)} | ${mean(rs.map((r) => r.llmSteps)).toFixed(0)} | ${mean(rs.map((r) => r.headSteps)).toFixed(0)} | ${mean(rs.map((r) => r.generatedTokens)).toFixed(0)} | ${mean(rs.map((r) => r.trainSeconds)).toFixed(0)} |`,
      ),
  ];
  const tuningText = [
    `Baselines tuned on the ${tuning.split} split (own-policy avg@${job.eval.k}, mean over seeds): ` +
      Object.entries(tuning.scores)
        .map(([n, s]) => `${n} ${s.toFixed(3)}`)
        .join(', ') +
      '.',
    `Best baseline: **${tuning.bestBaseline ?? 'none'}**; best fixed temperature: **${tuning.bestFixedTemperature ?? 'none'}**` +
      (tuning.split === testSplit
        ? ` (the task has no validation split, so it was chosen on the ${testSplit} split it is reported on).`
        : '.'),
  ].join('\n');
  const plots = await writePlots(job, runDir, methods, rows, columns, differences, reference);
  const cells = provenance.cells;
  const incomplete =
    cells !== undefined && cells.done < cells.total
      ? `**Incomplete: ${cells.done} of ${cells.total} cells finished**; the tables cover those only (the same command with the same --out continues).\n\n`
      : '';
  const markdown =
    `# Temperature policies compared on ${job.task.name}\n\n${incomplete}` +
    `Seeds ${job.compare.seeds.join(', ')}; budget held equal: ${job.compare.budget}; evaluated on ${job.eval.limit || 'all'} ${testSplit} problems with ` +
    `k = ${job.eval.k} samples each, the same problems and token random numbers for every method of a seed (paired). Mean ± std over seeds; ` +
    `Δ is the paired difference to the best baseline with a bootstrap 95% interval over seeds and problems.\n\n` +
    `${tuningText}\n\n${sections.join('\n\n')}\n\n## Budget used\n\n${budget.join('\n')}\n\n` +
    `Plots (each with its Vega-Lite spec, \`.vl.json\`): ${plots
      .filter((f) => f.endsWith('.png'))
      .map((f) => `[${basename(f)}](${basename(f)})`)
      .join(', ')}.\n\n` +
    `Made by \`${provenance.command}\` at commit ${provenance.commit}.\n` +
    (provenance.remade
      ? `Tables and plots re-made from its cells by \`${provenance.remade.command}\` at commit ${provenance.remade.commit}.\n`
      : '');
  writeFileSync(runFiles.resultsTable(runDir), markdown);
  return { markdown, differences, files: [runFiles.results(runDir), runFiles.resultsTable(runDir), ...plots] };
}

function signed(x: number): string {
  return `${x >= 0 ? '+' : ''}${x.toFixed(3)}`;
}

/**
 * The plots, Vega-Lite specs saved beside their SVG and PNG (report/vega.ts): accuracy per method
 * and evaluation policy over seeds, the paired differences to the reference with their intervals,
 * and the training reward curves (mean over seeds, ± 1 std band). Returns the files written.
 */
async function writePlots(
  job: JobConfig,
  runDir: string,
  methods: readonly Method[],
  rows: readonly CellResult[],
  columns: readonly string[],
  differences: CompareTables['differences'],
  reference: string | null,
): Promise<string[]> {
  const split = job.eval.split;
  const metric = `avg@${job.eval.k}`;
  const names = methods.map((m) => m.name).filter((n) => rows.some((r) => r.method === n));
  const files: string[] = [];
  const accuracy = rows.flatMap((r) =>
    r.evaluations.filter((e) => e.split === split).map((e) => ({ method: r.method, column: e.column, seed: r.seed, value: e.avgAtK })),
  );
  files.push(
    ...(await writeVegaChart(
      join(runDir, 'accuracy'),
      accuracySpec({
        title: `${job.task.name}: ${split} ${metric} per seed, mean ± std over seeds`,
        metric,
        methods: names,
        columns: [...columns],
        rows: accuracy,
      }),
    )),
  );
  const deltas = Object.entries(differences).flatMap(([method, byColumn]) =>
    Object.entries(byColumn)
      .filter(([, d]) => Number.isFinite(d.mean))
      .map(([column, d]) => ({ method, column, mean: d.mean, low: d.low, high: d.high })),
  );
  if (deltas.length > 0) {
    files.push(
      ...(await writeVegaChart(
        join(runDir, 'differences'),
        differencesSpec({
          title: `Paired Δ ${metric} vs ${reference} with bootstrap 95% intervals`,
          metric: `Δ ${metric}`,
          methods: names,
          columns: [...columns],
          rows: deltas,
        }),
      )),
    );
  }
  const curves = names.flatMap((name) => {
    const perSeed = job.compare.seeds
      .map((s) => readMetricsColumn(runFiles.metrics(runFiles.cell(runDir, name, s)), REWARD_COLUMN))
      .filter((c) => c.length > 0);
    const length = perSeed.length > 0 ? Math.min(...perSeed.map((c) => c.length)) : 0;
    return Array.from({ length }, (_, i) => {
      const xs = perSeed.map((c) => at(c, i, 'reward column'));
      const sd = xs.length > 1 ? std(xs) : 0;
      return { method: name, iteration: i + 1, mean: mean(xs), low: mean(xs) - sd, high: mean(xs) + sd };
    });
  });
  if (curves.length > 0) {
    const longest = Math.max(...curves.map((c) => c.iteration));
    files.push(
      ...(await writeVegaChart(
        join(runDir, 'reward-curves'),
        bandCurvesSpec({
          title: `Training reward on ${job.task.name}: mean over seeds (rolling mean), band ± 1 std`,
          yLabel: 'mean reward',
          methods: names,
          rows: curves,
          window: Math.max(1, Math.round(longest / 20)),
        }),
      )),
    );
  }
  return files;
}
