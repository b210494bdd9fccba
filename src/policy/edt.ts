/**
 * EDT, entropy-based dynamic temperature (Zhang et al. 2024, "EDT: Improving Large Language Models'
 * Generation by Entropy-based Dynamic Temperature Sampling", arXiv 2403.14541):
 *
 *   T = T0 * N^(theta / H),  H = entropy of the untempered next-token distribution (nats).
 *
 * With N < 1 the exponent theta/H grows as the model grows confident (H -> 0), so T falls towards 0
 * (sharpen confident tokens) and rises towards T0 as H grows (explore where the model is unsure).
 * At H = 0 the formula gives N^inf = 0; we clamp T to `minT` > 0 so that log softmax(logits / T),
 * which the trainer recomputes, stays finite. Tokens with H this small have one token at
 * probability ~1, so the clamp does not change what is sampled in practice.
 */
import { definePolicy } from './definition.js';
import { checkEntropy } from './context.js';

export const edtPolicy = definePolicy({
  name: 'edt',
  kind: 'per-token',
  summary: 'entropy-based dynamic temperature T = max(minT, T0 * N^(theta / H)), H = entropy in nats (Zhang et al. 2024)',
  params: {
    T0: { type: 'number', default: 1, min: 0, exclusiveMin: true, description: 'the temperature approached at high entropy (the ceiling)' },
    N: {
      type: 'number',
      default: 0.8,
      min: 0,
      max: 1,
      exclusiveMin: true,
      description: 'base in (0, 1]; smaller values cool confident tokens harder; 1 makes T = T0 always',
    },
    theta: {
      type: 'number',
      default: 1,
      min: 0,
      exclusiveMin: true,
      description: 'entropy scale in nats: the entropy at which T = T0 * N; larger cools more tokens',
    },
    minT: {
      type: 'number',
      default: 0.05,
      min: 0,
      exclusiveMin: true,
      description: 'floor on T so near-zero entropy does not give T = 0 (undefined log softmax(logits / T))',
    },
  },
  check: (p) => (p.minT > p.T0 ? `minT (${p.minT}) must not exceed T0 (${p.T0})` : undefined),
  create: (params) => {
    const { T0, N, theta, minT } = params;
    const logN = Math.log(N); // <= 0
    return {
      kind: 'per-token',
      spec: { name: 'edt', params },
      needsTrainingProgress: false,
      temperature: (ctx) => {
        const H = checkEntropy(ctx, 'edt');
        // The limit H -> 0+ of N^(theta/H): 0 for N < 1, 1 for N = 1 (Math.pow(1, Infinity) is NaN).
        if (H === 0) return N === 1 ? T0 : minT;
        return Math.max(minT, T0 * Math.exp((theta / H) * logN));
      },
    };
  },
});
