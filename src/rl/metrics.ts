/**
 * One row of metrics.csv per training iteration: what the rollouts looked like, what the updates
 * did, and weight checksums per policy (so a log shows that a phase changed only its own policy).
 */
import { mean, pearson, std } from '../util/stats.js';
import type { Rollout } from '../rollout/types.js';
import type { Verdict } from '../tasks/index.js';
import type { AdvantageResult } from './advantages.js';
import type { HeadStepStats } from './head-update.js';
import type { Phase } from './phase-schedule.js';
import type { MiniBatchStats } from './token-update.js';

export const METRIC_COLUMNS = [
  'iteration', 'phase', 'update_token', 'update_temperature',
  'reward_mean', 'reward_std', 'accuracy', 'no_answer_rate',
  'adv_mean', 'adv_std', 'adv_abs_max', 'groups_dropped',
  'response_length', 'token_entropy', 'temperature_mean', 'temperature_std', 'temperature_entropy_corr',
  'token_loss', 'clip_fraction', 'approx_kl', 'token_grad_norm', 'token_lr', 'token_steps',
  'head_loss', 'head_entropy', 'head_clip_fraction', 'head_grad_norm', 'head_lr', 'head_steps',
  'skipped_steps', 'token_checksum', 'head_checksum',
  'rollout_tokens', 'rollout_tokens_per_s', 'update_tokens_per_s', 'wall_seconds',
] as const;

export type IterationMetrics = { [K in (typeof METRIC_COLUMNS)[number]]: K extends 'phase' ? string : number };

export const EVAL_COLUMNS = ['iteration', 'problems', 'k', 'avg_at_k', 'pass_at_k', 'maj_at_k', 'mean_temperature', 'mean_length', 'seconds'] as const;

export interface IterationRecord {
  iteration: number;
  phase: Phase;
  rollouts: readonly Rollout[];
  verdicts: readonly Verdict[];
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
  const rewards = r.verdicts.map((v) => v.reward);
  const temps: number[] = [];
  const entropies: number[] = [];
  for (const ro of r.rollouts) {
    ro.temperatures.forEach((t) => temps.push(t));
    ro.entropies.forEach((h) => entropies.push(h));
  }
  const tokens = temps.length;
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
    groups_dropped: r.advantages.value.groups.filter((g) => g.dropped).length / Math.max(1, r.advantages.value.groups.length),
    response_length: mean(r.rollouts.map((ro) => ro.tokens.length)),
    token_entropy: tokens ? mean(entropies) : NaN,
    temperature_mean: tokens ? mean(temps) : NaN,
    temperature_std: tokens > 1 ? std(temps) : 0,
    temperature_entropy_corr: tokens > 2 ? pearson(temps, entropies) : NaN,
    token_loss: meanOf(r.tokenSteps, (s) => s.loss),
    clip_fraction: meanOf(r.tokenSteps, (s) => s.clipFraction),
    approx_kl: meanOf(r.tokenSteps, (s) => s.approxKl),
    token_grad_norm: meanOf(r.tokenSteps, (s) => s.gradNorm),
    token_lr: r.tokenLr,
    token_steps: r.tokenSteps.filter((s) => s.applied).length,
    head_loss: meanOf(r.headSteps, (s) => s.loss),
    head_entropy: meanOf(r.headSteps, (s) => s.entropy),
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

/**
 * A checksum of a policy's weights: an FNV-1a hash of their float32 bits, over at most ~1M evenly
 * strided elements per tensor so that it stays cheap for large models. Any update that changes a
 * hashed element changes it; equal checksums across a phase show the policy was held fixed.
 */
export function weightChecksum(params: ReadonlyMap<string, { data: Float32Array }>): number {
  let hash = 0x811c9dc5;
  for (const name of [...params.keys()].sort()) {
    const data = params.get(name)!.data;
    const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
    const stride = Math.max(1, Math.floor(bits.length / 1_000_000));
    for (let i = 0; i < bits.length; i += stride) {
      hash = Math.imul(hash ^ bits[i]!, 0x01000193) >>> 0;
    }
  }
  return hash;
}
