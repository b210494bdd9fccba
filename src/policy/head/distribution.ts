/**
 * Log-probabilities of sampled temperature actions and the head's entropy, as graph pieces, one
 * entry per head kind. They must agree with what the sampler recorded at rollout time
 * (src/policy/grid-action.ts and log-normal.ts), since PPO's ratio is exp(new - old).
 *
 * - `grid`: log softmax(logits)[action]; entropy -sum_k p_k log p_k (nats).
 * - `lognormal`: the density of the temperature T itself, as sampleLogNormal records it:
 *     log p(T) = -log T - logStd - log(2 pi)/2 - (log T - mu)^2 / (2 sigma^2),  sigma = exp(logStd)
 *   and, consistently, the differential entropy of T (not of log T):
 *     H(T) = mu + logStd + (1 + log(2 pi)) / 2.
 *   Unlike the entropy of log T this grows with mu, so an entropy bonus on a log-normal head also
 *   pushes its temperatures up, by entropy_coef per unit of mu: keep the coefficient small.
 */
import type { GraphBuilder, Value } from '../../onnx/index.js';
import type { HeadKind } from './config.js';

export interface ActionScores {
  /** log-probability (density for lognormal) of each row's action, nats, [N] */
  logprobs: Value;
  /** the head's entropy per row, nats, [N] */
  entropy: Value;
}

/**
 * @param output the head's output [N, K] (grid logits, or (mu, logStd) for lognormal)
 * @param actions [N]: int64 grid indices, or the sampled temperatures (> 0) for lognormal
 */
export type ActionScorer = (g: GraphBuilder, output: Value, actions: Value) => ActionScores;

const HALF_LOG_TWO_PI = 0.5 * Math.log(2 * Math.PI);

export const actionScorers: Record<HeadKind, ActionScorer> = {
  grid: (g, logits, actions) => {
    const logp = g.logSoftmax(logits, { axis: -1 }); // [N, K]
    const picked = g.gatherElements(logp, g.unsqueeze(actions, { axes: [1] }), { axis: 1 }); // [N, 1]
    return {
      logprobs: g.squeeze(picked, { axes: [1] }), // [N]
      entropy: g.neg(g.reduceSum(g.mul(g.exp(logp), logp), { axes: [-1], keepdims: false })), // [N]
    };
  },
  lognormal: (g, params, temperatures) => {
    const [mu, logStd] = g.split(params, { axis: 1, split: [1, 1] }).map((v) => g.squeeze(v, { axes: [1] })) as [Value, Value]; // 2 x [N]
    const logT = g.log(temperatures);
    // (log T - mu) / sigma written as a product with exp(-logStd): no division by a tiny sigma.
    const z = g.mul(g.sub(logT, mu), g.exp(g.neg(logStd)));
    const logprobs = g.sub(g.sub(g.neg(logT), logStd), g.add(g.mul(g.mul(z, z), 0.5), HALF_LOG_TWO_PI));
    return { logprobs, entropy: g.add(g.add(mu, logStd), 0.5 + HALF_LOG_TWO_PI) };
  },
};
