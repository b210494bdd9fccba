/**
 * The head's training graph: the temperature policy's objective from the one loss table
 * (model/graphs/policy-losses.ts, `policyObjective`), with the gradients of the loss with respect to
 * the head's parameters built by the project's autodiff.
 *
 * Per row n (one decoding step of one rollout), for the default `clipped` loss:
 *
 *   ratio_n = exp(logp_n - old_n)
 *   l_n     = -min(ratio_n A_n, clip(ratio_n, 1 - clip_low, 1 + clip_high) A_n)
 *   loss    = sum_n w_n l_n  -  entropy_coef * sum_n w_n H_n
 *
 * with w the aggregation's weights (rl/loss-aggregation.ts: token-mean 1/N, seq-mean-token-mean
 * 1/(len * sequences), ...). An all-zero w gives loss 0 and zero gradients.
 *
 * Inputs:  fc1.weight [D, H], fc1.bias [D], fc2.weight [K, D], fc2.bias [K], hidden [N, H],
 *          actions [N] (int64 grid index; lognormal: sampled temperatures), old_logprobs [N],
 *          advantages [N], mask [N] (the weights w), clip_low [], clip_high [], entropy_coef []
 * Outputs: loss [], grad.<param> (each its parameter's shape), logprobs [N], entropy [N], clip_fraction []
 * All float inputs and outputs share the graph's dtype (float32, or float64 for tests).
 */
import { type Graph, GraphBuilder, grad } from '../../onnx/index.js';
import { policyObjective } from '../../model/graphs/policy-losses.js';
import type { TemperatureHeadConfig } from './config.js';
import { actionScorers } from './distribution.js';
import { type HeadDType, declareHeadParams, headLayers } from './graph.js';
import { HEAD_PARAM_NAMES } from './parameters.js';

/** Builds the training graph described above, with the named loss of the loss table (default `clipped`). */
export function temperatureHeadTrainingGraph(config: TemperatureHeadConfig, opts: { dtype?: HeadDType; loss?: string } = {}): Graph {
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
  const { loss, clipFraction } = policyObjective(g, opts.loss ?? 'clipped', {
    logprobs,
    oldLogprobs,
    advantages,
    weights: mask,
    clipLow,
    clipHigh,
    entropy: { perToken: entropy, coef: entropyCoef },
  });

  g.output(loss, 'loss');
  g.output(logprobs, 'logprobs');
  g.output(entropy, 'entropy');
  g.output(clipFraction, 'clip_fraction');
  return grad(g.build(), 'loss', [...HEAD_PARAM_NAMES], { keepOutputs: ['logprobs', 'entropy', 'clip_fraction'] });
}
