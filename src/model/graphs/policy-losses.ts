/**
 * The one table of policy losses. Each entry is the training path and its reference side by side:
 * the ONNX graph of the per-token loss (what the LLM's `policy` graph and the temperature head's
 * training graph compute), a plain float64 loop of the same loss (what tests check the graphs
 * against), and the per-token "clipped" indicator behind the one clip-fraction metric. Both training
 * graphs go through {@link policyObjective}, which adds the KL and entropy terms and aggregates.
 *
 * Aggregation (token-mean, seq-mean-token-mean, ...) is apart from the loss, as verl's `agg_loss`:
 * every mode is a weighted sum, aggregated = sum(w * l), so the graphs take the weights w as an input
 * (rl/loss-aggregation.ts computes them, and holds each mode's plain-loop reference).
 *
 * Conventions: log-probs are natural logs of the probability of the sampled token (or the sampled
 * temperature) under the policy; for the token policy they come from temperature-scaled logits,
 * log softmax(z / T)[y], with T the temperature the token was sampled at.
 */
import type { GraphBuilder, Value } from '../../onnx/index.js';
import { Registry, type Complete } from '../../util/registry.js';
import { maskedMean } from './losses.js';
import { at } from '../../util/must.js';

/** Registered policy loss names: what `train.loss.type` may say. */
import type { PolicyLossName } from '../../config/names.js';
export type { PolicyLossName };

/**
 * Lower bound of dual-clip PPO's objective for negative advantages, as a multiple of A (Ye et al.
 * 2020, "Mastering Complex Control in MOBA Games with Deep RL"; verl's `clip_ratio_c`, default 3).
 */
export const DUAL_CLIP_C = 3;

/** Per-token inputs of a loss graph, all of one shape (e.g. [B, M] tokens or [N] head steps). */
export interface LossGraphInputs {
  /** log-probs under the current weights (differentiable) */
  logprobs: Value;
  /** log-probs at sampling time (fed, no gradient) */
  oldLogprobs: Value;
  /** the sequence's advantage at every token (broadcastable to logprobs) */
  advantages: Value;
  /** scalars: the ratio is clipped to [1 - clipLow, 1 + clipHigh] */
  clipLow: Value;
  clipHigh: Value;
}

/** One token of the plain-loop reference. */
export interface LossTokenInput {
  logp: number;
  oldLogp: number;
  advantage: number;
  clipLow: number;
  clipHigh: number;
}

export interface PolicyLossDefinition {
  /** one line for the config docs: the objective and when to prefer it */
  readonly summary: string;
  /** The per-token loss and whether each token's gradient is clipped away (a 0/1 float tensor). */
  graph(g: GraphBuilder, x: LossGraphInputs): { perToken: Value; clipped: Value };
  /** The same per-token loss and indicator as a plain float64 loop. */
  reference(x: LossTokenInput): { loss: number; clipped: boolean };
}

/**
 * PPO's clipped surrogate of one token (Schulman et al. 2017; DAPO's decoupled "clip-higher" bounds):
 * ratio = exp(logp - oldLogp), loss = -min(ratio * A, clip(ratio, 1 - clipLow, 1 + clipHigh) * A).
 */
export function clippedSurrogate(logp: number, oldLogp: number, advantage: number, clipLow: number, clipHigh: number): number {
  const ratio = Math.exp(logp - oldLogp);
  const clipped = Math.min(Math.max(ratio, 1 - clipLow), 1 + clipHigh);
  return -Math.min(ratio * advantage, clipped * advantage);
}

/**
 * A token is clipped when the clipped branch is the active (smaller) one, so its gradient is zero:
 * ratio > 1 + clipHigh for A > 0, ratio < 1 - clipLow for A < 0, never for A = 0 (sign-aware).
 */
function clipActive(x: LossTokenInput): boolean {
  const ratio = Math.exp(x.logp - x.oldLogp);
  return (x.advantage > 0 && ratio > 1 + x.clipHigh) || (x.advantage < 0 && ratio < 1 - x.clipLow);
}

/** The clipped surrogate's graph: per-token loss and the clipped-branch indicator. */
function clippedGraph(g: GraphBuilder, x: LossGraphInputs): { perToken: Value; ratio: Value; clippedTerm: Value; unclippedTerm: Value } {
  const ratio = g.exp(g.sub(x.logprobs, x.oldLogprobs));
  const unclippedTerm = g.mul(ratio, x.advantages);
  const clippedTerm = g.mul(g.clip(ratio, { min: g.sub(1, x.clipLow), max: g.add(1, x.clipHigh) }), x.advantages);
  // On ties (ratio inside the clip range) Min splits the gradient between two equal branches,
  // whose gradients are equal there, so the total is the unclipped gradient.
  return { perToken: g.neg(g.min(unclippedTerm, clippedTerm)), ratio, clippedTerm, unclippedTerm };
}

const asFloat = (g: GraphBuilder, condition: Value, like: Value): Value => g.cast(condition, { to: like.dtype });

