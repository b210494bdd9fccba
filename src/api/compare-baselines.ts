/**
 * `introspect compare baselines`: the method's claim as an experiment, with a protocol that can
 * answer it (statistics and tables in eval/compare-results.ts and eval/paired.ts):
 * 1. Baselines first: every fixed temperature of the grid and each heuristic trains with the same
 *    budget (rl/budget.ts) on every seed and is evaluated on the validation split under its own
 *    policy; the best baseline, and the best fixed temperature, are chosen there.
 * 2. Then the learned methods, whose head may start from the best fixed temperature.
 * 3. Every trained model is evaluated on the test split under its own policies and under the
 *    common decoding policies (compare.evalPolicies), all methods of a seed with the same
 *    evaluation seed: the same problems and token random numbers (paired). Paired differences to
 *    the best baseline get a bootstrap interval over seeds and problems.
 *
 * Each (method, seed) cell trains in its own folder, cells/<method>/seed-<s>/, and is done when its
 * result.json exists: a cut-short comparison resumes where it stopped, never retraining a finished
 * cell; on Ctrl-C the tables are written from the finished cells (never empty ones). Each cell is
 * logged as "cell k/N" with the ETA of the whole comparison (api/compare-progress.ts).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertTrainJob, samplingOf, type JobConfig, type PolicySpec } from '../config/index.js';
import { train } from '../rl/trainer.js';
import { latestCheckpoint, listCheckpoints } from '../rl/checkpoint.js';
import { fullBatchLlmSteps, matchedIterations, tokenUpdateIterations } from '../rl/budget.js';
import { METRIC_NAMES } from '../rl/metrics.js';
import { createPolicy, parsePolicySpec, policyKindOf, policyLabel } from '../policy/index.js';
import { headSessionOptions, TemperatureHead } from '../policy/head/index.js';
import { jobModelOptions, openPolicyModel, type PolicyModel } from '../rollout/runtime.js';
import { getTask, type Problem, type Split, type TaskDefinition } from '../tasks/index.js';
import {
  chooseBaselines,
  OWN,
  writeCompareResults,
  type CellEvaluation,
  type CellResult,
  type Method,
  type Tuning,
} from '../eval/compare-results.js';
import { evaluatePolicy, type EvaluatePolicyResult } from '../eval/evaluate.js';
import { readMetricsColumn } from '../eval/metrics-file.js';
import { passAtKs } from '../eval/paired.js';
import { loadJobProblems } from '../eval/problems.js';
import { evaluationSettings } from '../eval/settings.js';
import type { RunContext } from '../util/run-context.js';
import { UserError } from '../util/errors.js';
import { CompareProgress, type CellCost, type PlannedCell, type ProgressRecord } from './compare-progress.js';
import { checkpointFiles, runFiles } from '../util/run-layout.js';
import { at } from '../util/must.js';
import { codeRevision, revisionLabel } from '../util/provenance.js';

export type { CellResult, Method };

/** Bumped when a cell's result.json changes shape: older cells are retrained, not misread. */
const CELL_FORMAT = 3;

/**
 * The built-in comparison: the fixed-temperature grid, EDT, and the learned head with coordinate
 * ascent started from the best fixed temperature (chosen on validation) and from 1.0.
 */
export function defaultMethods(job: Pick<JobConfig, 'compare'>): Method[] {
  const learnedEval: PolicySpec[] = ['learned', { name: 'learned', greedy: true }];
  return [
    ...job.compare.fixedTemperatures.map((t): Method => {
      const text = Number.isInteger(t) ? t.toFixed(1) : String(t); // fixed-1.0, not fixed-1
      return { name: `fixed-${text}`, policy: `fixed:${text}`, schedule: 'token-only' };
    }),
    { name: 'edt', policy: 'edt', schedule: 'token-only' },
    {
      name: 'learned-from-best',
      policy: 'learned',
      schedule: 'coordinate-ascent',
      evalPolicies: learnedEval,
      initTemperature: 'best-fixed',
    },
    { name: 'learned-from-1.0', policy: 'learned', schedule: 'coordinate-ascent', evalPolicies: learnedEval, initTemperature: 1.0 },
  ];
}

