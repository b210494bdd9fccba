import type { JobConfig } from '../config/index.js';
import { pretrain, type PretrainSummary } from '../rl/pretrain.js';
import type { RunContext } from '../util/run-context.js';

export type { PretrainSummary };

/** Supervised pretraining of a small model from scratch on synthetic-arith worked solutions. */
export async function runPretraining(job: JobConfig, ctx: RunContext, options: { resume?: boolean } = {}): Promise<PretrainSummary> {
  return pretrain(job, ctx, options);
}
