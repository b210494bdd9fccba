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
import { assertTrainJob, type JobConfig } from '../config/index.js';
import { train } from '../rl/trainer.js';
import { latestCheckpoint } from '../rl/checkpoint.js';
import { createPolicy, policyKindOf, policyLabel } from '../policy/index.js';
import { TemperatureHead } from '../policy/head/index.js';
import { openPolicyModel } from '../rollout/runtime.js';
import { getTask } from '../tasks/index.js';
import { writeCompareResults, type CellResult, type Method } from '../eval/compare-results.js';
import { evaluatePolicy } from '../eval/evaluate.js';
import { loadJobProblems } from '../eval/problems.js';
import { evaluationSettings } from '../eval/settings.js';
import type { RunContext } from '../util/run-context.js';
import { checkpointFiles, runFiles } from '../util/run-layout.js';

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

export type { CellResult, Method };

export interface CompareResult {
  runDir: string;
  table: string;
  rows: CellResult[];
}

export async function compareBaselines(job: JobConfig, ctx: RunContext): Promise<CompareResult> {
  const methods = job.compare.methods.length > 0 ? job.compare.methods : defaultMethods;
  // Every cell's training settings are checked before the first cell trains.
  for (const method of methods) assertTrainJob(cellJobOf(job, method, job.compare.seeds[0] ?? 0, ctx.runDir));
  const rows: CellResult[] = [];
  for (const seed of job.compare.seeds) {
    for (const method of methods) {
      if (ctx.signal?.aborted) break;
      rows.push(...(await runCell(job, ctx, method, seed)));
    }
  }
  return { runDir: ctx.runDir, table: writeCompareResults(job, ctx.runDir, methods, rows), rows };
}

async function runCell(job: JobConfig, ctx: RunContext, method: Method, seed: number): Promise<CellResult[]> {
  const cellDir = runFiles.cell(ctx.runDir, method.name, seed);
  const resultFile = runFiles.cellResult(cellDir);
  if (existsSync(resultFile)) {
    ctx.logger.info({ method: method.name, seed }, 'cell already done');
    return JSON.parse(readFileSync(resultFile, 'utf8')) as CellResult[];
  }
  mkdirSync(cellDir, { recursive: true });
  const cellJob: JobConfig = cellJobOf(job, method, seed, cellDir);
  const started = performance.now();
  ctx.logger.info({ method: method.name, seed }, 'training cell');
  const resuming = latestCheckpoint(cellDir) !== undefined;
  const child = ctx.logger.child({ method: method.name, seed });
  const summary = await train(cellJob, { logger: child, runDir: cellDir, signal: ctx.signal }, { resume: resuming });
  const trainSeconds = (performance.now() - started) / 1000;
  if (summary.iterations < job.train.iterations) return []; // interrupted: the cell stays open

  const checkpoint = latestCheckpoint(cellDir)!;
  const model = await openPolicyModel({ modelDir: checkpointFiles.model(checkpoint), executionProvider: job.model.executionProvider, threads: job.model.threads });
  const task = getTask(job.task.name);
  const problems = await loadJobProblems(job, job.task.name, job.eval.split, job.eval.limit || undefined);
  // The cell is evaluated as it trained: the same prompts, stop strings and verifier options.
  const settings = evaluationSettings(cellJob);
  const results: CellResult[] = [];
  try {
    for (const spec of method.evalPolicies ?? [method.policy]) {
      // A learned policy owns its head: the cell's trained head, with that head's own grid.
      const head = policyKindOf(spec) === 'head' ? TemperatureHead.load(checkpointFiles.head(checkpoint)) : undefined;
      const policy = createPolicy(spec, { head: head?.config });
      const evaluation = await evaluatePolicy({
        model, policy, head, policyLabel: policyLabel(spec), task, problems, k: job.eval.k, ...settings, seed: job.run.seed,
        // schedules are evaluated at their final temperature
        trainingStep: job.train.iterations, totalTrainingSteps: job.train.iterations,
      });
      await head?.dispose();
      const s = evaluation.summary;
      results.push({
        method: method.name, seed, task: job.task.name, evalPolicy: policyLabel(spec), avgAtK: s.avgAtK, passAtK: s.passAtK,
        majAtK: s.majAtK, meanTemperature: s.meanTemperature, meanLength: s.meanLength, trainSeconds,
      });
    }
  } finally {
    await model.dispose();
  }
  writeFileSync(resultFile, JSON.stringify(results, null, 2) + '\n');
  return results;
}

/** The job a cell trains with: the comparison's job with the cell's seed, folder, policy and schedule. */
export function cellJobOf(job: JobConfig, method: Method, seed: number, cellDir: string): JobConfig {
  return structuredClone({
    ...job,
    run: { ...job.run, seed, out: cellDir },
    policy: method.policy,
    train: { ...job.train, schedule: { ...job.train.schedule, name: method.schedule } },
  });
}
