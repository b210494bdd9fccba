/**
 * The token-policy update: GRPO's clipped objective on temperature-scaled log-probabilities, run
 * through the LLM's `policy` training graph (the "separate backward graph"), then AdamW in
 * TypeScript over the gradients it returns.
 *
 * The graph takes the trainable parameters as inputs named as in the checkpoint. The parameter
 * arrays are owned here and updated in place by the optimiser, so the ORT tensors that wrap them
 * (created once) always carry the current weights, and the decode session sees the same arrays.
 */
import * as ort from 'onnxruntime-node';
import { createSession, floatOutput, scalarOutput, sessionDefaults, toModelBytes } from '../onnx/index.js';
import type { ModelConfig } from '../model/config.js';
import { collectGarbage } from '../util/gc.js';
import { LARGE_MODEL_PARAMETERS, parameterCount } from '../model/parameters.js';
import { buildTrainGraph, type ModelWeights, type TrainGraphOptions } from '../model/graphs/train-graphs.js';
import { cachedGraphPath, folderSource, weightsSource } from '../model/graph-cache.js';
import type { Rollout } from '../rollout/types.js';
import type { FloatTensor } from '../model/safetensors.js';
import type { LrSchedule } from './lr-schedule.js';
import { AdamW } from './optimizer.js';
import { tokenBatch, type LossAggregation, type TokenBatch } from './batch.js';
import type { PolicyUpdater } from './updater.js';
import { at } from '../util/must.js';

export interface TokenUpdateOptions {
  /** the loss of the loss table (model/graphs/policy-losses.ts) */
  loss: string;
  clipLow: number;
  clipHigh: number;
  klCoef: number;
  entropyCoef: number;
  aggregation: LossAggregation;
  /** the constant length of seq-mean-token-sum-norm (the response-length cap) */
  normLength?: number;
}

export interface MiniBatchStats {
  loss: number;
  clipFraction: number;
  /** mean over weighted tokens of (old - new) log-prob: k1 estimate of KL(old || new) */
  approxKl: number;
  /** k3 estimate of KL(policy || reference) over weighted tokens, as TRL's `kl`; NaN without a KL penalty */
  kl: number;
  gradNorm: number;
  applied: boolean;
  tokens: number;
}

/** The job's `model.lowMemoryBackward` as a training-graph option (auto: the graph's default). */
export function lowMemoryBackward(job: { model: { lowMemoryBackward: boolean | 'auto' } }): { lowMemoryBackward?: boolean } {
  const chosen = job.model.lowMemoryBackward;
  return chosen === 'auto' ? {} : { lowMemoryBackward: chosen };
}

/**
 * Opens a training graph's session from the graph cache (built there on a miss, with its weights as
 * external data when they are large), so a restart does not rebuild and re-differentiate it. The
 * cache key covers only the parameters the graph stores: with every parameter trainable nothing is
 * hashed, and frozen weights are identified by the folder they came from while unchanged.
 */
export async function openTrainSession(
  model: ModelWeights & { dir?: string },
  kind: 'ce' | 'policy' | 'score',
  options: Pick<
    TrainGraphOptions,
    'trainable' | 'klPenalty' | 'entropyBonus' | 'entropyOutput' | 'loss' | 'vocabChunks' | 'recomputeLogits' | 'lowMemoryBackward'
  >,
  session: {
    executionProvider: string;
    threads: number;
    cache?: boolean | { cacheDir?: string };
    preferredOutputLocation?: Record<string, 'gpu-buffer'>;
  },
): Promise<ort.InferenceSession> {
  const providers = session.executionProvider === 'cpu' ? ['cpu'] : [session.executionProvider, 'cpu'];
  const sessionOptions = {
    executionProviders: providers,
    ...trainSessionMemory(model.config),
    ...(session.threads > 0 ? { intraOpNumThreads: session.threads } : {}),
    // the GPU path (device-token-update.ts) leaves the gradients on the device
    ...(session.preferredOutputLocation ? { preferredOutputLocation: session.preferredOutputLocation } : {}),
  };
  const cache = session.cache ?? true;
  if (cache === false) return createSession(toModelBytes(buildTrainGraph(model, kind, options)), sessionOptions);
  // Frozen weights are baked into the graph: a folder's identity only names them while they are unchanged.
  const source = model.dir && options.trainable === 'none' ? folderSource(model.dir) : weightsSource(model);
  const { path } = cachedGraphPath(source, { kind, options }, typeof cache === 'object' ? cache : {});
  return createSession(path, sessionOptions);
}