export interface CompareResult {
  runDir: string;
  table: string;
  rows: CellResult[];
  tuning: Tuning;
  /** cells finished (reused or trained here) and all cells of the comparison */
  cells: { done: number; total: number };
  /** stopped by the signal before every cell finished: the tables, if any, cover the finished cells */
  interrupted: boolean;
  /** the tables, the plots and tuning.json (none when no cell has finished) */
  files: string[];
}

/** The test split's and the tuning split's problems, loaded once for every cell. */
interface CompareProblems {
  test: Problem[];
  tune: Problem[];
}

/** The comparison's methods, baselines (stage 1) apart from learned ones (stage 2), and the split baselines are tuned on. */
function comparePlan(job: JobConfig) {
  const methods = job.compare.methods.length > 0 ? job.compare.methods : defaultMethods(job);
  const isLearned = (m: Method) => policyKindOf(m.policy) === 'head';
  const tuneSplit: Split = job.compare.validation && getTask(job.task.name).splits.includes('validation') ? 'validation' : job.eval.split;
  // The order cells run in: baselines first (the learned head may start from the best of them).
  const stage = (ms: Method[]) => job.compare.seeds.flatMap((seed) => ms.map((method) => ({ method, seed })));
  return { methods, baselines: methods.filter((m) => !isLearned(m)), learned: methods.filter(isLearned), tuneSplit, stage };
}

/**
 * Re-makes results.csv, results.md and the plots from the finished cells in `ctx.runDir`, training
 * nothing: for a comparison made by an older version, whose cells a newer job's fingerprint would
 * retrain. Cells are read as they are (this result format, whatever job made them); results.md
 * keeps the provenance of the run that made them and says what re-made the tables.
 */
export async function compareReport(job: JobConfig, ctx: RunContext): Promise<CompareResult> {
  const { methods, baselines, learned, tuneSplit, stage } = comparePlan(job);
  const read = ({ method, seed }: { method: Method; seed: number }) => {
    const saved = readCellResult(runFiles.cell(ctx.runDir, method.name, seed));
    return saved?.format === CELL_FORMAT ? [saved] : [];
  };
  const rows = [...stage(baselines).flatMap(read), ...stage(learned).flatMap(read)];
  const tuning = chooseBaselines(rows, baselines, tuneSplit);
  const cells = { done: rows.length, total: stage(methods).length };
  if (rows.length === 0) throw new UserError(`${join(ctx.runDir, 'cells')}: no finished cell to tabulate`);
  const file = join(ctx.runDir, 'provenance.json');
  const made = existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as { commit: string; command: string })
    : { commit: 'unknown', command: 'unknown' };
  const remade = { commit: revisionLabel(codeRevision()), command: commandLine() };
  const { markdown, files } = await writeCompareResults(job, ctx.runDir, methods, rows, tuning, {
    commit: made.commit,
    command: made.command,
    cells,
    remade,
  });
  ctx.logger.info({ cells: cells.done, of: cells.total }, 'tables and plots re-made from the finished cells');
  return { runDir: ctx.runDir, table: markdown, rows, tuning, cells, interrupted: false, files };
}

