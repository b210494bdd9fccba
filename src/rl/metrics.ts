/**
 * One row of metrics.csv per training iteration: what the rollouts looked like, what the updates
 * did, and weight checksums per policy (so a log shows that a phase changed only its own policy).
 * The code names each figure as below ({@link IterationMetrics}); files and trackers (metrics.csv,
 * TensorBoard) use {@link METRIC_NAMES}, TRL's GRPOTrainer names where TRL logs the same figure.
 */
import { mean, pearson, std } from '../util/stats.js';
import type { Rollout } from '../rollout/types.js';
import type { Verdict } from '../tasks/index.js';
import type { AdvantageResult } from './advantages.js';
import type { HeadStepStats } from './head-update.js';
import type { Phase } from './phase-schedule.js';
import type { MiniBatchStats } from './token-update.js';
import { at } from '../util/must.js';

export const METRIC_COLUMNS = [
  'iteration',
  'phase',
  'update_token',
  'update_temperature',
  'reward_mean',
  'reward_std',
  'accuracy',
  'no_answer_rate',
  'adv_mean',
  'adv_std',
  'adv_abs_max',
  'groups_dropped',
  'sampling_rounds',
  'response_length',
  'response_length_min',
  'response_length_max',
  'truncated_rate',
  'frac_reward_zero_std',
  'token_entropy',
  'temperature_mean',
  'temperature_std',
  'temperature_entropy_corr',
  'temperature_h_lt_0.01',
  'temperature_h_0.01_0.1',
  'temperature_h_0.1_0.5',
  'temperature_h_ge_0.5',
  'share_h_ge_0.1',
  'token_loss',
  'clip_fraction',
  'approx_kl',
  'kl',
  'token_grad_norm',
  'token_lr',
  'token_steps',
  'head_loss',
  'head_entropy',
  'head_rollout_entropy',
  'head_rollout_entropy_h_ge_0.1',
  'head_clip_fraction',
  'head_grad_norm',
  'head_lr',
  'head_steps',
  'skipped_steps',
  'token_checksum',
  'head_checksum',
  'rollout_tokens',
  'rollout_tokens_per_s',
  'update_tokens_per_s',
  'wall_seconds',
] as const;

export type IterationMetrics = { [K in (typeof METRIC_COLUMNS)[number]]: K extends 'phase' ? string : number };

/**
 * The name each figure is written under. TRL's names (GRPOTrainer's logged metrics) where TRL has
 * the same figure; the head's figures under `head/`; the rest as in the code.
 *
 * | code | written | meaning |
 * | --- | --- | --- |
 * | reward_mean | reward | mean reward over the iteration's completions |
 * | reward_std | reward_std | its standard deviation |
 * | response_length(_min/_max) | completions/mean_length (min_length, max_length) | generated tokens per completion |
 * | truncated_rate | completions/clipped_ratio | fraction of completions cut at max_new_tokens |
 * | frac_reward_zero_std | frac_reward_zero_std | fraction of prompt groups whose rewards are all equal (no signal) |
 * | token_entropy | entropy | mean entropy of the untempered next-token distribution, nats |
 * | clip_fraction | clip_ratio | fraction of tokens whose importance ratio was clipped |
 * | kl | kl | k3 KL(policy ‖ reference), NaN without a KL penalty (train.klCoef = 0) |
 * | token_grad_norm / token_lr | grad_norm / learning_rate | the LLM's update |
 * | head_* | head/* | the temperature head's update (loss, entropy of its action distribution, ...) |
 * | head_rollout_entropy(_h_ge_0.1) | head/rollout_entropy(_h_ge_0.1) | the head's entropy as it acted in this iteration's rollouts (every iteration, not only head updates), over all tokens and at tokens of LLM entropy >= 0.1 |
 */
export const METRIC_NAMES: Readonly<Record<(typeof METRIC_COLUMNS)[number], string>> = {
  ...(Object.fromEntries(
    METRIC_COLUMNS.map((c) => [c, c.startsWith('head_') && !c.endsWith('_checksum') ? `head/${c.slice(5)}` : c]),
  ) as Record<(typeof METRIC_COLUMNS)[number], string>),
  reward_mean: 'reward',
  response_length: 'completions/mean_length',
  response_length_min: 'completions/min_length',
  response_length_max: 'completions/max_length',
  truncated_rate: 'completions/clipped_ratio',
  token_entropy: 'entropy',
  clip_fraction: 'clip_ratio',
  token_grad_norm: 'grad_norm',
  token_lr: 'learning_rate',
  head_lr: 'head/learning_rate',
  head_clip_fraction: 'head/clip_ratio',
};

