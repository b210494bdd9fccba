/**
 * `introspect analyze <run-dir>`: what a temperature policy did in a run's sampled answers, as the paper
 * reports it for the learned head: temperature against the LLM's entropy (with Pearson and Spearman
 * correlations), temperature along the answer, and solutions with each token coloured by its temperature.
 */
import { createReadStream, existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { binnedScatterSpec, trainingCurvesSpec } from '../report/charts.js';
import { binnedStats, formatCorrelation, samplePoints } from '../report/stats.js';
import { writeVegaChart } from '../report/vega.js';
import { readCsv } from '../util/csv-log.js';
import {
  type AnalysisOptions,
  type AnalyzedSample,
  type TemperatureAnalysis,
  analysisMarkdown,
  analyzeTemperatures,
  pickSolutions,
  positionBinning,
  tokenColumns,
} from '../report/temperature-analysis.js';
import { temperatureRange } from '../report/color-scale.js';
import { type TokenSolution, renderTokensHtml, renderTokensSvg } from '../report/token-render.js';
import { UserError } from '../util/errors.js';
import type { RunContext } from '../util/run-context.js';
import { checkpointFiles, iterationOf, runFiles } from '../util/run-layout.js';
import { at } from '../util/must.js';
import { loadJobFile } from '../config/index.js';
import { loadJobProblems } from '../eval/problems.js';
import type { Method } from '../eval/compare-results.js';
import { policyLabel } from '../policy/index.js';
import { latestCheckpoint } from '../rl/checkpoint.js';
import { jobModelOptions, openPolicyModel } from '../rollout/runtime.js';
import { getTask } from '../tasks/index.js';
import { cellJobOf, evaluateCell } from './compare-baselines.js';

/**
 * The samples file of a run directory:
 * 1. `<runDir>/samples.jsonl`, written by `introspect eval`;
 * 2. otherwise the trainer's latest periodic evaluation, `<runDir>/eval/iter-<n>/samples.jsonl` with the
 *    largest n (by number, so iter-100 is newer than iter-99).
 * Throws a one-line {@link UserError} when the directory or any samples file is missing (a
 * comparison cell has none: {@link analyzeRun} regenerates them).
 */
export function findSamplesFile(runDir: string): string {
  const found = samplesFileIn(runDir);
  if (found !== undefined) return found;
  throw new UserError(
    `no samples in ${resolve(runDir)}: expected samples.jsonl (an eval run) or eval/iter-*/samples.jsonl (a training run's evaluations)`,
  );
}

/** {@link findSamplesFile}'s file, or undefined when the folder holds none. */
function samplesFileIn(runDir: string): string | undefined {
  const dir = resolve(runDir);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UserError(`run directory not found: ${dir}`);
  const evalRun = runFiles.samples(dir);
  if (existsSync(evalRun)) return evalRun;
  const evalDir = runFiles.evalDir(dir);
  const iterations = existsSync(evalDir)
    ? readdirSync(evalDir)
        .map((name) => ({ file: runFiles.samples(join(evalDir, name)), iteration: iterationOf(name) }))
        .filter((e) => e.iteration !== undefined && existsSync(e.file))
        .sort((a, b) => (b.iteration ?? 0) - (a.iteration ?? 0))
    : [];
  return iterations[0]?.file;
}

const sampleSchema = z.object({
  task: z.string(),
  problemId: z.string(),
  sample: z.number().int(),
  policy: z.string(),
  answer: z.string(),
  extracted: z.string().nullable(),
  correct: z.boolean(),
  reward: z.number(),
  tokens: z.array(z.string()),
  temperatures: z.array(z.number()),
  entropies: z.array(z.number()),
});

/**
 * Reads a samples.jsonl line by line (eval files can hold millions of tokens), keeping only the fields the
 * analysis needs. A malformed line is a one-line {@link UserError} naming the file and line.
 */
export async function readSamples(path: string): Promise<AnalyzedSample[]> {
  const samples: AnalyzedSample[] = [];
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  let lineNumber = 0;
  for await (const line of lines) {
    lineNumber++;
    if (line.trim() === '') continue;
    const where = `${path}:${lineNumber}`;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (error) {
      throw new UserError(`${where}: not JSON (${(error as Error).message})`);
    }
    const parsed = sampleSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new UserError(`${where}: ${issue?.path.join('.') || 'record'}: ${issue?.message ?? 'invalid'}`);
    }
    const s = parsed.data;
    if (s.temperatures.length !== s.tokens.length || s.entropies.length !== s.tokens.length) {
      throw new UserError(
        `${where}: tokens, temperatures and entropies differ in length (${s.tokens.length}, ${s.temperatures.length}, ${s.entropies.length})`,
      );
    }
    samples.push(s);
  }
  if (samples.length === 0) throw new UserError(`no samples in ${path}: the file is empty`);
  return samples;
}

