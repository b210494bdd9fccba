import type { JobConfig } from '../config/index.js';
import { CapabilityMissingError } from '../util/errors.js';
import type { RunContext } from './context.js';

export interface EvalResult {
  runDir: string;
  /** Markdown summary table (tasks as columns). */
  table: string;
}

/** Benchmark evaluation: k samples per problem, avg@k, pass@k, maj@k, written under the run directory. */
export async function runEvaluation(_job: JobConfig, _ctx: RunContext): Promise<EvalResult> {
  throw new CapabilityMissingError('benchmark evaluation (the eval issue)');
}