/**
 * The memory arena of a training session: the job's (or bench's) explicit choice, else (auto) off
 * for models of {@link LARGE_MODEL_PARAMETERS} or more. Measured: at 3M parameters the arena
 * made an update 25-30% faster (many small buffers); at 41.6M off ran as fast and peaked at 2.1
 * instead of 3.0 GB; at the Qwen2.5-0.5B shape the activations alone are 4.5 GB, which the arena
 * would keep after the step while AdamW's moments and the gradients' copies need the room.
 */
export function trainSessionArena(config: ModelConfig): boolean | undefined {
  const chosen = sessionDefaults().cpuMemArena;
  if (chosen !== undefined) return chosen;
  return parameterCount(config) >= LARGE_MODEL_PARAMETERS ? false : undefined;
}

/**
 * A training session's memory settings: the arena ({@link trainSessionArena}), and never ONNX
 * Runtime's memory pattern, whose block is sized for a run's planned peak of intermediate tensors
 * and held until the run ends, with or without the arena. Measured with `npm run bench:memory`
 * (scratch runs, not committed): without the pattern the bench model's update peaked at 377
 * instead of 568 MiB (arena on) and the 0.5B shape's at 11.9 instead of 13.8 GiB (arena off), with
 * no slower run phase; the pattern only places buffers, so the results are the same bits.
 */
export function trainSessionMemory(config: ModelConfig): { cpuMemArena?: boolean; enableMemPattern: false } {
  const arena = trainSessionArena(config);
  return { ...(arena === undefined ? {} : { cpuMemArena: arena }), enableMemPattern: false };
}

/**
 * Whether an optimiser's parameters make a large model ({@link LARGE_MODEL_PARAMETERS}): each of its
 * updates then collects the last one's gradient copies before it runs (a full GC costs tens of
 * milliseconds, nothing beside a step of seconds).
 */
const largeModel = (params: ReadonlyMap<string, Float32Array>): boolean => {
  let n = 0;
  for (const p of params.values()) n += p.length;
  return n >= LARGE_MODEL_PARAMETERS;
};

/** Feeds shared by the `policy` and `score` graphs for one packed batch. */
export function batchFeeds(batch: TokenBatch): Record<string, ort.Tensor> {
  const dims = [batch.rows, batch.length];
  return {
    input_ids: new ort.Tensor('int64', batch.inputIds, dims),
    attention_mask: new ort.Tensor('int64', batch.attentionMask, dims),
    temperatures: new ort.Tensor('float32', batch.temperatures, dims),
  };
}

/** The frozen reference model of the KL penalty (reference.ts). */
export interface CompletionScorer {
  /** per rollout, the log-probs of its completion tokens */
  completionLogprobs(rollouts: readonly Rollout[]): Promise<Float32Array[]>;
}

export class TokenPolicyUpdater implements PolicyUpdater<MiniBatchStats> {
  readonly policy = 'token';
  private readonly paramFeeds: Record<string, ort.Tensor> = {};
  /** the KL reference's log-probs of this iteration's rollouts (from {@link prepare}) */
  private refLogprobs = new Map<Rollout, Float32Array>();

  constructor(
    private readonly session: ort.InferenceSession,
    /** trainable parameters, updated in place */
    readonly params: Map<string, FloatTensor>,
    readonly optimizer: AdamW,
    private readonly options: TokenUpdateOptions,
    readonly lr: LrSchedule,
    private readonly hooks: {
      /** scores the rollouts for the KL penalty (required when klCoef > 0) */
      reference?: CompletionScorer;
      /** after an iteration's steps: e.g. hand the new weights to a decode session on another device */
      onUpdated?: (params: ReadonlyMap<string, FloatTensor>) => Promise<void> | void;
    } = {},
  ) {
    if (options.klCoef > 0 && hooks.reference === undefined) throw new RangeError('a KL penalty needs the reference model');
    for (const [name, p] of params) this.paramFeeds[name] = new ort.Tensor('float32', p.data, [...p.dims]);
  }

