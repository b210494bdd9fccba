/**
 * Two temperatures switched on the entropy of the untempered next-token distribution:
 *
 *   T = low   if H < threshold
 *   T = high  if H >= threshold        (H in nats)
 *
 * Defaults: threshold 1 nat is the entropy of a distribution spread over about e ≈ 2.7 equally likely
 * tokens; in reasoning traces most tokens sit far below it (the model is nearly sure), and the few
 * above it are the "forking" tokens where the continuation genuinely branches. Sampling the former at
 * 0.6 (a usual temperature for math) keeps arithmetic and copying precise, and sampling the latter at
 * 1.2 widens exploration exactly where alternatives exist.
 */
import { definePolicy } from './definition.js';
import { checkEntropy } from './context.js';

export const entropyThresholdPolicy = definePolicy({
  name: 'entropy-threshold',
  kind: 'per-token',
  summary: 'T = low if entropy H < threshold (nats), else high: sharpen confident tokens, explore at forks',
  params: {
    low: { type: 'number', default: 0.6, min: 0, description: 'temperature for confident tokens (H < threshold)' },
    high: { type: 'number', default: 1.2, min: 0, description: 'temperature for uncertain tokens (H >= threshold)' },
    threshold: {
      type: 'number',
      default: 1,
      min: 0,
      description: 'entropy in nats where the switch happens; 1 nat ~ a choice among e ≈ 2.7 tokens',
    },
  },
  create: (params) => {
    const { low, high, threshold } = params;
    return {
      kind: 'per-token',
      spec: { name: 'entropy-threshold', params },
      needsTrainingProgress: false,
      temperature: (ctx) => (checkEntropy(ctx, 'entropy-threshold') < threshold ? low : high),
    };
  },
});
