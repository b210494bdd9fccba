/**
 * Learning-rate schedules: linear warmup, then constant or cosine decay to a floor.
 *
 * `step` is the 0-based index of the optimizer update about to be taken. Warmup gives update s the rate
 * baseLr * (s + 1) / warmupSteps, so the first update already moves the weights and update warmupSteps - 1
 * runs at the full rate (Hugging Face's schedules start at 0, which wastes the first update).
 */
import { Registry, type Complete } from '../util/registry.js';
import { UserError } from '../util/errors.js';

import type { LrScheduleName } from '../config/names.js';
export type { LrScheduleName };

export interface LrScheduleOptions {
  /** Peak learning rate, reached at the end of warmup. */
  baseLr: number;
  /** Number of warmup updates (0 = none). Default 0. */
  warmupSteps?: number;
  /** Total number of updates of the run; cosine reaches its floor here. Required by `cosine`. */
  totalSteps?: number;
  /** Cosine floor as a fraction of baseLr, in [0, 1]. Default 0. */
  minLrRatio?: number;
}

export interface LrSchedule {
  /** Learning rate for the 0-based update `step` (>= 0). */
  lrAt(step: number): number;
}

export type LrScheduleFactory = (options: LrScheduleOptions) => LrSchedule;

function warmupFactor(step: number, warmupSteps: number): number {
  return step < warmupSteps ? (step + 1) / warmupSteps : 1;
}

function checkCommon(options: LrScheduleOptions): { baseLr: number; warmupSteps: number } {
  const { baseLr, warmupSteps = 0 } = options;
  if (!(baseLr >= 0 && Number.isFinite(baseLr))) throw new UserError(`learning rate must be finite and >= 0, got ${baseLr}`);
  if (!Number.isInteger(warmupSteps) || warmupSteps < 0) throw new UserError(`warmup steps must be an integer >= 0, got ${warmupSteps}`);
  return { baseLr, warmupSteps };
}

function checkStep(step: number): void {
  if (!Number.isInteger(step) || step < 0) throw new RangeError(`lr schedule step must be an integer >= 0, got ${step}`);
}

export const lrSchedules: Complete<LrScheduleName, LrScheduleFactory> = new Registry<LrScheduleName, LrScheduleFactory>('lr schedule')
  .register('constant', (options) => {
    const { baseLr, warmupSteps } = checkCommon(options);
    return {
      lrAt(step) {
        checkStep(step);
        return baseLr * warmupFactor(step, warmupSteps);
      },
    };
  })
  // After warmup: lr = baseLr * (min + (1 - min) * (1 + cos(pi * progress)) / 2), progress = (s - W) / (S - W)
  // clamped to [0, 1]; so lr = baseLr right after warmup and baseLr * min from step S on.
  .register('cosine', (options) => {
    const { baseLr, warmupSteps } = checkCommon(options);
    const { totalSteps, minLrRatio = 0 } = options;
    if (totalSteps === undefined || !Number.isInteger(totalSteps) || totalSteps <= warmupSteps) {
      throw new UserError(`cosine lr schedule needs an integer totalSteps > warmupSteps (${warmupSteps}), got ${totalSteps}`);
    }
    if (!(minLrRatio >= 0 && minLrRatio <= 1)) throw new UserError(`minLrRatio must be in [0, 1], got ${minLrRatio}`);
    return {
      lrAt(step) {
        checkStep(step);
        if (step < warmupSteps) return baseLr * warmupFactor(step, warmupSteps);
        const progress = Math.min(1, (step - warmupSteps) / (totalSteps - warmupSteps));
        return baseLr * (minLrRatio + ((1 - minLrRatio) * (1 + Math.cos(Math.PI * progress))) / 2);
      },
    };
  });

/** Builds the named schedule. */
export function createLrSchedule(name: string, options: LrScheduleOptions): LrSchedule {
  return lrSchedules.get(name)(options);
}