export interface AnalyzeOptions extends AnalysisOptions {
  /** How many correct and incorrect solutions to render token by token (default 3 each). */
  solutions?: { correct: number; incorrect: number };
}

export interface AnalyzeResult {
  /** Every file written, absolute paths. */
  files: string[];
  /** The samples file analysed. */
  source: string;
  analysis: TemperatureAnalysis;
}

/** Points drawn per scatter (a seeded sample beyond that; the binned means use every token). */
const MAX_POINTS = 4000;

/**
 * A training run's curves (training-curves.{vl.json,svg,png}): reward, held-out accuracy, mean
 * temperature and the head's entropy against the iteration. Nothing for runs without metrics.csv.
 */
export async function writeTrainingCurves(runDir: string, outDir: string): Promise<string[]> {
  const metricsPath = runFiles.metrics(runDir);
  if (!existsSync(metricsPath)) return [];
  const metrics = readCsv(metricsPath);
  const evalPath = runFiles.evalCsv(runDir);
  const evals = existsSync(evalPath) ? readCsv(evalPath) : [];
  const column = (rows: Record<string, string>[], name: string) =>
    rows.filter((r) => r[name] !== undefined && r[name] !== '').map((r) => ({ iteration: Number(r.iteration), value: Number(r[name]) }));
  const spec = trainingCurvesSpec(`Training curves: ${runDir}`, [
    { name: 'reward', rows: column(metrics, 'reward') },
    { name: 'held-out avg@k', rows: column(evals, 'avg_at_k'), window: 0 },
    { name: 'mean temperature', rows: column(metrics, 'temperature_mean') },
    { name: 'head entropy', rows: column(metrics, 'head/entropy') },
  ]);
  return writeVegaChart(join(outDir, 'training-curves'), spec);
}

/** What cell.json says about a comparison cell. */
interface CellInfo {
  method: Method;
  seed: number;
  initTemperature?: number;
}

/**
 * A comparison cell (`<compare-out>/cells/<method>/seed-<s>/`) keeps no samples: the comparison
 * streams its evaluations into counts. Its own-policy evaluation on the test split is regenerated
 * from the cell's final checkpoint exactly as the comparison scored it (same problems, k, seed and
 * paired random streams; src/api/compare-baselines.ts, evaluateCell) into `<outDir>/samples.jsonl`.
 * Undefined for a folder that is not a finished cell.
 */