  async prepare(rollouts: readonly Rollout[]): Promise<void> {
    if (this.options.klCoef <= 0 || !this.hooks.reference) return;
    this.refLogprobs = await referenceLogprobsByRollout(this.hooks.reference, rollouts);
  }

  async finish(): Promise<void> {
    this.refLogprobs = new Map();
    await this.hooks.onUpdated?.(this.params);
  }

  /**
   * One gradient step on a mini-batch of rollouts.
   * @param refLogprobs per rollout, the frozen reference model's log-probs of its completion tokens
   *   (KL only; default: those {@link prepare} scored)
   */
  async step(
    rollouts: readonly Rollout[],
    advantages: ArrayLike<number>,
    lr: number,
    refLogprobs?: readonly Float32Array[],
  ): Promise<MiniBatchStats> {
    const { batch, feeds, ref } = policyStepFeeds(
      rollouts,
      advantages,
      this.options,
      this.paramFeeds,
      refLogprobs ?? rollouts.map((r) => this.refLogprobs.get(r)),
    );
    const { out, result } = await gradientStep(this.session, feeds, this.optimizer, lr);
    return miniBatchStats(out, batch, ref, result);
  }
}

/**
 * One update on the host: runs a training graph (outputs `loss` and `grad.<name>` per parameter of
 * the optimiser) and applies AdamW to the gradients it returns; a non-finite loss skips the step.
 * Returns the graph's other outputs (statistics) and the optimiser's report; the gradients are
 * dropped, so the next run does not find the last one's still alive.
 *
 * Memory: onnxruntime-node copies every output into a new JS buffer when the run returns and frees
 * its own only after all are copied, so the gradients exist twice for a moment (ORT's and the JS
 * copies; pre-allocated outputs do not avoid it, the binding copies those too). AdamW then works
 * in place on the copies, tensor by tensor, without further allocation.
 * @param onPhase called when the run has returned (its gradients copied out) and when AdamW is done:
 *   for a benchmark that marks the step's phases (bench:memory)
 */
export async function gradientStep(
  session: ort.InferenceSession,
  feeds: Record<string, ort.Tensor>,
  optimizer: AdamW,
  lr: number,
  onPhase?: (phase: 'run returned' | 'optimizer done') => void,
): Promise<{ out: Record<string, ort.Tensor>; result: { applied: boolean; gradNorm: number } }> {
  // The last step's gradient copies are garbage by now; collect them before this run allocates its own.
  if (largeModel(optimizer.params)) collectGarbage();
  const all = await session.run(feeds);
  onPhase?.('run returned');
  const grads = new Map<string, Float32Array>();
  for (const name of optimizer.params.keys()) grads.set(name, floatOutput(all, `grad.${name}`));
  const out = Object.fromEntries(Object.entries(all).filter(([name]) => !name.startsWith('grad.')));
  const loss = scalarOutput(out, 'loss');
  const result = Number.isFinite(loss) ? optimizer.step(grads, lr) : { applied: false, gradNorm: NaN };
  onPhase?.('optimizer done');
  return { out, result };
}

/**
 * The feeds of one policy-graph step, shared by the host and the device token updaters: the
 * mini-batch's tokens, old log-probs, weights, advantages, clip range, and the KL and entropy terms
 * when the options ask for them.
 * @param paramFeeds the trainable weights (host tensors or device tensors)
 * @param reference per rollout, the reference model's completion log-probs (KL only)
 */
