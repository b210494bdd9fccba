/**
 * Advantage estimators: turn one scalar reward per rollout into one advantage per rollout.
 *
 * GRPO (Shao et al. 2024, DeepSeekMath) samples G rollouts per prompt and uses the group as its own
 * baseline: A_i = (r_i - mean(r)) / (std(r) + eps). Dr. GRPO (Liu et al. 2025, "Understanding R1-Zero-Like
 * Training") drops the division by std, which otherwise up-weights prompts that are nearly always solved or
 * nearly always failed. Each estimator is a function in {@link advantageEstimators}, picked by name.
 *
 * Layout: rollouts of one prompt are contiguous, so sequence i belongs to group floor(i / G).
 */
import { Registry, type Complete } from '../util/registry.js';
import { UserError } from '../util/errors.js';
import { at } from '../util/must.js';

import type { AdvantageEstimatorName } from '../config/names.js';
export type { AdvantageEstimatorName };

export interface AdvantageInput {
  /** One scalar reward per rollout, shape [N] with N = numGroups * groupSize, groups contiguous. */
  rewards: ArrayLike<number>;
  /** G, rollouts per prompt (>= 1). */
  groupSize: number;
  /** Added to the std before dividing (grpo only). Default 1e-6, as verl's `compute_grpo_outcome_advantage`. */
  eps?: number;
  /**
   * When true, a group whose rewards are all equal (exactly, e.g. all 0 or all 1 for a binary verifier) is
   * marked dropped: it has no learning signal under a group baseline, and the trainer can skip its rollouts
   * instead of spending a backward pass on zero advantages (DAPO's "dynamic sampling" filter). Its advantages
   * are 0. A group of size 1 is always uniform, so with G = 1 every group is dropped.
   */
  dropUniformGroups?: boolean;
}

/** Statistics of one group's rewards. */
export interface GroupStats {
  /** Mean reward of the group (the baseline that was subtracted; 0 for G = 1, see {@link groupBaseline}). */
  mean: number;
  /** Sample std (n - 1 denominator) of the rewards; 0 for G = 1. */
  std: number;
  min: number;
  max: number;
  /** All rewards equal and `dropUniformGroups` was set: advantages are 0 and the trainer may skip the group. */
  dropped: boolean;
}

export interface AdvantageValue {
  /** Per-rollout advantages, shape [N], float64. */
  advantages: Float64Array;
  /** Per-rollout keep flag, shape [N]: 0 where the rollout's group was dropped, 1 elsewhere. */
  kept: Uint8Array;
  /** Per-group stats, length N / G. */
  groups: GroupStats[];
}

export interface AdvantageMetrics {
  /** Mean, population std, min and max of the advantages of the kept rollouts (0 when none is kept). */
  'advantage/mean': number;
  'advantage/std': number;
  'advantage/min': number;
  'advantage/max': number;
  /** Fraction of groups that were dropped as uniform (0 when `dropUniformGroups` is off). */
  'advantage/dropped_group_fraction': number;
}

export interface AdvantageResult {
  value: AdvantageValue;
  metrics: AdvantageMetrics;
}

/** The shared signature of every advantage estimator. */
export type AdvantageEstimator = (input: AdvantageInput) => AdvantageResult;

export const DEFAULT_ADVANTAGE_EPS = 1e-6;

/**
 * Mean and std used as a group's baseline and scale.
 *
 * The std is the sample std (n - 1 denominator) because that is what torch.std computes by default, and
 * verl's and trl's GRPO use torch.std. A group of one rollout has no baseline: like verl we use mean 0 and
 * std 1 there, and the advantage is the raw reward (plain REINFORCE without a baseline).
 */
export function groupBaseline(rewards: ArrayLike<number>, start: number, size: number): { mean: number; std: number } {
  if (size === 1) return { mean: 0, std: 1 };
  const group = groupRewards(rewards, start, size);
  let sum = 0;
  for (const r of group) sum += r;
  const mean = sum / size;
  let squares = 0;
  for (const r of group) squares += (r - mean) ** 2;
  return { mean, std: Math.sqrt(squares / (size - 1)) };
}

