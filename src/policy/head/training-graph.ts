/**
 * The head's training graph: PPO-clipped policy gradient for the temperature policy, with the
 * gradients of the loss with respect to the head's parameters built by the project's autodiff.
 *
 * Per row n (one decoding step of one rollout):
 *
 *   ratio_n = exp(logp_n - old_n)
 *   l_n     = -min(ratio_n A_n, clip(ratio_n, 1 - clip_low, 1 + clip_high) A_n)
 *   loss    = sum_n m_n l_n / sum_n m_n  -  entropy_coef * sum_n m_n H_n / sum_n m_n
 *
 * with the same conventions as src/rl/losses.ts (clip_low/clip_high are distances from 1). The mask
 * m doubles as per-row weights, so the caller chooses the aggregation (token-mean: 0/1 mask; a
 * per-sequence mean: 1/length weights). An all-zero mask gives loss 0 and zero gradients.
 *
 * Inputs:  fc1.weight [D, H], fc1.bias [D], fc2.weight [K, D], fc2.bias [K], hidden [N, H],
 *          actions [N] (int64 grid index; lognormal: sampled temperatures), old_logprobs [N],
 *          advantages [N], mask [N], clip_low [], clip_high [], entropy_coef []
 * Outputs: loss [], grad.<param> (each its parameter's shape), logprobs [N], entropy [N]
 * All float inputs and outputs share the graph's dtype (float32, or float64 for tests).
 */
import { type Graph, GraphBuilder, type Value, grad } from '../../onnx/index.js';
import type { TemperatureHeadConfig } from './config.js';
import { actionScorers } from './distribution.js';
import { type HeadDType, declareHeadParams, headLayers } from './graph.js';
import { HEAD_PARAM_NAMES } from './parameters.js';

/** Guards sum(mask) = 0 (a batch without any live row) against 0/0. */
const MIN_MASK_SUM = 1e-12;

/** Builds the training graph described above. */
export function temperatureHeadTrainingGraph(config: TemperatureHeadConfig, opts: { dtype?: HeadDType } = {}): Graph {
  const dtype = opts.dtype ?? 'float32';
  const g = new GraphBuilder('temperature_head_train');
  const p = declareHeadParams(g, config, { as: 'inputs' }, { dtype });
  const hidden = g.input('hidden', dtype, ['N', config.inputSize]);
  const actions = g.input('actions', config.kind === 'grid' ? 'int64' : dtype, ['N']);
  const oldLogprobs = g.input('old_logprobs', dtype, ['N']);
  const advantages = g.input('advantages', dtype, ['N']);
  const mask = g.input('mask', dtype, ['N']);
  const clipLow = g.input('clip_low', dtype, []);
  const clipHigh = g.input('clip_high', dtype, []);
  const entropyCoef = g.input('entropy_coef', dtype, []);

  const { logprobs, entropy } = actionScorers[config.kind](g, headLayers(g, hidden, p), actions);
  const ratio = g.exp(g.sub(logprobs, oldLogprobs)); // [N]
  const clipped = g.clip(ratio, { min: g.sub(1, clipLow), max: g.add(clipHigh, 1) });
  const surrogate = g.neg(g.min(g.mul(ratio, advantages), g.mul(clipped, advantages))); // [N]
  const maskSum = g.max(g.reduceSum(mask, { keepdims: false }), MIN_MASK_SUM);
  const maskedMean = (x: Value): Value => g.div(g.reduceSum(g.mul(mask, x), { keepdims: false }), maskSum); // []
  const loss = g.sub(maskedMean(surrogate), g.mul(entropyCoef, maskedMean(entropy)));

  g.output(loss, 'loss');
  g.output(logprobs, 'logprobs');
  g.output(entropy, 'entropy');
  return grad(g.build(), 'loss', [...HEAD_PARAM_NAMES], { keepOutputs: ['logprobs', 'entropy'] });
}