export async function compareBaselines(job: JobConfig, ctx: RunContext): Promise<CompareResult> {
  const { methods, baselines, learned, tuneSplit, stage } = comparePlan(job);
  // Every cell's training settings are checked before the first cell trains.
  for (const method of methods) assertTrainJob(cellJobOf(job, method, job.compare.seeds[0] ?? 0, ctx.runDir, undefined));
  const problems: CompareProblems = {
    test: await loadJobProblems(job, job.task.name, job.eval.split, job.eval.limit || undefined),
    tune: await loadJobProblems(job, job.task.name, tuneSplit, job.eval.limit || undefined),
  };
  const provenance = { commit: revisionLabel(codeRevision()), command: commandLine() };
  writeFileSync(
    join(ctx.runDir, 'provenance.json'),
    JSON.stringify({ ...provenance, started: new Date().toISOString(), node: process.version }, null, 2) + '\n',
  );

  const progress = new CompareProgress(
    [...stage(baselines), ...stage(learned)].map(({ method, seed }) => planCell(job, ctx.runDir, method, seed, tuneSplit, problems)),
  );
  ctx.logger.info({ cells: progress.total, done: progress.done }, `${progress.total} cells, ${progress.done} finished before`);

  const rows: CellResult[] = [];
  // Stage 1: baselines. After a stop request only finished cells are read back.
  for (const { method, seed } of stage(baselines)) {
    const row = await runCell(job, ctx, method, seed, undefined, tuneSplit, problems, progress);
    if (row) rows.push(row);
  }
  const tuning = chooseBaselines(rows, baselines, tuneSplit);
  // The learned methods start from what the baselines chose: only once every baseline has finished.
  const tuned = rows.length === stage(baselines).length;
  if (tuned) {
    writeFileSync(join(ctx.runDir, 'tuning.json'), JSON.stringify(tuning, null, 2) + '\n');
    ctx.logger.info({ best: tuning.bestBaseline, bestFixedTemperature: tuning.bestFixedTemperature, split: tuneSplit }, 'baselines tuned');
    // Stage 2: learned methods.
    for (const { method, seed } of stage(learned)) {
      const init = method.initTemperature === 'best-fixed' ? (tuning.bestFixedTemperature ?? undefined) : method.initTemperature;
      if (method.initTemperature === 'best-fixed' && init === undefined) {
        ctx.logger.warn({ method: method.name }, 'no fixed baseline finished: the head starts from head.initTemperature');
      }
      const row = await runCell(job, ctx, method, seed, init, tuneSplit, problems, progress);
      if (row) rows.push(row);
    }
  }
  const cells = { done: rows.length, total: progress.total };
  const interrupted = cells.done < cells.total;
  if (rows.length === 0) {
    ctx.logger.warn('no cell has finished yet: no tables written');
    return { runDir: ctx.runDir, table: '', rows, tuning, cells, interrupted, files: [] };
  }
  const { markdown, files } = await writeCompareResults(job, ctx.runDir, methods, rows, tuning, { ...provenance, cells });
  if (interrupted) {
    // The tables cover the finished cells only; the same --out continues with the rest.
    ctx.logger.warn(
      { cells: join(ctx.runDir, 'cells'), done: cells.done, total: cells.total },
      `stopped: the tables cover the ${cells.done} of ${cells.total} cells that finished`,
    );
  }
  return {
    runDir: ctx.runDir,
    table: markdown,
    rows,
    tuning,
    cells,
    interrupted,
    files: [...files, ...(tuned ? [join(ctx.runDir, 'tuning.json')] : [])],
  };
}

/** A cell's result.json, when it holds a result of this format made with exactly this job. */
function finishedCell(cellDir: string, fingerprint: string): CellResult | undefined {
  const saved = readCellResult(cellDir);
  return saved?.format === CELL_FORMAT && saved.fingerprint === fingerprint ? saved : undefined;
}

function readCellResult(cellDir: string): (CellResult & { format?: number }) | undefined {
  const file = runFiles.cellResult(cellDir);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as CellResult & { format?: number }) : undefined;
}

/**
 * A cell as the progress plans it, before anything runs: done when its result.json matches its job,
 * else what is left of it. A learned cell's head temperature comes from the baselines, which have
 * not run yet: the one its saved result used is the guess (right whenever the baselines are reused).
 */
function planCell(job: JobConfig, runDir: string, method: Method, seed: number, tuneSplit: Split, problems: CompareProblems): PlannedCell {
  const cellDir = runFiles.cell(runDir, method.name, seed);
  const init = method.initTemperature === 'best-fixed' ? readCellResult(cellDir)?.initTemperature : method.initTemperature;
  const done = finishedCell(cellDir, cellFingerprint(cellJobOf(job, method, seed, cellDir, init))) !== undefined;
  return { method: method.name, seed, done, ...cellCost(job, method, cellDir, tuneSplit, problems) };
}

