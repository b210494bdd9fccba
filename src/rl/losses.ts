/**
 * Plain-loop float64 reference implementations of the per-token losses that the ONNX training graphs
 * compute. They are not used in the training loop itself; tests run a graph and these loops on the same
 * inputs and compare. Aggregation over tokens lives apart, in `loss-aggregation.ts` (as verl's `agg_loss`).
 *
 * Conventions: log-probs are natural logs of the probability of the sampled token (or sampled temperature)
 * under the policy; for the token policy they come from temperature-scaled logits, log softmax(z / T)[y],
 * with T the temperature that was used when the token was sampled.
 */
import { Registry } from '../util/registry.js';
import { UserError } from '../util/errors.js';
import { matrixShape, type TokenMatrix } from './token-matrix.js';

/**
 * Clipped surrogate loss of one token (PPO, Schulman et al. 2017; asymmetric "clip-higher" bounds as DAPO):
 * ratio = exp(logp - oldLogp), loss = -min(ratio * A, clip(ratio, 1 - clipLow, 1 + clipHigh) * A).
 */
export function clippedSurrogate(logp: number, oldLogp: number, advantage: number, clipLow: number, clipHigh: number): number {
  const ratio = Math.exp(logp - oldLogp);
  const clipped = Math.min(Math.max(ratio, 1 - clipLow), 1 + clipHigh);
  return -Math.min(ratio * advantage, clipped * advantage);
}

/**
 * k3 estimator of KL(pi || ref) from one sample (Schulman, "Approximating KL divergence", 2020):
 * exp(ref - logp) - (ref - logp) - 1. Unbiased, always >= 0, and the one GRPO uses for its KL penalty.
 */
export function k3Kl(logp: number, refLogp: number): number {
  const d = refLogp - logp;
  return Math.exp(d) - d - 1;
}

/** log softmax(logits / temperature), computed with the max subtracted for stability. Shape [V] -> [V]. */
export function temperatureLogSoftmax(logits: ArrayLike<number>, temperature: number): Float64Array {
  if (!(temperature > 0)) throw new RangeError(`temperature must be > 0, got ${temperature}`);
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i] / temperature);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i] / temperature - max);
  const logZ = max + Math.log(sum);
  const out = new Float64Array(logits.length);
  for (let i = 0; i < logits.length; i++) out[i] = logits[i] / temperature - logZ;
  return out;
}

/** Entropy -sum p log p (nats) of softmax(logits / temperature). Shape [V] -> scalar. */
export function entropyFromLogits(logits: ArrayLike<number>, temperature: number): number {
  const logp = temperatureLogSoftmax(logits, temperature);
  let h = 0;
  for (let i = 0; i < logp.length; i++) h -= Math.exp(logp[i]) * logp[i];
  return h;
}

export type PolicyLossName = 'clipped';

export interface PolicyLossInput {
  /** [B][T] log-probs of the sampled tokens under the policy being trained. */
  logp: TokenMatrix;
  /** [B][T] log-probs under the policy that sampled the rollouts (detached). */
  oldLogp: TokenMatrix;
  /** [B] per-sequence advantages, broadcast over the sequence's tokens. */
  advantages: ArrayLike<number>;
  /** [B][T] 1 for response tokens, 0 for padding; only used for the metrics. */
  mask: TokenMatrix;
  /** Lower clip range: the ratio is clipped below at 1 - clipLow (e.g. 0.2). */
  clipLow: number;
  /** Upper clip range: the ratio is clipped above at 1 + clipHigh (e.g. 0.2, DAPO uses 0.28). */
  clipHigh: number;
  /** [B][T] log-probs under the frozen reference policy; required when klCoef > 0. */
  refLogp?: TokenMatrix;
  /** Weight of the k3 KL penalty (0 = none). */
  klCoef?: number;
  /** [B][T] entropy (nats) of the policy's distribution at each position; required when entropyCoef > 0. */
  entropy?: TokenMatrix;
  /** Weight of the entropy bonus: the loss subtracts entropyCoef * entropy (0 = none). */
  entropyCoef?: number;
}

export interface PolicyLossResult {
  /** [B][T] per-token loss = surrogate + klCoef * k3 - entropyCoef * entropy, padding included (mask later). */
  value: Float64Array[];
  metrics: PolicyRatioMetrics;
}

/** The shared signature of every policy loss; aggregation with a mask is a separate step. */
export type PolicyLoss = (input: PolicyLossInput) => PolicyLossResult;