export const policyLosses: Complete<PolicyLossName, PolicyLossDefinition> = new Registry<PolicyLossName, PolicyLossDefinition>(
  'policy loss',
)
  .register('clipped', {
    summary:
      'PPO/GRPO clipped surrogate with decoupled clip bounds (DAPO clip-higher): the usual choice; tokens whose ratio left the trust region in the direction of the advantage get no gradient.',
    graph(g, x) {
      const c = clippedGraph(g, x);
      return { perToken: c.perToken, clipped: asFloat(g, g.less(c.clippedTerm, c.unclippedTerm), x.logprobs) };
    },
    reference(x) {
      return { loss: clippedSurrogate(x.logp, x.oldLogp, x.advantage, x.clipLow, x.clipHigh), clipped: clipActive(x) };
    },
  })
  .register('dual-clip', {
    summary: `dual-clip PPO (Ye et al. 2020): the clipped surrogate, and for A < 0 the loss is also capped at -${DUAL_CLIP_C} A, so a token whose ratio has grown far (stale or off-policy samples) cannot dominate a step; the same as clipped for on-policy single-epoch updates.`,
    graph(g, x) {
      const c = clippedGraph(g, x);
      const cap = g.mul(x.advantages, -DUAL_CLIP_C); // -c A: positive where A < 0
      const negative = g.less(x.advantages, 0);
      const perToken = g.where(negative, g.min(c.perToken, cap), c.perToken);
      const capped = g.and(negative, g.greater(c.perToken, cap));
      const clipped = g.max(asFloat(g, g.less(c.clippedTerm, c.unclippedTerm), x.logprobs), asFloat(g, capped, x.logprobs));
      return { perToken, clipped };
    },
    reference(x) {
      const standard = clippedSurrogate(x.logp, x.oldLogp, x.advantage, x.clipLow, x.clipHigh);
      const cap = -DUAL_CLIP_C * x.advantage;
      if (x.advantage < 0 && standard > cap) return { loss: cap, clipped: true };
      return { loss: standard, clipped: clipActive(x) };
    },
  });

/**
 * k3 estimator of KL(pi || ref) from one sample (Schulman, "Approximating KL divergence", 2020):
 * exp(ref - logp) - (ref - logp) - 1. Unbiased, always >= 0, and the one GRPO uses for its KL penalty.
 */
export function k3Kl(logp: number, refLogp: number): number {
  const d = refLogp - logp;
  return Math.exp(d) - d - 1;
}

/** The k3 estimator per token as a graph (see {@link k3Kl}). */
export function klK3(g: GraphBuilder, logprobs: Value, refLogprobs: Value): Value {
  const diff = g.sub(refLogprobs, logprobs);
  return g.sub(g.sub(g.exp(diff), diff), 1);
}

export interface PolicyObjectiveInputs extends LossGraphInputs {
  /** per-token aggregation weights: loss = sum(w * l); 0 for prompt, padding and greedy tokens */
  weights: Value;
  /** the KL penalty to a frozen reference: + coef * sum(w * k3) */
  kl?: { refLogprobs: Value; coef: Value };
  /** the entropy bonus: - coef * sum(w * H), with H the per-token entropy */
  entropy?: { perToken: Value; coef: Value };
}

/**
 * The policy objective of both training graphs: the named loss per token, plus the KL and entropy
 * terms, aggregated with the weights of the chosen aggregation mode; and the clip fraction, the
 * weighted fraction of tokens whose gradient the loss clipped away (sum(w * clipped) / sum(w)).
 */
export function policyObjective(g: GraphBuilder, name: string, x: PolicyObjectiveInputs): { loss: Value; clipFraction: Value } {
  const { perToken, clipped } = policyLosses.get(name).graph(g, x);
  const weightedSum = (v: Value): Value => g.reduceSum(g.mul(v, x.weights), { keepdims: false });
  let loss = weightedSum(perToken);
  // The terms aggregate the same summed or apart: every aggregation is linear in the per-token loss.
  if (x.kl) loss = g.add(loss, g.mul(x.kl.coef, weightedSum(klK3(g, x.logprobs, x.kl.refLogprobs))));
  if (x.entropy) loss = g.sub(loss, g.mul(x.entropy.coef, weightedSum(x.entropy.perToken)));
  return { loss, clipFraction: maskedMean(g, clipped, x.weights) };
}

/** Inputs of {@link policyObjectiveReference}: flat per-token arrays of equal length. */
export interface PolicyObjectiveReferenceInput {
  logp: ArrayLike<number>;
  oldLogp: ArrayLike<number>;
  /** per token: its sequence's advantage */
  advantages: ArrayLike<number>;
  weights: ArrayLike<number>;
  clipLow: number;
  clipHigh: number;
  kl?: { refLogp: ArrayLike<number>; coef: number };
  entropy?: { perToken: ArrayLike<number>; coef: number };
}

/** {@link policyObjective} as a plain float64 loop over tokens: the reference the graphs are tested against. */
export function policyObjectiveReference(
  name: string,
  x: PolicyObjectiveReferenceInput,
): { loss: number; clipFraction: number; perToken: Float64Array } {
  const loss = policyLosses.get(name);
  const perToken = new Float64Array(x.logp.length);
  let total = 0;
  let clippedWeight = 0;
  let weight = 0;
  for (let i = 0; i < x.logp.length; i++) {
    const logp = at(x.logp, i, 'logp');
    const token = loss.reference({
      logp,
      oldLogp: at(x.oldLogp, i, 'oldLogp'),
      advantage: at(x.advantages, i, 'advantages'),
      clipLow: x.clipLow,
      clipHigh: x.clipHigh,
    });
    let l = token.loss;
    if (x.kl) l += x.kl.coef * k3Kl(logp, at(x.kl.refLogp, i, 'refLogp'));
    if (x.entropy) l -= x.entropy.coef * at(x.entropy.perToken, i, 'entropy');
    perToken[i] = l;
    const w = at(x.weights, i, 'weights');
    total += w * l;
    weight += w;
    if (token.clipped) clippedWeight += w;
  }
  return { loss: total, clipFraction: weight > 0 ? clippedWeight / weight : 0, perToken };
}