/** What is left of a cell: its iterations past its latest checkpoint, and its evaluation samples. */
function cellCost(job: JobConfig, method: Method, cellDir: string, tuneSplit: Split, problems: CompareProblems): CellCost {
  // Under the tokens budget, cellJob.train.iterations is only a cap; matchedIterations is the expected length.
  const budget = matchedIterations(job.compare.budget, method.schedule, job.train.schedule.phases, job.train.iterations);
  const evalSamples = evaluationPlan(job, method, tuneSplit, problems).reduce((n, item) => n + item.problems.length * item.samples, 0);
  return { iterations: Math.max(0, budget - checkpointedIterations(cellDir)), evalSamples };
}

/** Iterations a cell's latest checkpoint holds (0 for a new cell): a resumed cell trains only the rest. */
function checkpointedIterations(cellDir: string): number {
  return existsSync(cellDir) ? (listCheckpoints(cellDir).at(-1)?.iteration ?? 0) : 0;
}

/**
 * What a trained cell is evaluated under: the method's own policies on the test split (the first is
 * its `own` column; further ones, such as the head's argmax, get columns of their own), every common
 * decoding policy that is not one of them, and the own policy on the tuning split (how baselines are
 * chosen). Greedy decoding is deterministic: one sample per problem says everything (no pass@k > 1).
 */
/** Samples per problem for one evaluation: greedy decoding is deterministic, so one says everything (no pass@k > 1). */
function cellSamples(spec: PolicySpec, k: number): number {
  return parsePolicySpec(spec).name === 'greedy' ? 1 : k;
}

function evaluationPlan(job: JobConfig, method: Method, tuneSplit: Split, problems: CompareProblems) {
  const own = method.evalPolicies ?? [method.policy];
  const ownLabels = new Set(own.map(policyLabel));
  const item = (spec: PolicySpec, column: string, split: Split) => ({
    spec,
    column,
    split,
    problems: split === job.eval.split ? problems.test : problems.tune,
    samples: cellSamples(spec, job.eval.k),
  });
  return [
    ...own.map((spec, i) => item(spec, i === 0 ? OWN : `${OWN} ${policyLabel(spec)}`, job.eval.split)),
    ...job.compare.evalPolicies
      .filter((spec) => !ownLabels.has(policyLabel(spec)))
      .map((spec) => item(spec, policyLabel(spec), job.eval.split)),
    ...(tuneSplit !== job.eval.split ? [item(at(own, 0, 'own policies'), OWN, tuneSplit)] : []),
  ];
}

