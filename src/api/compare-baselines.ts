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
 * cell; on Ctrl-C the tables are written from the finished cells (never empty ones).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertTrainJob, type JobConfig, type PolicySpec } from '../config/index.js';
import { train } from '../rl/trainer.js';
import { latestCheckpoint } from '../rl/checkpoint.js';
import { matchedIterations } from '../rl/budget.js';
import { METRIC_NAMES } from '../rl/metrics.js';
import { createPolicy, policyKindOf, policyLabel } from '../policy/index.js';
import { TemperatureHead } from '../policy/head/index.js';
import { jobModelOptions, openPolicyModel } from '../rollout/runtime.js';
import { getTask, type Problem, type Split } from '../tasks/index.js';
import { chooseBaselines, OWN, writeCompareResults, type CellEvaluation, type CellResult, type Method, type Tuning } from '../eval/compare-results.js';
import { evaluatePolicy } from '../eval/evaluate.js';
import { readMetricsColumn } from '../eval/metrics-file.js';
import { passAtKs } from '../eval/paired.js';
import { loadJobProblems } from '../eval/problems.js';
import { evaluationSettings } from '../eval/settings.js';
import type { RunContext } from '../util/run-context.js';
import { checkpointFiles, runFiles } from '../util/run-layout.js';
import { at } from '../util/must.js';

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
    { name: 'learned-from-best', policy: 'learned', schedule: 'coordinate-ascent', evalPolicies: learnedEval, initTemperature: 'best-fixed' },
    { name: 'learned-from-1.0', policy: 'learned', schedule: 'coordinate-ascent', evalPolicies: learnedEval, initTemperature: 1.0 },
  ];
}

export interface CompareResult {
  runDir: string;
  table: string;
  rows: CellResult[];
  tuning: Tuning;
}


export async function compareBaselines(job: JobConfig, ctx: RunContext): Promise<CompareResult> {
  const methods = job.compare.methods.length > 0 ? job.compare.methods : defaultMethods(job);
  const isLearned = (m: Method) => policyKindOf(m.policy) === 'head';
  // Every cell's training settings are checked before the first cell trains.
  for (const method of methods) assertTrainJob(cellJobOf(job, method, job.compare.seeds[0] ?? 0, ctx.runDir, undefined));
  const baselines = methods.filter((m) => !isLearned(m));
  const learned = methods.filter(isLearned);
  const task = getTask(job.task.name);
  const tuneSplit: Split = job.compare.validation && task.splits.includes('validation') ? 'validation' : job.eval.split;
  const problems = {
    test: await loadJobProblems(job, job.task.name, job.eval.split, job.eval.limit || undefined),
    tune: await loadJobProblems(job, job.task.name, tuneSplit, job.eval.limit || undefined),
  };
  const provenance = { commit: gitCommit(), command: commandLine() };
  writeFileSync(join(ctx.runDir, 'provenance.json'), JSON.stringify({ ...provenance, started: new Date().toISOString(), node: process.version }, null, 2) + '\n');

  const rows: CellResult[] = [];
  // Stage 1: baselines. After a stop request only finished cells are read back.
  for (const seed of job.compare.seeds) {
    for (const method of baselines) {
      const row = await runCell(job, ctx, method, seed, undefined, tuneSplit, problems);
      if (row) rows.push(row);
    }
  }
  const tuning = chooseBaselines(rows, baselines, tuneSplit);
  writeFileSync(join(ctx.runDir, 'tuning.json'), JSON.stringify(tuning, null, 2) + '\n');
  ctx.logger.info({ best: tuning.bestBaseline, bestFixedTemperature: tuning.bestFixedTemperature, split: tuneSplit }, 'baselines tuned');
  // Stage 2: learned methods.
  for (const seed of job.compare.seeds) {
    for (const method of learned) {
      const init = method.initTemperature === 'best-fixed' ? tuning.bestFixedTemperature ?? undefined : method.initTemperature;
      if (method.initTemperature === 'best-fixed' && init === undefined) {
        ctx.logger.warn({ method: method.name }, 'no fixed baseline finished: the head starts from head.initTemperature');
      }
      const row = await runCell(job, ctx, method, seed, init, tuneSplit, problems);
      if (row) rows.push(row);
    }
  }
  if (rows.length === 0) {
    ctx.logger.warn('no cell has finished yet: no tables written');
    return { runDir: ctx.runDir, table: '', rows, tuning };
  }
  const { markdown } = writeCompareResults(job, ctx.runDir, methods, rows, tuning, provenance);
  if (ctx.signal?.aborted) {
    // The tables cover the finished cells only; the same --out continues with the rest.
    ctx.logger.warn({ cells: join(ctx.runDir, 'cells') }, 'interrupted: tables cover the finished cells only; run the same command with the same --out to continue');
  }
  return { runDir: ctx.runDir, table: markdown, rows, tuning };
}