export const policyLosses = new Registry<PolicyLossName, PolicyLoss>('policy loss').register('clipped', (input) => {
  validateLossInput(input);
  const klCoef = input.klCoef ?? 0;
  const entropyCoef = input.entropyCoef ?? 0;
  const value = input.logp.map((row, b) => {
    const out = new Float64Array(row.length);
    for (let t = 0; t < row.length; t++) {
      let loss = clippedSurrogate(row[t], input.oldLogp[b][t], input.advantages[b], input.clipLow, input.clipHigh);
      // The sum of the three terms aggregates the same as aggregating each and summing (verl's layout):
      // every aggregation mode is linear in the per-token loss for a fixed mask.
      if (klCoef !== 0) loss += klCoef * k3Kl(row[t], input.refLogp![b][t]);
      if (entropyCoef !== 0) loss -= entropyCoef * input.entropy![b][t];
      out[t] = loss;
    }
    return out;
  });
  return { value, metrics: policyRatioMetrics(input.logp, input.oldLogp, input.mask, input.clipLow, input.clipHigh) };
});

function validateLossInput(input: PolicyLossInput): void {
  const matrices: Record<string, TokenMatrix> = { logp: input.logp, oldLogp: input.oldLogp, mask: input.mask };
  if ((input.klCoef ?? 0) !== 0) {
    if (!input.refLogp) throw new RangeError('klCoef > 0 needs refLogp');
    matrices.refLogp = input.refLogp;
  }
  if ((input.entropyCoef ?? 0) !== 0) {
    if (!input.entropy) throw new RangeError('entropyCoef > 0 needs entropy');
    matrices.entropy = input.entropy;
  }
  const { batch } = matrixShape(matrices);
  if (input.advantages.length !== batch) throw new RangeError(`${input.advantages.length} advantages for ${batch} sequences`);
  if (!(input.clipLow >= 0 && input.clipLow < 1)) throw new UserError(`clipLow must be in [0, 1), got ${input.clipLow}`);
  if (!(input.clipHigh >= 0)) throw new UserError(`clipHigh must be >= 0, got ${input.clipHigh}`);
}

/** Diagnostics of how far the trained policy has moved from the sampling policy, averaged over masked tokens. */
export interface PolicyRatioMetrics {
  /** Fraction of tokens whose ratio lies outside [1 - clipLow, 1 + clipHigh] (either side). */
  'policy/clip_fraction': number;
  /** Fraction with ratio < 1 - clipLow. */
  'policy/clip_fraction_low': number;
  /** Fraction with ratio > 1 + clipHigh. */
  'policy/clip_fraction_high': number;
  /** k1 estimate of KL(old || new): mean(oldLogp - logp), as verl's `ppo_kl`; can be negative. */
  'policy/approx_kl': number;
  /** k3 estimate of KL(old || new): mean((ratio - 1) - log ratio), >= 0 and lower variance. */
  'policy/approx_kl_k3': number;
  /** Mean of the importance ratio exp(logp - oldLogp). */
  'policy/ratio_mean': number;
}

/**
 * Clip fractions and approximate KL between the sampling policy and the current one, over tokens with
 * mask != 0 (mask values weight the tokens). All zeros when the mask is empty.
 * @param logp [B][T] @param oldLogp [B][T] @param mask [B][T]
 */
export function policyRatioMetrics(logp: TokenMatrix, oldLogp: TokenMatrix, mask: TokenMatrix, clipLow: number, clipHigh: number): PolicyRatioMetrics {
  matrixShape({ logp, oldLogp, mask });
  let total = 0;
  let low = 0;
  let high = 0;
  let k1 = 0;
  let k3 = 0;
  let ratioSum = 0;
  for (let b = 0; b < logp.length; b++) {
    for (let t = 0; t < logp[b].length; t++) {
      const w = mask[b][t];
      if (w === 0) continue;
      const logRatio = logp[b][t] - oldLogp[b][t];
      const ratio = Math.exp(logRatio);
      total += w;
      if (ratio < 1 - clipLow) low += w;
      if (ratio > 1 + clipHigh) high += w;
      k1 -= w * logRatio;
      k3 += w * (ratio - 1 - logRatio);
      ratioSum += w * ratio;
    }
  }
  const mean = (x: number) => (total > 0 ? x / total : 0);
  return {
    'policy/clip_fraction': mean(low + high),
    'policy/clip_fraction_low': mean(low),
    'policy/clip_fraction_high': mean(high),
    'policy/approx_kl': mean(k1),
    'policy/approx_kl_k3': mean(k3),
    'policy/ratio_mean': mean(ratioSum),
  };
}

/** Looks up a policy loss by name and applies it. */
export function computePolicyLoss(name: string, input: PolicyLossInput): PolicyLossResult {
  return policyLosses.get(name)(input);
}