/** A row under its written names, in column order. */
export function namedMetrics(row: IterationMetrics): Record<string, string | number> {
  return Object.fromEntries(METRIC_COLUMNS.map((c) => [METRIC_NAMES[c], row[c]]));
}

/** The written column names of metrics.csv, in order. */
export const METRIC_FILE_COLUMNS: readonly string[] = METRIC_COLUMNS.map((c) => METRIC_NAMES[c]);

/**
 * eval.csv: one row per periodic held-out evaluation; the `*_gain` columns are the paired difference
 * to the first evaluation (iteration 0) with its bootstrap 95% interval (`_low`, `_high`), and
 * greedy_improved / greedy_worsened the problems greedy decoding newly solves / newly fails (see
 * periodic-eval.ts).
 */
export const EVAL_COLUMNS = [
  'iteration',
  'problems',
  'k',
  'avg_at_k',
  'pass_at_k',
  'maj_at_k',
  'greedy_accuracy',
  'mean_temperature',
  'mean_length',
  'greedy_gain',
  'greedy_gain_low',
  'greedy_gain_high',
  'greedy_improved',
  'greedy_worsened',
  'avg_gain',
  'avg_gain_low',
  'avg_gain_high',
  'seconds',
] as const;

export interface IterationRecord {
  iteration: number;
  phase: Phase;
  rollouts: readonly Rollout[];
  verdicts: readonly Verdict[];
  /** the combined training reward of each rollout (train.rewards) */
  rewards: readonly number[];
  /** sampling rounds the batch took (dynamic sampling; 1 without) */
  samplingRounds: number;
  advantages: AdvantageResult;
  tokenSteps: readonly MiniBatchStats[];
  headSteps: readonly HeadStepStats[];
  rolloutSeconds: number;
  updateSeconds: number;
  wallSeconds: number;
  tokenChecksum: number;
  headChecksum: number;
  tokenLr: number;
  headLr: number;
}

const meanOf = <T>(xs: readonly T[], f: (x: T) => number): number => (xs.length ? mean(xs.map(f)) : NaN);

export function iterationMetrics(r: IterationRecord): IterationMetrics {
  const rewards = r.rewards;
  const temps: number[] = [];
  const entropies: number[] = [];
  const headEntropies: number[] = [];
  for (const ro of r.rollouts) {
    ro.temperatures.forEach((t) => temps.push(t));
    ro.entropies.forEach((h) => entropies.push(h));
    ro.actionEntropies?.forEach((h) => headEntropies.push(h));
  }
  const tokens = temps.length;
  const lengths = r.rollouts.map((ro) => ro.tokens.length);
  const adv = Array.from(r.advantages.value.advantages);
  const updatedTokens = r.tokenSteps.reduce((n, s) => n + s.tokens, 0) + r.headSteps.reduce((n, s) => n + s.tokens, 0);
  return {
    iteration: r.iteration,
    phase: r.phase.phase,
    update_token: r.phase.updateToken ? 1 : 0,
    update_temperature: r.phase.updateTemperature ? 1 : 0,
    reward_mean: mean(rewards),
    reward_std: rewards.length > 1 ? std(rewards) : 0,
    accuracy: mean(r.verdicts.map((v) => (v.correct ? 1 : 0))),
    no_answer_rate: mean(r.verdicts.map((v) => (v.extracted === null ? 1 : 0))),
    adv_mean: mean(adv),
    adv_std: adv.length > 1 ? std(adv) : 0,
    adv_abs_max: Math.max(0, ...adv.map(Math.abs)),
    sampling_rounds: r.samplingRounds,
    groups_dropped: r.advantages.value.groups.filter((g) => g.dropped).length / Math.max(1, r.advantages.value.groups.length),
    response_length: mean(lengths),
    response_length_min: lengths.length ? Math.min(...lengths) : NaN,
    response_length_max: lengths.length ? Math.max(...lengths) : NaN,
    truncated_rate: mean(r.rollouts.map((ro) => (ro.finishReason === 'length' ? 1 : 0))),
    frac_reward_zero_std: fracZeroStd(r.rollouts, rewards),
    token_entropy: tokens ? mean(entropies) : NaN,
    temperature_mean: tokens ? mean(temps) : NaN,
    temperature_std: tokens > 1 ? std(temps) : 0,
    temperature_entropy_corr: tokens > 2 ? pearson(temps, entropies) : NaN,
    ...temperatureByEntropy(temps, entropies),
    token_loss: meanOf(r.tokenSteps, (s) => s.loss),
    clip_fraction: meanOf(r.tokenSteps, (s) => s.clipFraction),
    approx_kl: meanOf(r.tokenSteps, (s) => s.approxKl),
    kl: meanOf(r.tokenSteps, (s) => s.kl),
    token_grad_norm: meanOf(r.tokenSteps, (s) => s.gradNorm),
    token_lr: r.tokenLr,
    token_steps: r.tokenSteps.filter((s) => s.applied).length,
    head_loss: meanOf(r.headSteps, (s) => s.loss),
    head_entropy: meanOf(r.headSteps, (s) => s.entropy),
    ...headRolloutEntropy(headEntropies, entropies),
    head_clip_fraction: meanOf(r.headSteps, (s) => s.clipFraction),
    head_grad_norm: meanOf(r.headSteps, (s) => s.gradNorm),
    head_lr: r.headLr,
    head_steps: r.headSteps.filter((s) => s.applied).length,
    skipped_steps: [...r.tokenSteps, ...r.headSteps].filter((s) => !s.applied).length,
    token_checksum: r.tokenChecksum,
    head_checksum: r.headChecksum,
    rollout_tokens: tokens,
    rollout_tokens_per_s: r.rolloutSeconds > 0 ? tokens / r.rolloutSeconds : 0,
    update_tokens_per_s: r.updateSeconds > 0 ? updatedTokens / r.updateSeconds : 0,
    wall_seconds: r.wallSeconds,
  };
}

