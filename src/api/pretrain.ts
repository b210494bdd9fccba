import type { JobConfig } from '../config/index.js';
import { pretrain, type PretrainSummary } from '../rl/pretrain.js';
import type { RunContext } from '../util/run-context.js';
import { configureJobSessions } from './sessions.js';

export type { PretrainSummary };

/** Supervised pretraining of a small model from scratch on synthetic-arith worked solutions. */
export async function runPretraining(job: JobConfig, ctx: RunContext, options: { resume?: boolean } = {}): Promise<PretrainSummary> {
  configureJobSessions(job);
  return pretrain(job, ctx, options);
}
