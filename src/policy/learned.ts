/**
 * `learned`: the temperature head of the Introspective LLM (arXiv 2602.13035). It reads the final
 * hidden state and picks each token's temperature. The head's action space (a grid of temperatures
 * or a log-normal) is part of the head itself (its own temperature_head.json, src/policy/head/), so
 * it reaches this policy through {@link PolicyContext.head}, the opened head's config, rather than as
 * spec parameters: one source for the head's graph, its training and its sampling. The head's config
 * validated the grid (config/schema.ts, headGridProblem). This entry turns one row of the head's output
 * into a temperature action (see types.ts for the engine's side of the contract).
 */
import { UserError } from '../util/errors.js';
import { definePolicy } from './definition.js';
import { sampleGridAction } from './grid-action.js';
import { sampleLogNormal } from './log-normal.js';
import type { HeadAction } from './types.js';

export const learnedPolicy = definePolicy({
  name: 'learned',
  kind: 'head',
  summary: "the learned temperature head: picks each token's temperature from the LLM's final hidden state (configured in `head`)",
  params: {
    greedy: {
      type: 'boolean',
      default: false,
      description: 'take the most likely temperature (grid argmax, log-normal median) instead of sampling one; for evaluation',
    },
  },
  create: (params, context) => {
    const head = context.head;
    if (head === undefined) {
      throw new UserError('temperature policy "learned" needs a temperature head (the `head` section, or --head for a trained one)');
    }
    const { greedy } = params;
    if (head.kind === 'lognormal') {
      return {
        kind: 'head',
        spec: { name: 'learned', params },
        needsTrainingProgress: false,
        distribution: 'lognormal',
        outputWidth: 2,
        grid: null,
        greedy,
        act(headRow, rng): HeadAction {
          if (headRow.length !== 2) throw new RangeError(`log-normal head rows must be (mu, logStd), got length ${headRow.length}`);
          // length 2, checked above
          return { distribution: 'lognormal', ...sampleLogNormal(headRow[0] ?? NaN, headRow[1] ?? NaN, rng, { greedy }) };
        },
      };
    }
    const grid = Float64Array.from(head.grid);
    return {
      kind: 'head',
      spec: { name: 'learned', params },
      needsTrainingProgress: false,
      distribution: 'grid',
      outputWidth: grid.length,
      grid,
      greedy,
      act(headRow, rng): HeadAction {
        return { distribution: 'grid', ...sampleGridAction(headRow, grid, rng, { greedy }) };
      },
    };
  },
});
