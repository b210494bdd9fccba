import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { JobConfig } from '../config/index.js';
import { train, type EvalPoint, type TrainOptions, type TrainSummary } from '../rl/trainer.js';
import type { RunContext } from '../util/run-context.js';
import { configureJobSessions } from './sessions.js';

export type { EvalPoint, TrainOptions, TrainSummary };

export interface TrainResult extends TrainSummary {
  /** the last held-out evaluation (avg@k, greedy accuracy and their paired gains since iteration 0), null without one */
  finalAccuracy: EvalPoint | null;
  /** the best held-out evaluation (by avg@k), null without one */
  bestAccuracy: EvalPoint | null;
  /** the run's files: metrics and evaluation tables, TensorBoard events, log, the last checkpoint */
  files: string[];
}

/** Hierarchical RL training (GRPO over the temperature and token policies, coordinate ascent). */
export async function runTraining(job: JobConfig, ctx: RunContext, options: TrainOptions = {}): Promise<TrainResult> {
  configureJobSessions(job);
  const summary = await train(job, ctx, options);
  const history = summary.evalAccuracy;
  const best = history.reduce<TrainResult['bestAccuracy']>((b, e) => (b === null || e.avgAtK > b.avgAtK ? e : b), null);
  const files = readdirSync(ctx.runDir)
    .filter((f) => /^(metrics\.csv|eval\.csv|log\.jsonl|config\.yaml|events\.out\.tfevents\..*)$/.test(f))
    .sort()
    .map((f) => join(ctx.runDir, f));
  if (summary.lastCheckpoint && existsSync(summary.lastCheckpoint)) files.push(summary.lastCheckpoint);
  return { ...summary, finalAccuracy: history.at(-1) ?? null, bestAccuracy: best, files };
}
