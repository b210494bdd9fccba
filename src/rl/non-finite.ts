/**
 * Non-finite optimiser steps. AdamW already skips a step whose loss or gradients are NaN/Inf; a
 * step with finite gradients can still push weights to Inf (a huge learning rate), and such
 * weights would reach the next rollout and every later checkpoint. {@link guardedStep} checks the
 * updated weights too and undoes a step that made them non-finite (weights and moments restored,
 * bit for bit); {@link trackNonFinite} counts skipped and undone steps and ends the run after
 * `train.maxNonFiniteSteps` in a row.
 */
import type { TrainerState } from './checkpoint.js';
import type { AdamW } from './optimizer.js';
import { UserError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import { at } from '../util/must.js';

/** Runs one optimiser step; if it leaves any parameter non-finite, restores the state before it and reports the step as not applied. */
export async function guardedStep<S extends { applied: boolean }>(
  optimizer: AdamW,
  step: () => Promise<S>,
): Promise<S & { undone?: boolean }> {
  const params = [...optimizer.params.values()];
  const before = params.map((p) => p.slice());
  const moments = optimizer.exportState();
  const stats = await step();
  if (!stats.applied || params.every(allFinite)) return stats;
  params.forEach((p, i) => p.set(at(before, i, 'saved parameters')));
  optimizer.importState(moments);
  return { ...stats, applied: false, undone: true };
}

function allFinite(data: Float32Array): boolean {
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) return false;
  return true;
}

/**
 * Counts skipped (non-finite) optimiser steps: each is logged; an applied step resets the streak;
 * `maxInARow` skipped steps in a row stop training with an error rather than burn the budget.
 */
export function trackNonFinite(
  state: Pick<TrainerState, 'nonFiniteStreak' | 'nonFiniteTotal'>,
  steps: readonly { applied: boolean; loss: number; undone?: boolean }[],
  maxInARow: number,
  logger: Logger,
): void {
  for (const s of steps) {
    if (s.applied) {
      state.nonFiniteStreak = 0;
      continue;
    }
    state.nonFiniteStreak++;
    state.nonFiniteTotal++;
    logger.warn(
      { loss: s.loss, streak: state.nonFiniteStreak },
      s.undone ? 'step made the weights non-finite: undone' : 'non-finite loss or gradients: step skipped',
    );
    if (state.nonFiniteStreak >= maxInARow) {
      throw new UserError(
        `${state.nonFiniteStreak} non-finite steps in a row (train.maxNonFiniteSteps = ${maxInARow}); lower the learning rate`,
      );
    }
  }
}
