import type { JobConfig } from '../config/index.js';
import { compareBaselines as compare, type CompareResult } from '../eval/compare.js';
import { configureJobSessions, type RunContext } from './context.js';

export type { CompareResult };

/** Trains and evaluates every method of the comparison with the same budget and seeds. */
export async function compareBaselines(job: JobConfig, ctx: RunContext): Promise<CompareResult> {
  configureJobSessions(job);
  return compare(job, ctx);
}
