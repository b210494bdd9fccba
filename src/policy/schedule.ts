/**
 * A temperature annealed over training (the same for every token of a step's rollouts):
 *
 *   f = min(1, trainingStep / totalTrainingSteps)
 *   linear:  T = from + (to - from) * f
 *   cosine:  T = to + (from - to) * (1 + cos(pi * f)) / 2
 *
 * `from` is used at step 0 and `to` is reached at trainingStep = totalTrainingSteps (and held after,
 * e.g. in a run resumed with more steps). Cosine stays near `from` longer at the start and flattens
 * near `to` at the end. The default anneals 1.0 -> 0.6: explore early, when the policy still has
 * much to find, and sample more precisely as it converges.
 */
import { definePolicy } from './definition.js';
import { trainingFraction } from './context.js';

export const schedulePolicy = definePolicy({
  name: 'schedule',
  kind: 'per-token',
  summary: 'temperature annealed from `from` to `to` over training steps, linear or cosine (training only)',
  params: {
    from: { type: 'number', default: 1, min: 0, description: 'temperature at the first training step' },
    to: { type: 'number', default: 0.6, min: 0, description: 'temperature at the last training step' },
    shape: {
      type: 'choice',
      default: 'linear',
      choices: ['linear', 'cosine'],
      description: 'linear moves at a constant rate; cosine lingers at both ends',
    },
  },
  create: (params) => {
    const { from, to, shape } = params;
    return {
      kind: 'per-token',
      spec: { name: 'schedule', params },
      needsTrainingProgress: true,
      temperature: (ctx) => {
        const f = trainingFraction(ctx, 'schedule');
        return shape === 'linear' ? from + (to - from) * f : to + ((from - to) * (1 + Math.cos(Math.PI * f))) / 2;
      },
    };
  },
});