/** The rewards of the group starting at `start`, in order. */
function groupRewards(rewards: ArrayLike<number>, start: number, size: number): number[] {
  return Array.from({ length: size }, (_, k) => at(rewards, start + k, 'rewards'));
}

/**
 * Runs the per-group loop shared by the GRPO variants.
 * @param scale maps (reward - mean, std) to the advantage
 */
function groupRelative(input: AdvantageInput, scale: (centred: number, std: number) => number): AdvantageResult {
  const { rewards, groupSize } = input;
  validate(input);
  const n = rewards.length;
  const advantages = new Float64Array(n);
  const kept = new Uint8Array(n);
  const groups: GroupStats[] = [];
  for (let start = 0; start < n; start += groupSize) {
    const group = groupRewards(rewards, start, groupSize);
    const min = Math.min(...group);
    const max = Math.max(...group);
    const dropped = input.dropUniformGroups === true && min === max;
    const { mean, std } = groupBaseline(rewards, start, groupSize);
    groups.push({ mean, std: groupSize === 1 ? 0 : std, min, max, dropped });
    if (dropped) continue;
    group.forEach((r, k) => {
      // G = 1: no group to compare with, the raw reward is the advantage (verl would give r / (1 + eps)).
      advantages[start + k] = groupSize === 1 ? r : scale(r - mean, std);
      kept[start + k] = 1;
    });
  }
  return { value: { advantages, kept, groups }, metrics: advantageMetrics(advantages, kept, groups) };
}

function validate(input: AdvantageInput): void {
  const { rewards, groupSize } = input;
  if (!Number.isInteger(groupSize) || groupSize < 1) throw new UserError(`group size must be an integer >= 1, got ${groupSize}`);
  if (rewards.length % groupSize !== 0) {
    throw new RangeError(`${rewards.length} rewards do not split into groups of ${groupSize}`);
  }
  Array.from(rewards).forEach((r, i) => {
    if (!Number.isFinite(r)) throw new RangeError(`reward ${i} is not finite: ${r}`);
  });
  if (input.eps !== undefined && !(input.eps >= 0)) throw new UserError(`advantage eps must be >= 0, got ${input.eps}`);
}

function advantageMetrics(advantages: Float64Array, kept: Uint8Array, groups: GroupStats[]): AdvantageMetrics {
  let count = 0;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  const keptAdvantages = advantages.filter((_, i) => kept[i] === 1);
  for (const a of keptAdvantages) {
    count++;
    sum += a;
    min = Math.min(min, a);
    max = Math.max(max, a);
  }
  const mean = count > 0 ? sum / count : 0;
  let squares = 0;
  for (const a of keptAdvantages) squares += (a - mean) ** 2;
  const dropped = groups.filter((g) => g.dropped).length;
  return {
    'advantage/mean': mean,
    'advantage/std': count > 0 ? Math.sqrt(squares / count) : 0,
    'advantage/min': count > 0 ? min : 0,
    'advantage/max': count > 0 ? max : 0,
    'advantage/dropped_group_fraction': groups.length > 0 ? dropped / groups.length : 0,
  };
}

export const advantageEstimators: Complete<AdvantageEstimatorName, AdvantageEstimator> = new Registry<
  AdvantageEstimatorName,
  AdvantageEstimator
>('advantage estimator')
  // GRPO: A = (r - mean) / (std + eps). A uniform group (std 0) gives 0 / eps = 0 even when not dropped.
  .register('grpo', (input) => {
    const eps = input.eps ?? DEFAULT_ADVANTAGE_EPS;
    return groupRelative(input, (centred, std) => centred / (std + eps));
  })
  // Dr. GRPO: A = r - mean, no std normalisation (removes the question-difficulty bias).
  .register('grpo-no-std', (input) => groupRelative(input, (centred) => centred));

/** Looks up an estimator by name and applies it. */
export function computeAdvantages(name: string, input: AdvantageInput): AdvantageResult {
  return advantageEstimators.get(name)(input);
}
