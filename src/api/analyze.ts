import { CapabilityMissingError } from '../util/errors.js';
import type { RunContext } from './context.js';

/** Plots and renderings of what a learned temperature head does in a training run. */
export async function analyzeRun(_trainRunDir: string, _ctx: RunContext): Promise<{ files: string[] }> {
  throw new CapabilityMissingError('analysis of learned temperatures (the default-model issue)');
}
