import type { JobConfig } from '../config/index.js';
import { CapabilityMissingError } from '../util/errors.js';
import type { RunContext } from './context.js';

export interface CompareResult {
  runDir: string;
  table: string;
}

/** Trains and evaluates every method of the comparison with the same budget and seeds. */
export async function compareBaselines(_job: JobConfig, _ctx: RunContext): Promise<CompareResult> {
  throw new CapabilityMissingError('the baseline comparison (the default-model issue)');
}
