/**
 * Token-level quantities and losses of the training graphs, composed from primitive ops so that
 * autodiff differentiates them without special rules. Everything works on the T-1 predicted
 * positions: entry t-1 concerns the token at t, predicted from positions < t.
 */
import type { GraphBuilder, Value } from '../../onnx/index.js';

/**
 * Denominators of masked means are floored here, so an all-zero mask gives a loss of 0 (and zero
 * gradients) instead of 0/0 = NaN; real masks (token counts, 1/len weights) are far above it.
 */
const MIN_MASK_SUM = 1e-30;

/** `sum(mask * x) / sum(mask)` over all entries: a scalar. */
export function maskedMean(g: GraphBuilder, x: Value, mask: Value): Value {
  const total = g.reduceSum(g.mul(x, mask), { keepdims: false });
  return g.div(total, g.max(g.reduceSum(mask, { keepdims: false }), MIN_MASK_SUM));
}

/** Mean next-token cross-entropy where `mask` [B, M] is nonzero (weighted by it). */
export function crossEntropyLoss(g: GraphBuilder, logprobs: Value, mask: Value): Value {
  return g.neg(maskedMean(g, logprobs, mask));
}

export interface PolicyLossInputs {
  /** [B, M] log-probs under the current weights (at the sampling temperatures) */
  logprobs: Value;
  /** [B, M] log-probs the tokens had when they were sampled */
  oldLogprobs: Value;
  /** [B] one advantage per sequence */
  advantages: Value;
  /** [B, M] token weights */
  mask: Value;
  /** scalars: the ratio is clipped to [1 - clipLow, 1 + clipHigh] */
  clipLow: Value;
  clipHigh: Value;
}

/**
 * The PPO/GRPO clipped surrogate (Schulman et al. 2017, with DAPO's decoupled clip range):
 * ratio = exp(logp - old); loss = -masked_mean(min(ratio * A, clip(ratio, 1-lo, 1+hi) * A)).
 * Also returns the masked fraction of tokens where the clipped branch is the smaller one (those
 * tokens get no gradient), as verl's `pg_clipfrac`.
 */
export function clippedPolicyLoss(g: GraphBuilder, x: PolicyLossInputs): { loss: Value; clipFraction: Value } {
  const ratio = g.exp(g.sub(x.logprobs, x.oldLogprobs)); // [B, M]
  const advantage = g.unsqueeze(x.advantages, { axes: [1] }); // [B, 1]
  const unclipped = g.mul(ratio, advantage);
  const clipped = g.mul(g.clip(ratio, { min: g.sub(1, x.clipLow), max: g.add(1, x.clipHigh) }), advantage);
  // On ties (ratio inside the clip range) Min splits the gradient between two equal branches,
  // whose gradients are equal there, so the total is the unclipped gradient.
  const objective = g.min(unclipped, clipped);
  const clipFraction = maskedMean(g, g.cast(g.less(clipped, unclipped), { to: 'float32' }), x.mask);
  return { loss: g.neg(maskedMean(g, objective, x.mask)), clipFraction };
}

/**
 * The k3 estimator of KL(pi || ref) per token (Schulman, "Approximating KL divergence"):
 * exp(ref - logp) - (ref - logp) - 1, unbiased and always >= 0.
 */
export function klK3(g: GraphBuilder, logprobs: Value, refLogprobs: Value): Value {
  const diff = g.sub(refLogprobs, logprobs);
  return g.sub(g.sub(g.exp(diff), diff), 1);
}
