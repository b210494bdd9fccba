/** The constant policies: `greedy` (temperature 0) and `fixed:<t>`. */
import { definePolicy } from './definition.js';

export const greedyPolicy = definePolicy({
  name: 'greedy',
  kind: 'per-token',
  summary: 'always temperature 0: the most likely token (argmax); deterministic, for evaluation',
  params: {},
  create: (params) => ({
    kind: 'per-token',
    spec: { name: 'greedy', params },
    needsTrainingProgress: false,
    temperature: () => 0,
  }),
});

export const fixedPolicy = definePolicy({
  name: 'fixed',
  kind: 'per-token',
  summary: 'one temperature for every token, e.g. fixed:0.6; fixed:0 is greedy',
  params: {
    t: {
      type: 'number',
      default: 1,
      min: 0,
      description: 'the sampling temperature; 1 samples the model as is, lower is sharper (0.6 is a common choice for math)',
    },
  },
  positional: 't',
  create: (params) => ({
    kind: 'per-token',
    spec: { name: 'fixed', params },
    needsTrainingProgress: false,
    temperature: () => params.t,
  }),
});