export function policyStepFeeds(
  rollouts: readonly Rollout[],
  advantages: ArrayLike<number>,
  options: Pick<TokenUpdateOptions, 'aggregation' | 'normLength' | 'clipLow' | 'clipHigh' | 'klCoef' | 'entropyCoef'>,
  paramFeeds: Readonly<Record<string, ort.Tensor>>,
  reference: readonly (Float32Array | undefined)[],
): { batch: TokenBatch; feeds: Record<string, ort.Tensor>; ref?: Float32Array } {
  const batch = tokenBatch(
    rollouts,
    advantages,
    options.aggregation,
    options.normLength !== undefined ? { normLength: options.normLength } : undefined,
  );
  const dims = [batch.rows, batch.length];
  const scalar = (v: number) => new ort.Tensor('float32', Float32Array.of(v), []);
  const feeds: Record<string, ort.Tensor> = {
    ...batchFeeds(batch),
    old_logprobs: new ort.Tensor('float32', batch.oldLogprobs, dims),
    loss_mask: new ort.Tensor('float32', batch.lossMask, dims),
    advantages: new ort.Tensor('float32', batch.advantages, [batch.rows]),
    clip_low: scalar(options.clipLow),
    clip_high: scalar(options.clipHigh),
    ...paramFeeds,
  };
  if (options.entropyCoef > 0) feeds.entropy_coef = scalar(options.entropyCoef);
  if (options.klCoef <= 0) return { batch, feeds };
  const ref = alignCompletion(
    rollouts,
    reference.map((r) => r ?? missingReference()),
    batch.length,
  );
  feeds.ref_logprobs = new ort.Tensor('float32', ref, dims);
  feeds.kl_coef = scalar(options.klCoef);
  return { batch, feeds, ref };
}

/** The statistics of one step from the policy graph's outputs and the optimiser's result. */
export function miniBatchStats(
  out: Readonly<Record<string, ort.Tensor>>,
  batch: TokenBatch,
  ref: Float32Array | undefined,
  result: { applied: boolean; gradNorm: number },
): MiniBatchStats {
  const logprobs = floatOutput(out, 'logprobs');
  return {
    loss: scalarOutput(out, 'loss'),
    clipFraction: scalarOutput(out, 'clip_fraction'),
    approxKl: approxKl(batch, logprobs),
    kl: ref ? referenceKl(batch, logprobs, ref) : NaN,
    gradNorm: result.gradNorm,
    applied: result.applied,
    tokens: batch.tokens,
  };
}

/** The reference model's completion log-probs, by rollout (scored once per iteration, before its mini-batches). */
export async function referenceLogprobsByRollout(
  reference: CompletionScorer,
  rollouts: readonly Rollout[],
): Promise<Map<Rollout, Float32Array>> {
  const scored = await reference.completionLogprobs(rollouts);
  return new Map(rollouts.map((r, i) => [r, at(scored, i, 'reference log-probs')]));
}

/** Per-rollout completion log-probs placed at their positions in the packed [B, T] layout. */
export function alignCompletion(rollouts: readonly Rollout[], perRollout: readonly Float32Array[], T: number): Float32Array {
  const out = new Float32Array(rollouts.length * T);
  rollouts.forEach((r, b) => out.set(at(perRollout, b, 'completion log-probs'), b * T + r.promptIds.length));
  return out;
}

/** k3 KL(policy || reference), exp(ref - logp) - (ref - logp) - 1, averaged over weighted tokens (the penalty's estimator). */
export function referenceKl(batch: TokenBatch, logprobs: Float32Array, ref: Float32Array): number {
  let num = 0;
  let den = 0;
  batch.lossMask.forEach((w, i) => {
    if (w === 0) return;
    const d = (ref[i] ?? NaN) - (logprobs[i] ?? NaN); // the three share the [B*T] layout
    num += w * (Math.exp(d) - d - 1);
    den += w;
  });
  return den > 0 ? num / den : 0;
}

export function approxKl(batch: TokenBatch, logprobs: Float32Array): number {
  let num = 0;
  let den = 0;
  batch.lossMask.forEach((w, i) => {
    if (w === 0) return;
    num += w * ((batch.oldLogprobs[i] ?? NaN) - (logprobs[i] ?? NaN)); // the three share the [B*T] layout
    den += w;
  });
  return den > 0 ? num / den : 0;
}

export function missingReference(): never {
  throw new RangeError("no reference log-probs for a rollout: call prepare() with the iteration's rollouts first");
}
