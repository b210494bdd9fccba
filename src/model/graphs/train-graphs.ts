/**
 * The training graphs: forward pass, loss and (through `grad()`) the gradient of every trainable
 * parameter, in one ONNX graph per loss. See README.md in this folder for the input/output
 * contract.
 *
 * Every per-position tensor is aligned to targets: entry t concerns predicting input_ids[:, t]
 * from positions < t, so entry 0 predicts nothing; it is always masked and its log-prob is 0.
 */
import { GraphBuilder, type Graph, type Value, grad } from '../../onnx/index.js';
import type { ModelConfig } from '../config.js';
import type { ParamMap } from '../checkpoint.js';
import { expectedParameters } from '../parameters.js';
import { clippedPolicyLoss, crossEntropyLoss, entropyOf, klK3, maskedMean, targetLogprobs } from './losses.js';
import { GraphParams, type ParamSelection, selectParams } from './params.js';
import { lmHead, transformerBody } from './transformer.js';
import { DECODE_DIMS } from './dims.js';

/** `ce`: next-token cross-entropy; `policy`: clipped policy-gradient objective; `score`: forward only. */
export type TrainGraphKind = 'ce' | 'policy' | 'score';

export interface TrainGraphOptions {
  /** parameters that get gradients (and are graph inputs); the rest are stored in the graph. Default all. */
  trainable?: ParamSelection;
  /** policy: add inputs `ref_logprobs` [B,T] and `kl_coef` [] and the k3 KL penalty. */
  klPenalty?: boolean;
  /** policy: add input `entropy_coef` [] and subtract coef * masked mean entropy. */
  entropyBonus?: boolean;
  /** policy: also output `entropy` [B,T] (always on when `entropyBonus`, and in `score`). */
  entropyOutput?: boolean;
}

/** The model a graph is built from. */
export interface ModelWeights {
  config: ModelConfig;
  params: ParamMap;
}

/** Names of the trainable parameters a selection picks, in checkpoint order. */
export function trainableNames(config: ModelConfig, selection: ParamSelection = 'all'): string[] {
  return selectParams(expectedParameters(config).map((p) => p.name), selection);
}

/** Builds one training graph (see the module comment and README.md for its inputs and outputs). */
export function buildTrainGraph(model: ModelWeights, kind: TrainGraphKind, opts: TrainGraphOptions = {}): Graph {
  const { config } = model;
  const trainable = trainableNames(config, opts.trainable ?? 'all');
  const g = new GraphBuilder(`${config.arch}_${kind}`);
  const inputIds = g.input('input_ids', 'int64', [DECODE_DIMS.batch, DECODE_DIMS.sequence]);
  const attentionMask = g.input('attention_mask', 'int64', [DECODE_DIMS.batch, DECODE_DIMS.sequence]);
  const perToken = (name: string): Value => g.input(name, 'float32', [DECODE_DIMS.batch, DECODE_DIMS.sequence]);
  const scalar = (name: string): Value => g.input(name, 'float32', []);
  const temperatures = kind === 'ce' ? null : perToken('temperatures');
  const params = new GraphParams(g, model.params, trainable);

  // Positions count real tokens only, as transformers derives them for left-padded batches.
  const positionIds = g.max(g.sub(g.node('CumSum', [attentionMask, g.constant(1, 'int64')])[0] as Value, 1), 0); // [B, T]
  const body = transformerBody(g, config, params, { inputIds, positionIds, attentionMask, past: null });

  // Logits only where they predict a token: positions 0..T-2 predict tokens 1..T-1.
  const hidden = g.reshape(body.hidden, g.concat([g.shape(inputIds), g.constant([config.hiddenSize], 'int64')], { axis: 0 })); // [B, T, H]
  const predicting = g.slice(hidden, { starts: [0], ends: [-1], axes: [1] }); // [B, T-1, H]
  const logitRows = lmHead(g, config, params, g.reshape(predicting, [-1, config.hiddenSize])); // [B*(T-1), V]
  let logits = g.reshape(logitRows, g.concat([g.shape(predicting, { start: 0, end: 2 }), g.constant([config.vocabSize], 'int64')], { axis: 0 })); // [B, T-1, V]
  const fromOne = (x: Value): Value => g.slice(x, { starts: [1], ends: [2 ** 31 - 1], axes: [1] }); // [B, T-1]
  if (temperatures) logits = g.div(logits, g.unsqueeze(fromOne(temperatures), { axes: [2] })); // [B, T-1, V]
  const { logSoftmax, logprobs } = targetLogprobs(g, logits, fromOne(inputIds));
  // Back to T entries: 0 for position 0, which predicts nothing.
  const alignT = (x: Value): Value => g.pad(x, [0, 1, 0, 0]); // [B, T]
  g.output(alignT(logprobs), 'logprobs');

  const keep = ['logprobs'];
  const wantEntropy = kind === 'score' || opts.entropyOutput === true || opts.entropyBonus === true;
  const entropy = wantEntropy && kind !== 'ce' ? entropyOf(g, logSoftmax) : null;
  if (entropy) {
    g.output(alignT(entropy), 'entropy');
    keep.push('entropy');
  }
  if (kind === 'score') return g.build();

  const mask = fromOne(perToken('loss_mask'));
  let loss: Value;
  if (kind === 'ce') {
    loss = crossEntropyLoss(g, logprobs, mask);
  } else {
    const policy = clippedPolicyLoss(g, {
      logprobs,
      oldLogprobs: fromOne(perToken('old_logprobs')),
      advantages: g.input('advantages', 'float32', [DECODE_DIMS.batch]),
      mask,
      clipLow: scalar('clip_low'),
      clipHigh: scalar('clip_high'),
    });
    loss = policy.loss;
    g.output(policy.clipFraction, 'clip_fraction');
    keep.push('clip_fraction');
    if (opts.klPenalty) {
      const kl = klK3(g, logprobs, fromOne(perToken('ref_logprobs')));
      loss = g.add(loss, g.mul(scalar('kl_coef'), maskedMean(g, kl, mask)));
    }
    if (opts.entropyBonus && entropy) {
      loss = g.sub(loss, g.mul(scalar('entropy_coef'), maskedMean(g, entropy, mask)));
    }
  }
  g.output(loss, 'loss');
  return grad(g.build(), 'loss', trainable, { keepOutputs: keep });
}
