/**
 * The training graphs: forward pass, loss and (through `grad()`) the gradient of every trainable
 * parameter, in one ONNX graph per loss. See README.md in this folder for the input/output
 * contract.
 *
 * Every per-position tensor is aligned to targets: entry t concerns predicting input_ids[:, t]
 * from positions < t, so entry 0 predicts nothing; it is always masked and its log-prob is 0.
 */
import { GraphBuilder, type Graph, type Value } from '../../onnx/index.js';
import type { ModelConfig } from '../config.js';
import type { ParamMap } from '../checkpoint.js';
import { LARGE_MODEL_PARAMETERS, expectedParameters, parameterCount } from '../parameters.js';
import { crossEntropyLoss } from './losses.js';
import { policyObjective } from './policy-losses.js';
import { GraphParams, type ParamSelection, selectParams } from './params.js';
import { lmHeadWeight, transformerBody } from './transformer.js';
import { gradWithVocabTerms, vocabTerms } from './vocab-terms.js';
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
  /** policy: the loss of the loss table (policy-losses.ts), default `clipped` */
  loss?: string;
  /**
   * How the per-token terms over the vocabulary are computed (see vocab-terms.ts): row slices
   * (>= 1, fused with a hand-written backward) or 0 (plain log-softmax + autodiff). Default
   * {@link defaultVocabChunks}.
   */
  vocabChunks?: number;
  /**
   * fused terms: recompute the logits in the backward pass instead of keeping one [N, V]
   * log-softmax (default {@link DEFAULT_RECOMPUTE_LOGITS})
   */
  recomputeLogits?: boolean;
  /**
   * A backward pass that holds less (autodiff's `recompute` and `accumulateInPlace`): the
   * normalisations' and the MLP activation's intermediates are recomputed instead of kept from the
   * forward pass, and a tied embedding's rows are added onto the output projection's gradient
   * instead of into a table of their own. The same gradients up to rounding: the recomputed
   * values are the same bits, the tied embedding's sum is taken in another order, and ONNX
   * Runtime may fuse the forward's normalisations once the backward no longer reads their insides.
   * Default {@link defaultLowMemoryBackward}.
   */
  lowMemoryBackward?: boolean;
}

/**
 * Default slices of the vocabulary terms: one for small vocabularies (the [N, V] tensors are
 * small), eight from 16,384 tokens on (each slice's [C, V] temporaries are 1/8 of the batch's).
 */
export function defaultVocabChunks(config: ModelConfig): number {
  return config.vocabSize >= 16384 ? 8 : 1;
}

/**
 * Default of {@link TrainGraphOptions.recomputeLogits}: keep the one [N, V] log-softmax at every
 * vocabulary size. PyTorch eager holds several [N, V] tensors for the same step, and at the 0.5B
 * shape (B=4, T=256) the update's peak RSS stayed where it was with recomputation (10.3-10.9 GB,
 * `introspect bench train`) while the backward saved the slices' output projection and
 * log-softmax again. Recomputing remains the choice where one [N, V] tensor does not fit.
 */
export const DEFAULT_RECOMPUTE_LOGITS = false;

/**
 * Default of {@link TrainGraphOptions.lowMemoryBackward}: on for large models
 * ({@link LARGE_MODEL_PARAMETERS}), where activations and [V, H] tables are gigabytes. Off below,
 * so the graphs of small models, and the results committed from them, stay as they were.
 */
export function defaultLowMemoryBackward(config: ModelConfig): boolean {
  return parameterCount(config) >= LARGE_MODEL_PARAMETERS;
}

/** The model a graph is built from. */
export interface ModelWeights {
  config: ModelConfig;
  params: ParamMap;
}

/** Names of the trainable parameters a selection picks, in checkpoint order. */
export function trainableNames(config: ModelConfig, selection: ParamSelection = 'all'): string[] {
  return selectParams(
    expectedParameters(config).map((p) => p.name),
    selection,
  );
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

  // Only positions 0..T-2 predict a token (tokens 1..T-1); the terms work on those rows.
  const hidden = g.reshape(body.hidden, g.concat([g.shape(inputIds), g.constant([config.hiddenSize], 'int64')], { axis: 0 })); // [B, T, H]
  const predicting = g.slice(hidden, { starts: [0], ends: [-1], axes: [1] }); // [B, T-1, H]
  const fromOne = (x: Value): Value => g.slice(x, { starts: [1], ends: [2 ** 31 - 1], axes: [1] }); // [B, T-1]
  const targets = fromOne(inputIds);
  const wantEntropy = kind === 'score' || opts.entropyOutput === true || opts.entropyBonus === true;
  const terms = vocabTerms(g, {
    hidden: g.reshape(predicting, [-1, config.hiddenSize]), // [N, H]
    weight: lmHeadWeight(config, params),
    temperatures: temperatures ? g.reshape(fromOne(temperatures), [-1]) : null,
    targets: g.reshape(targets, [-1]),
    entropy: wantEntropy && kind !== 'ce',
    chunks: opts.vocabChunks ?? defaultVocabChunks(config),
    recompute: opts.recomputeLogits ?? DEFAULT_RECOMPUTE_LOGITS,
  });
  const perPosition = (x: Value): Value => g.reshape(x, g.shape(targets)); // [N] -> [B, T-1]
  const logprobs = perPosition(terms.logprobs);
  // Back to T entries: 0 for position 0, which predicts nothing.
  const alignT = (x: Value): Value => g.pad(x, [0, 1, 0, 0]); // [B, T]
  g.output(alignT(logprobs), 'logprobs');

  const keep = ['logprobs'];
  const entropy = terms.entropy ? perPosition(terms.entropy) : null;
  if (entropy) {
    g.output(alignT(entropy), 'entropy');
    keep.push('entropy');
  }
  if (kind === 'score') return g.build();

  // ce: a mask (weights of a masked mean); policy: the aggregation's weights (loss = sum(w * l)).
  const mask = fromOne(perToken('loss_mask'));
  let loss: Value;
  if (kind === 'ce') {
    loss = crossEntropyLoss(g, logprobs, mask);
  } else {
    const policy = policyObjective(g, opts.loss ?? 'clipped', {
      logprobs,
      oldLogprobs: fromOne(perToken('old_logprobs')),
      advantages: g.unsqueeze(g.input('advantages', 'float32', [DECODE_DIMS.batch]), { axes: [1] }), // [B, 1]
      weights: mask,
      clipLow: scalar('clip_low'),
      clipHigh: scalar('clip_high'),
      ...(opts.klPenalty ? { kl: { refLogprobs: fromOne(perToken('ref_logprobs')), coef: scalar('kl_coef') } } : {}),
      ...(opts.entropyBonus && entropy ? { entropy: { perToken: entropy, coef: scalar('entropy_coef') } } : {}),
    });
    loss = policy.loss;
    g.output(policy.clipFraction, 'clip_fraction');
    keep.push('clip_fraction');
  }
  g.output(loss, 'loss');
  return gradWithVocabTerms(g.build(), terms, trainable, {
    keepOutputs: keep,
    lowMemory: opts.lowMemoryBackward ?? defaultLowMemoryBackward(config),
  });
}
