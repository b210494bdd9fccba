/**
 * Token-level quantities of the training graphs, composed from primitive ops so that autodiff
 * differentiates them without special rules: the masked mean, per-token log-probs and entropy, and
 * cross-entropy. Everything works on the T-1 predicted positions: entry t-1 concerns the token at t,
 * predicted from positions < t. The policy losses are in the one loss table, policy-losses.ts.
 */
import type { GraphBuilder, Value } from '../../onnx/index.js';

/**
 * Denominators of masked means are floored here, so an all-zero mask gives a loss of 0 (and zero
 * gradients) instead of 0/0 = NaN; real masks (token counts, 1/len weights) are far above it.
 * (1e-30 is a normal float32; the one floor of every masked mean, the head's graph included.)
 */
const MIN_MASK_SUM = 1e-30;

/** `sum(mask * x) / sum(mask)` over all entries: a scalar. The one masked mean of the graphs. */
export function maskedMean(g: GraphBuilder, x: Value, mask: Value): Value {
  const total = g.reduceSum(g.mul(x, mask), { keepdims: false });
  return g.div(total, g.max(g.reduceSum(mask, { keepdims: false }), MIN_MASK_SUM));
}

/** Mean next-token cross-entropy where `mask` [B, M] is nonzero (weighted by it). */
export function crossEntropyLoss(g: GraphBuilder, logprobs: Value, mask: Value): Value {
  return g.neg(maskedMean(g, logprobs, mask));
}