/** Fraction of prompt groups (rollouts sharing a prompt) whose rewards are all equal. */
function fracZeroStd(rollouts: readonly Rollout[], rewards: readonly number[]): number {
  const groups = new Map<number, number[]>();
  rollouts.forEach((ro, i) => {
    const g = groups.get(ro.promptIndex) ?? [];
    g.push(at(rewards, i, 'rewards'));
    groups.set(ro.promptIndex, g);
  });
  if (groups.size === 0) return NaN;
  let zero = 0;
  for (const g of groups.values()) if (g.every((x) => x === g[0])) zero++;
  return zero / groups.size;
}

/** LLM entropy (nats) from which a token counts as a decision token in the per-bin figures. */
const DECISION_ENTROPY = 0.1;

/**
 * Mean sampling temperature of the tokens in each LLM-entropy bin (nats): what the temperature does
 * at near-deterministic tokens (below 0.01 it changes nothing) versus decision tokens. NaN for an
 * empty bin. Also the share of tokens at entropy >= 0.1.
 */
function temperatureByEntropy(temps: readonly number[], entropies: readonly number[]) {
  const edges = [0.01, DECISION_ENTROPY, 0.5];
  const bin = () => ({ sum: 0, count: 0 });
  const bins = [bin(), bin(), bin(), bin()] as const; // one more than the edges
  entropies.forEach((h, i) => {
    let b = 0;
    while (b < edges.length && h >= (edges[b] ?? Infinity)) b++;
    const into = at(bins, b, 'entropy bins');
    into.sum += at(temps, i, 'temperatures');
    into.count++;
  });
  const meanOf = ({ sum, count }: { sum: number; count: number }) => (count > 0 ? sum / count : NaN);
  return {
    'temperature_h_lt_0.01': meanOf(bins[0]),
    'temperature_h_0.01_0.1': meanOf(bins[1]),
    'temperature_h_0.1_0.5': meanOf(bins[2]),
    'temperature_h_ge_0.5': meanOf(bins[3]),
    'share_h_ge_0.1': entropies.length > 0 ? (bins[2].count + bins[3].count) / entropies.length : NaN,
  };
}

/**
 * The head's entropy as it acted, per rollout token (the head acts in every rollout, so this is
 * measured on token iterations too, where no head step reports its entropy): the mean over all
 * tokens and over decision tokens (LLM entropy >= 0.1). NaN without a head (or without such tokens).
 */
function headRolloutEntropy(headEntropies: readonly number[], entropies: readonly number[]) {
  const decision = headEntropies.filter((_, i) => at(entropies, i, 'token entropies') >= DECISION_ENTROPY);
  return {
    head_rollout_entropy: headEntropies.length ? mean(headEntropies) : NaN,
    'head_rollout_entropy_h_ge_0.1': decision.length ? mean(decision) : NaN,
  };
}

/**
 * A checksum of a policy's weights: an FNV-1a hash of their float32 bits, over at most ~1M evenly
 * strided elements per tensor so that it stays cheap for large models. Any update that changes a
 * hashed element changes it; equal checksums across a phase show the policy was held fixed.
 */
export function weightChecksum(params: ReadonlyMap<string, { data: Float32Array }>): number {
  let hash = 0x811c9dc5;
  for (const [, { data }] of [...params].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
    const stride = Math.max(1, Math.floor(bits.length / 1_000_000));
    // A per-element kernel over up to ~1M elements: i < bits.length, so the read is in range.
    for (let i = 0; i < bits.length; i += stride) {
      hash = Math.imul(hash ^ bits[i]!, 0x01000193) >>> 0;
    }
  }
  return hash;
}
