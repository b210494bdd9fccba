import type { JobConfig } from '../config/index.js';
import { compareBaselines as compare, type CompareResult } from './compare-baselines.js';

export { compareReport } from './compare-baselines.js';
import type { RunContext } from '../util/run-context.js';
import { configureJobSessions } from './sessions.js';

export type { CompareResult };

/** Trains and evaluates every method of the comparison with the same budget and seeds. */
export async function compareBaselines(job: JobConfig, ctx: RunContext): Promise<CompareResult> {
  configureJobSessions(job);
  return compare(job, ctx);
}
