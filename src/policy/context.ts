/** Checks on the parts of a {@link StepContext} that a policy reads, so a bad engine value fails loudly. */
import { UserError } from '../util/errors.js';
import type { StepContext } from './types.js';

/** The context's entropy (nats), which must be a number >= 0. */
export function checkEntropy(ctx: StepContext, policy: string): number {
  const H = ctx.entropy;
  if (!(H >= 0) || H === Infinity) throw new RangeError(`temperature policy "${policy}": entropy must be finite and >= 0 nats, got ${H}`);
  return H;
}

/** Training progress in [0, 1]: trainingStep / totalTrainingSteps, clamped (a resumed run may overshoot). */
export function trainingFraction(ctx: StepContext, policy: string): number {
  const { trainingStep, totalTrainingSteps } = ctx;
  if (trainingStep === undefined || totalTrainingSteps === undefined) {
    throw new UserError(
      `temperature policy "${policy}" anneals over training steps and needs trainingStep and totalTrainingSteps; ` +
        'it can only be used for training rollouts',
    );
  }
  if (!(Number.isInteger(trainingStep) && trainingStep >= 0 && Number.isInteger(totalTrainingSteps) && totalTrainingSteps >= 1)) {
    throw new RangeError(
      `temperature policy "${policy}": trainingStep must be an integer >= 0 and totalTrainingSteps an integer >= 1, ` +
        `got ${trainingStep} and ${totalTrainingSteps}`,
    );
  }
  return Math.min(1, trainingStep / totalTrainingSteps);
}
