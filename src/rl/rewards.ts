/**
 * The training reward as a weighted sum of named reward functions (TRL's `reward_funcs` with
 * `reward_weights`): the verifier's verdict, a format reward for stating an answer at all, and
 * DAPO's soft overlong penalty. `train.rewards` lists the terms; the default is the verifier alone.
 * Accuracy in the metrics stays the verifier's correctness whatever the reward.
 */
import type { Rollout } from '../rollout/types.js';
import type { Verdict } from '../tasks/index.js';
import { Registry, type Complete } from '../util/registry.js';

/** What a reward function sees of one graded rollout. */
export interface RewardContext {
  verdict: Verdict;
  rollout: Pick<Rollout, 'tokens' | 'finishReason'>;
  /** the generation cap (rollout.maxNewTokens) */
  maxTokens: number;
}

export interface RewardTerm {
  name: RewardName;
  weight: number;
  /** overlong: the soft-penalty band in tokens below the cap */
  cache?: number;
}

export type RewardFunction = (context: RewardContext, term: RewardTerm) => number;

import type { RewardName } from '../config/names.js';
export type { RewardName };

export const rewardFunctions: Complete<RewardName, RewardFunction> = new Registry<RewardName, RewardFunction>('reward function')
  // 1 correct, 0 wrong, -formatPenalty when no answer could be extracted
  .register('verifier', ({ verdict }) => verdict.reward)
  // 1 when the response states an answer in the task's format, else 0
  .register('format', ({ verdict }) => (verdict.extracted === null ? 0 : 1))
  // DAPO's soft overlong punishment: 0 up to cap - cache tokens, then falling linearly to -1 at the cap
  .register('overlong', ({ rollout, maxTokens }, term) => {
    const cache = term.cache ?? Math.max(1, Math.floor(maxTokens / 4));
    const length = rollout.tokens.length;
    if (length <= maxTokens - cache) return 0;
    return Math.max(-1, (maxTokens - cache - length) / cache);
  });

/** The weighted sum of the terms for one rollout. */
export function combinedReward(terms: readonly RewardTerm[], context: RewardContext): number {
  let total = 0;
  for (const term of terms) total += term.weight * rewardFunctions.get(term.name)(context, term);
  return total;
}