async function runCell(
  job: JobConfig,
  ctx: RunContext,
  method: Method,
  seed: number,
  initTemperature: number | undefined,
  tuneSplit: Split,
  problems: CompareProblems,
  progress: CompareProgress,
): Promise<CellResult | null> {
  const cellDir = runFiles.cell(ctx.runDir, method.name, seed);
  const cellJob = cellJobOf(job, method, seed, cellDir, initTemperature);
  const fingerprint = cellFingerprint(cellJob);
  const say = (r: ProgressRecord) => ctx.logger.info(r.fields, r.message);
  const saved = readCellResult(cellDir);
  if (saved !== undefined) {
    if (finishedCell(cellDir, fingerprint) !== undefined) {
      say(progress.reused(method.name, seed));
      return saved;
    }
    if (ctx.signal?.aborted) return null;
    ctx.logger.warn(
      { method: method.name, seed, was: saved.initTemperature, now: initTemperature },
      'cell made with other settings (job, evaluation or head temperature): retraining it',
    );
    rmSync(cellDir, { recursive: true, force: true });
  }
  if (ctx.signal?.aborted) return null;
  const cost = cellCost(job, method, cellDir, tuneSplit, problems);
  mkdirSync(cellDir, { recursive: true });
  writeFileSync(
    runFiles.cellInfo(cellDir),
    JSON.stringify({ method, seed, initTemperature, iterations: cellJob.train.iterations, budget: job.compare.budget }, null, 2) + '\n',
  );
  const started = performance.now();
  const record = progress.started(method.name, seed, cost);
  ctx.logger.info({ ...record.fields, iterations: cellJob.train.iterations, initTemperature }, record.message);
  const resuming = latestCheckpoint(cellDir) !== undefined;
  const trainedBefore = checkpointedIterations(cellDir);
  const child = ctx.logger.child({ method: method.name, seed });
  const progressLabel = `cell ${record.fields.cell}/${record.fields.cells} ${method.name} seed ${seed} · train`;
  const summary = await train(cellJob, { logger: child, runDir: cellDir, signal: ctx.signal }, { resume: resuming, progressLabel });
  const trainSeconds = (performance.now() - started) / 1000;
  if (!summary.finished) return null; // interrupted: the cell stays open

  const evalStarted = performance.now();
  const checkpoint = latestCheckpoint(cellDir)!;
  const model = await openPolicyModel({ modelDir: checkpointFiles.model(checkpoint), ...jobModelOptions(job.model), ...samplingOf(job) });
  const task = getTask(job.task.name);
  const plan = evaluationPlan(job, method, tuneSplit, problems);
  const ownLabels = new Set((method.evalPolicies ?? [method.policy]).map(policyLabel));
  const evaluations: CellEvaluation[] = [];
  try {
    for (const item of plan) {
      if (ctx.signal?.aborted) return null;
      const { evaluation, k } = await evaluateCell({
        cellJob,
        checkpoint,
        model,
        task,
        spec: item.spec,
        split: item.split,
        problems: item.problems,
        keepSamples: false,
        signal: ctx.signal,
      });
      if (!evaluation.completed) return null;
      const s = evaluation.summary;
      const scores = { samples: k, correct: evaluation.perProblemCorrect };
      evaluations.push({
        evalPolicy: policyLabel(item.spec),
        column: item.column,
        split: item.split,
        ...scores,
        avgAtK: s.avgAtK,
        majAtK: s.majAtK,
        passAtK: passAtKs(scores, job.compare.passK),
        meanTemperature: s.meanTemperature,
        meanLength: s.meanLength,
      });
    }
    // A common-decoding policy that is also the method's own (fixed-1.0 under fixed:1.0) is the same evaluation.
    for (const spec of job.compare.evalPolicies.filter((c) => ownLabels.has(policyLabel(c)))) {
      const same = evaluations.find((e) => e.column === OWN && e.split === job.eval.split && e.evalPolicy === policyLabel(spec))!;
      evaluations.push({ ...same, column: policyLabel(spec) });
    }
  } finally {
    await model.dispose();
  }
  const metrics = runFiles.metrics(cellDir);
  const sum = (column: string) => readMetricsColumn(metrics, column).reduce((a, b) => a + b, 0);
  const result: CellResult & { format: number } = {
    format: CELL_FORMAT,
    fingerprint,
    method: method.name,
    seed,
    task: job.task.name,
    ...(initTemperature !== undefined ? { initTemperature } : {}),
    iterations: summary.iterations,
    llmSteps: sum(METRIC_NAMES.token_steps),
    headSteps: sum(METRIC_NAMES.head_steps),
    generatedTokens: summary.generatedTokens,
    trainSeconds,
    evaluations,
  };
  writeFileSync(runFiles.cellResult(cellDir), JSON.stringify(result) + '\n');
  say(
    progress.finished(method.name, seed, {
      ...cost,
      iterations: summary.iterations - trainedBefore,
      trainSeconds,
      evalSeconds: (performance.now() - evalStarted) / 1000,
    }),
  );
  return result;
}

export interface CellEvaluationRequest {
  /** the cell's job ({@link cellJobOf}): its seed, prompts, stop strings, verifier options and eval.k */
  cellJob: JobConfig;
  /** the cell's final checkpoint folder */
  checkpoint: string;
  /** its model, opened */
  model: PolicyModel;
  task: TaskDefinition;
  spec: PolicySpec;
  split: Split;
  problems: readonly Problem[];
  keepSamples: boolean;
  signal?: AbortSignal;
}

