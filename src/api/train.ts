import type { JobConfig } from '../config/index.js';
import { train, type TrainOptions, type TrainSummary } from '../rl/trainer.js';
import type { RunContext } from '../util/run-context.js';
import { configureJobSessions } from './sessions.js';

export type { TrainOptions, TrainSummary };

/** Hierarchical RL training (GRPO over the temperature and token policies, coordinate ascent). */
export async function runTraining(job: JobConfig, ctx: RunContext, options: TrainOptions = {}): Promise<TrainSummary> {
  configureJobSessions(job);
  return train(job, ctx, options);
}
