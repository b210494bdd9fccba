import type { JobConfig } from '../config/index.js';
import { CapabilityMissingError } from '../util/errors.js';
import type { RunContext } from './context.js';

export interface TrainOptions {
  /** Continue from the latest checkpoint in the run directory. */
  resume?: boolean;
}

export interface TrainResult {
  runDir: string;
  iterations: number;
}

/** Hierarchical RL training (GRPO over the temperature and token policies, coordinate ascent). */
export async function runTraining(_job: JobConfig, _ctx: RunContext, _options: TrainOptions = {}): Promise<TrainResult> {
  throw new CapabilityMissingError('hierarchical RL training (the trainer issue)');
}