/**
 * A trained cell's final checkpoint evaluated under one policy, as the comparison scores it: the
 * cell's trained head for a learned policy, k = eval.k (1 for greedy), and the seed's paired
 * random streams. `introspect analyze` on a cell folder runs the same evaluation to get its samples.
 */
export async function evaluateCell(request: CellEvaluationRequest): Promise<{ evaluation: EvaluatePolicyResult; k: number }> {
  const { cellJob, checkpoint, spec, split } = request;
  // A learned policy owns its head: the cell's trained head, with that head's own grid.
  const head =
    policyKindOf(spec) === 'head' ? TemperatureHead.load(checkpointFiles.head(checkpoint), headSessionOptions(cellJob)) : undefined;
  try {
    const policy = createPolicy(spec, { head: head?.config });
    const k = cellSamples(spec, cellJob.eval.k);
    const evaluation = await evaluatePolicy({
      model: request.model,
      policy,
      head,
      policyLabel: policyLabel(spec),
      task: request.task,
      problems: request.problems,
      k,
      // The cell is evaluated as it trained: the same prompts, stop strings and verifier options.
      ...evaluationSettings(cellJob),
      // Paired: every method of a seed draws the same token random numbers; the split keys the stream.
      seed: cellJob.run.seed,
      streamKey: split === 'validation' ? [1] : [],
      keepSamples: request.keepSamples,
      // schedules are evaluated at their final temperature
      trainingStep: cellJob.train.iterations,
      totalTrainingSteps: cellJob.train.iterations,
      ...(request.signal ? { signal: request.signal } : {}),
    });
    return { evaluation, k };
  } finally {
    await head?.dispose();
  }
}

/**
 * The job a cell trains with: the comparison's job with the cell's seed, folder, policy, schedule,
 * the head's starting temperature, and the budget of compare.budget (rl/budget.ts).
 */
export function cellJobOf(job: JobConfig, method: Method, seed: number, cellDir: string, initTemperature: number | undefined): JobConfig {
  const iterations = matchedIterations(job.compare.budget, method.schedule, job.train.schedule.phases, job.train.iterations);
  // llm-steps-exact: the steps token-only takes with full batches, for every method that updates the LLM
  const exactSteps =
    job.compare.budget === 'llm-steps-exact' && tokenUpdateIterations(method.schedule, job.train.schedule.phases, iterations) > 0;
  const budget =
    job.compare.budget === 'tokens'
      ? { tokenBudget: job.compare.tokenBudget, iterations: 10 * iterations }
      : exactSteps
        ? { llmStepBudget: fullBatchLlmSteps(job.train, job.train.iterations), iterations: 2 * iterations }
        : { iterations };
  return structuredClone({
    ...job,
    run: { ...job.run, seed, out: cellDir },
    policy: method.policy,
    head: initTemperature !== undefined ? { ...job.head, initTemperature } : job.head,
    train: {
      ...job.train,
      schedule: { ...job.train.schedule, name: method.schedule },
      // tokens, llm-steps-exact: the trainer stops at the token or step budget; iterations is only a cap
      ...budget,
    },
  });
}

/**
 * What a finished cell was made from: its whole job (training, task, rollout, head, evaluation and
 * the comparison's evaluation policies and k), less the folder it lives in. A cell is reused only when
 * this matches, so changing any setting (iterations, a learning rate, eval.k) retrains it instead of
 * silently mixing results made under two configurations.
 */
export function cellFingerprint(cellJob: JobConfig): string {
  const { run, ...rest } = cellJob;
  const { out: _out, ...runRest } = run;
  return createHash('sha256')
    .update(stableJson({ ...rest, run: runRest }))
    .digest('hex')
    .slice(0, 16);
}

/** JSON with object keys sorted, so the same settings give the same text whatever their order. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The command as typed, relative to the CLI: `introspect compare baselines --config ...`. */
function commandLine(): string {
  const args = process.argv.slice(2).map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`));
  return ['introspect', ...args].join(' ');
}
