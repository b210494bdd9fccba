import type { JobConfig } from '../config/index.js';
import { CapabilityMissingError } from '../util/errors.js';
import type { RunContext } from './context.js';

/** Supervised pretraining of a small model from scratch on synthetic-arith worked solutions. */
export async function runPretraining(_job: JobConfig, _ctx: RunContext, _options: { resume?: boolean } = {}): Promise<{ runDir: string }> {
  throw new CapabilityMissingError('supervised pretraining (the default-model issue)');
}