async function runCell(
  job: JobConfig,
  ctx: RunContext,
  method: Method,
  seed: number,
  initTemperature: number | undefined,
  tuneSplit: Split,
  problems: { test: Problem[]; tune: Problem[] },
): Promise<CellResult | null> {
  const cellDir = runFiles.cell(ctx.runDir, method.name, seed);
  const resultFile = runFiles.cellResult(cellDir);
  const cellJob = cellJobOf(job, method, seed, cellDir, initTemperature);
  const fingerprint = cellFingerprint(cellJob);
  if (existsSync(resultFile)) {
    const saved = JSON.parse(readFileSync(resultFile, 'utf8')) as CellResult & { format?: number };
    if (saved.format === CELL_FORMAT && saved.fingerprint === fingerprint) {
      ctx.logger.info({ method: method.name, seed }, 'cell already done');
      return saved;
    }
    if (ctx.signal?.aborted) return null;
    ctx.logger.warn({ method: method.name, seed, was: saved.initTemperature, now: initTemperature }, 'cell made with other settings (job, evaluation or head temperature): retraining it');
    rmSync(cellDir, { recursive: true, force: true });
  }
  if (ctx.signal?.aborted) return null;
  mkdirSync(cellDir, { recursive: true });
  writeFileSync(join(cellDir, 'cell.json'), JSON.stringify({ method, seed, initTemperature, iterations: cellJob.train.iterations, budget: job.compare.budget }, null, 2) + '\n');
  const started = performance.now();
  ctx.logger.info({ method: method.name, seed, iterations: cellJob.train.iterations, initTemperature }, 'training cell');
  const resuming = latestCheckpoint(cellDir) !== undefined;
  const child = ctx.logger.child({ method: method.name, seed });
  const summary = await train(cellJob, { logger: child, runDir: cellDir, signal: ctx.signal }, { resume: resuming });
  const trainSeconds = (performance.now() - started) / 1000;
  if (!summary.finished) return null; // interrupted: the cell stays open

  const checkpoint = latestCheckpoint(cellDir)!;
  const model = await openPolicyModel({ modelDir: checkpointFiles.model(checkpoint), ...jobModelOptions(job.model) });
  const task = getTask(job.task.name);
  const own = method.evalPolicies ?? [method.policy];
  const ownLabels = new Set(own.map(policyLabel));
  const plan: { spec: PolicySpec; column: string; split: Split; problems: Problem[] }[] = [
    // The first own policy is the method's `own` column; further ones (the head's argmax) get columns of their own.
    ...own.map((spec, i) => ({ spec, column: i === 0 ? OWN : `${OWN} ${policyLabel(spec)}`, split: job.eval.split, problems: problems.test })),
    ...job.compare.evalPolicies.filter((spec) => !ownLabels.has(policyLabel(spec))).map((spec) => ({ spec, column: policyLabel(spec), split: job.eval.split, problems: problems.test })),
    // Own policy on the tuning split: how baselines are chosen (and the learned head's own reading).
    ...(tuneSplit !== job.eval.split ? [{ spec: at(own, 0, 'own policies'), column: OWN, split: tuneSplit, problems: problems.tune }] : []),
  ];
  // The cell is evaluated as it trained: the same prompts, stop strings and verifier options.
  const settings = evaluationSettings(cellJob);
  const evaluations: CellEvaluation[] = [];
  try {
    for (const item of plan) {
      if (ctx.signal?.aborted) return null;
      // A learned policy owns its head: the cell's trained head, with that head's own grid.
      const head = policyKindOf(item.spec) === 'head' ? TemperatureHead.load(checkpointFiles.head(checkpoint)) : undefined;
      const policy = createPolicy(item.spec, { head: head?.config });
      // Greedy decoding is deterministic: one sample per problem says everything (no pass@k > 1).
      const k = policy.kind === 'per-token' && policy.spec.name === 'greedy' ? 1 : job.eval.k;
      const evaluation = await evaluatePolicy({
        model, policy, head, policyLabel: policyLabel(item.spec), task, problems: item.problems, k, ...settings,
        // Paired: every method of a seed draws the same token random numbers; the split keys the stream.
        seed, streamKey: item.split === 'validation' ? [1] : [],
        keepSamples: false,
        // schedules are evaluated at their final temperature
        trainingStep: cellJob.train.iterations, totalTrainingSteps: cellJob.train.iterations,
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      });
      await head?.dispose();
      if (!evaluation.completed) return null;
      const s = evaluation.summary;
      const scores = { samples: k, correct: evaluation.perProblemCorrect };
      evaluations.push({
        evalPolicy: policyLabel(item.spec), column: item.column, split: item.split, ...scores,
        avgAtK: s.avgAtK, majAtK: s.majAtK, passAtK: passAtKs(scores, job.compare.passK), meanTemperature: s.meanTemperature, meanLength: s.meanLength,
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
    format: CELL_FORMAT, fingerprint,
    method: method.name, seed, task: job.task.name,
    ...(initTemperature !== undefined ? { initTemperature } : {}),
    iterations: summary.iterations, llmSteps: sum(METRIC_NAMES.token_steps), headSteps: sum(METRIC_NAMES.head_steps), generatedTokens: summary.generatedTokens,
    trainSeconds, evaluations,
  };
  writeFileSync(resultFile, JSON.stringify(result) + '\n');
  return result;
}

/**
 * The job a cell trains with: the comparison's job with the cell's seed, folder, policy, schedule,
 * the head's starting temperature, and the budget of compare.budget (rl/budget.ts).
 */
export function cellJobOf(job: JobConfig, method: Method, seed: number, cellDir: string, initTemperature: number | undefined): JobConfig {
  const iterations = matchedIterations(job.compare.budget, method.schedule, job.train.schedule.phases, job.train.iterations);
  return structuredClone({
    ...job,
    run: { ...job.run, seed, out: cellDir },
    policy: method.policy,
    head: initTemperature !== undefined ? { ...job.head, initTemperature } : job.head,
    train: {
      ...job.train,
      schedule: { ...job.train.schedule, name: method.schedule },
      // tokens: the trainer stops at the token budget; iterations is only a cap
      ...(job.compare.budget === 'tokens' ? { tokenBudget: job.compare.tokenBudget, iterations: 10 * iterations } : { iterations }),
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
  return createHash('sha256').update(stableJson({ ...rest, run: runRest })).digest('hex').slice(0, 16);
}

/** JSON with object keys sorted, so the same settings give the same text whatever their order. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The checked-out commit (with `-dirty` when the work tree has changes), or `unknown` outside git. */
function gitCommit(): string {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() !== '';
    return dirty ? `${commit}-dirty` : commit;
  } catch {
    return 'unknown';
  }
}

/** The command as typed, relative to the CLI: `introspect compare baselines --config ...`. */
function commandLine(): string {
  const args = process.argv.slice(2).map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`));
  return ['introspect', ...args].join(' ');
}