export async function regenerateCellSamples(cellDir: string, outDir: string, ctx: RunContext): Promise<string | undefined> {
  const infoFile = runFiles.cellInfo(cellDir);
  const jobFile = runFiles.config(runFiles.cellComparison(cellDir));
  const checkpoint = latestCheckpoint(cellDir);
  if (!existsSync(infoFile) || !existsSync(jobFile) || checkpoint === undefined) return undefined;
  const info = JSON.parse(readFileSync(infoFile, 'utf8')) as CellInfo;
  const { config: job } = loadJobFile(jobFile);
  const cellJob = cellJobOf(job, info.method, info.seed, cellDir, info.initTemperature);
  const task = getTask(job.task.name);
  const problems = await loadJobProblems(job, job.task.name, job.eval.split, job.eval.limit || undefined);
  const spec = info.method.evalPolicies?.[0] ?? info.method.policy;
  ctx.logger.info(
    { cell: cellDir, policy: policyLabel(spec), problems: problems.length, k: job.eval.k },
    'a comparison cell: evaluating its final checkpoint under its own policy for the samples',
  );
  const model = await openPolicyModel({ modelDir: checkpointFiles.model(checkpoint), ...jobModelOptions(job.model) });
  try {
    const { evaluation } = await evaluateCell({
      cellJob,
      checkpoint,
      model,
      task,
      spec,
      split: job.eval.split,
      problems,
      keepSamples: true,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
    const file = runFiles.samples(outDir);
    writeFileSync(file, evaluation.samples.map((r) => JSON.stringify(r)).join('\n') + '\n');
    return file;
  } finally {
    await model.dispose();
  }
}

/**
 * Analyses the samples of `runDir` (see {@link findSamplesFile}; for a comparison cell, its
 * regenerated own-policy evaluation, {@link regenerateCellSamples}) and writes plots, renderings
 * and tables to `ctx.runDir`.
 */
export async function analyzeRun(runDir: string, ctx: RunContext, options: AnalyzeOptions = {}): Promise<AnalyzeResult> {
  const source = samplesFileIn(runDir) ?? (await regenerateCellSamples(resolve(runDir), ctx.runDir, ctx)) ?? findSamplesFile(runDir);
  ctx.logger.info({ source }, 'reading samples');
  const samples = await readSamples(source);
  const analysis = analyzeTemperatures(samples, options);
  const out = (name: string) => join(ctx.runDir, name);
  const files: string[] = [];
  const columns = tokenColumns(samples);
  const c = analysis.correlation;

  const correlationTitle = c.undefinedBecause
    ? `correlation undefined (${c.undefinedBecause})`
    : `Pearson r = ${formatCorrelation(c.pearson, c, 2)}, Spearman ρ = ${formatCorrelation(c.spearman, c, 2)}`;
  const entropyPoints = columns.entropies.map((h, i): [number, number] => [h, at(columns.temperatures, i, 'temperature column')]);
  files.push(
    ...(await writeVegaChart(
      out('temperature-vs-entropy'),
      binnedScatterSpec({
        title: `Temperature vs entropy: ${correlationTitle} (equal-count entropy bins)`,
        xLabel: 'entropy of the next-token distribution (nats)',
        yLabel: 'temperature',
        points: samplePoints(entropyPoints, MAX_POINTS),
        bins: analysis.byEntropy.map((b) => ({
          lo: b.lo,
          hi: b.hi,
          count: b.count,
          meanX: b.meanX,
          meanY: b.meanTemperature,
          stdY: b.stdTemperature,
        })),
      }),
    )),
  );
  const position = positionBinning(columns, options.positionBins);
  const positionPoints = columns.positions.map((p, i): [number, number] => [p, at(columns.temperatures, i, 'temperature column')]);
  files.push(
    ...(await writeVegaChart(
      out('temperature-by-position'),
      binnedScatterSpec({
        title: 'Temperature by token position in the answer',
        xLabel: 'token position in the answer',
        yLabel: 'temperature',
        points: samplePoints(positionPoints, MAX_POINTS),
        bins: binnedStats(columns.positions, columns.temperatures, position.bins, position.range),
      }),
    )),
  );
  files.push(...(await writeTrainingCurves(runDir, ctx.runDir)));

  const chosen = pickSolutions(samples, options.solutions ?? { correct: 3, incorrect: 3 });
  const solutions: TokenSolution[] = chosen.map((s) => ({
    heading: `${s.task} ${s.problemId} · sample ${s.sample} · ${s.policy} · ${s.correct ? 'correct' : 'incorrect'} (gold ${s.answer}, extracted ${s.extracted ?? 'none'})`,
    tokens: s.tokens,
    temperatures: s.temperatures,
    entropies: s.entropies,
  }));
  // one colour scale for all renderings: the extent over every token of the run, not just the ones shown
  const render = { title: 'Sampled solutions coloured by temperature', range: temperatureRange(columns.temperatures) };
  writeFileSync(out('solutions.html'), renderTokensHtml(solutions, render));
  writeFileSync(out('solutions.svg'), renderTokensSvg(solutions, render));
  files.push(out('solutions.html'), out('solutions.svg'));

  // JSON has no NaN: undefined numbers become null, and correlationText says why in words
  const correlationText = { pearson: formatCorrelation(c.pearson, c), spearman: formatCorrelation(c.spearman, c) };
  const json = JSON.stringify(
    { source, ...analysis, correlationText },
    (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v),
    2,
  );
  writeFileSync(out('analysis.json'), `${json}\n`);
  writeFileSync(out('analysis.md'), analysisMarkdown(analysis, source));
  files.push(out('analysis.json'), out('analysis.md'));
  ctx.logger.info(
    { tokens: analysis.counts.tokens, pearson: analysis.correlation.pearson, spearman: analysis.correlation.spearman },
    'analysis written',
  );
  return { files, source, analysis };
}
