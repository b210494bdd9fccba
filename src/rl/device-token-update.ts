/**
 * The token-policy update with its state on the execution provider's device (the GPU path of
 * {@link TokenPolicyUpdater}): the trainable weights and AdamW's moments live in device buffers
 * ({@link GraphAdamW}); the policy graph reads the weights there and leaves its gradients there;
 * the AdamW graph updates weights and moments in place of the old buffers; the decode session is
 * fed the same device tensors. Per mini-batch only the packed batch goes up (token ids, masks,
 * old log-probs) and only scalars and the per-token log-probs come down. Weights and moments come
 * to the host only in {@link DeviceTokenPolicyUpdater.syncHost}, for a checkpoint.
 */
import * as ort from 'onnxruntime-node';
import { onDevice, scalarOutput, type DeviceTransfer } from '../onnx/index.js';
import type { ModelWeights } from '../model/graphs/train-graphs.js';
import type { ParamSelection } from '../model/graphs/params.js';
import type { FloatTensor } from '../model/safetensors.js';
import type { Rollout } from '../rollout/types.js';
import { GraphAdamW } from './adamw-graph.js';
import type { AdamW } from './optimizer.js';
import type { LrSchedule } from './lr-schedule.js';
import {
  miniBatchStats,
  openTrainSession,
  policyStepFeeds,
  referenceLogprobsByRollout,
  type CompletionScorer,
  type MiniBatchStats,
  type TokenUpdateOptions,
} from './token-update.js';
import type { PolicyUpdater } from './updater.js';

export interface DeviceUpdaterHooks {
  /** scores the rollouts for the KL penalty (required when klCoef > 0) */
  reference?: CompletionScorer;
  /** after an iteration's steps, with the new weights' device tensors (for the decode session) */
  onUpdated?: (params: ReadonlyMap<string, ort.Tensor>) => Promise<void> | void;
}

export class DeviceTokenPolicyUpdater implements PolicyUpdater<MiniBatchStats> {
  readonly policy = 'token';
  private refLogprobs = new Map<Rollout, Float32Array>();

  private constructor(
    private readonly session: ort.InferenceSession,
    /** host arrays of the trainable weights: written only by {@link syncHost} */
    readonly params: Map<string, FloatTensor>,
    /**
     * The host optimiser: hyper-parameters, the step count (kept in step with the device's), and
     * the moments as of the last {@link syncHost} (what checkpoints write).
     */
    readonly optimizer: AdamW,
    private readonly device: GraphAdamW,
    private readonly options: TokenUpdateOptions,
    readonly lr: LrSchedule,
    private readonly hooks: DeviceUpdaterHooks,
  ) {
    if (options.klCoef > 0 && hooks.reference === undefined) throw new RangeError('a KL penalty needs the reference model');
  }

  /**
   * Opens the policy graph on the transfer's provider and uploads the weights and the optimiser's
   * current state (fresh, or restored from a checkpoint into `optimizer`).
   */
  static async open(
    model: ModelWeights & { dir?: string },
    graph: { trainable: ParamSelection; klPenalty?: boolean; entropyBonus?: boolean; loss?: string; lowMemoryBackward?: boolean },
    params: Map<string, FloatTensor>,
    optimizer: AdamW,
    options: TokenUpdateOptions,
    lr: LrSchedule,
    hooks: DeviceUpdaterHooks,
    device: { transfer: DeviceTransfer; threads: number },
  ): Promise<DeviceTokenPolicyUpdater> {
    const ep = device.transfer.executionProvider;
    const gradsOnDevice = Object.fromEntries([...params.keys()].map((n) => [`grad.${n}`, 'gpu-buffer' as const]));
    const session = await openTrainSession(model, 'policy', graph, {
      executionProvider: ep,
      threads: device.threads,
      preferredOutputLocation: gradsOnDevice,
    });
    const adamw = await GraphAdamW.create(params, optimizer.exportState(), optimizer.options, ep, device.transfer);
    return new DeviceTokenPolicyUpdater(session, params, optimizer, adamw, options, lr, hooks);
  }

  async prepare(rollouts: readonly Rollout[]): Promise<void> {
    if (this.options.klCoef <= 0 || !this.hooks.reference) return;
    this.refLogprobs = await referenceLogprobsByRollout(this.hooks.reference, rollouts);
  }

  async finish(): Promise<void> {
    this.refLogprobs = new Map();
    await this.hooks.onUpdated?.(this.device.params);
  }

  /** The device tensors of the current weights (valid until the next {@link step}). */
  decodeWeights(): ReadonlyMap<string, ort.Tensor> {
    return this.device.params;
  }

  /**
   * A fingerprint of the weights that needs no download: the bits of their float32 sum of
   * squares after the last step (0 before any). Not comparable with the host updater's checksum.
   */
  checksum(): number {
    const sq = this.device.weightSqSum;
    const [bits = 0] = new Uint32Array(Float32Array.of(sq).buffer);
    return Number.isNaN(sq) ? 0 : bits;
  }

  /** Brings weights and optimiser state to the host arrays (for a checkpoint). */
  async syncHost(): Promise<void> {
    for (const [name, data] of await this.device.downloadParams()) this.params.get(name)!.data.set(data);
    this.optimizer.importState(await this.device.exportState());
  }

  /** One gradient step on a mini-batch of rollouts (see {@link TokenPolicyUpdater.step}). */
  async step(
    rollouts: readonly Rollout[],
    advantages: ArrayLike<number>,
    lr: number,
    refLogprobs?: readonly Float32Array[],
  ): Promise<MiniBatchStats> {
    const paramFeeds = Object.fromEntries(this.device.params);
    const { batch, feeds, ref } = policyStepFeeds(
      rollouts,
      advantages,
      this.options,
      paramFeeds,
      refLogprobs ?? rollouts.map((r) => this.refLogprobs.get(r)),
    );
    const out = await this.session.run(feeds);
    const grads = new Map<string, ort.Tensor>();
    for (const name of this.params.keys()) grads.set(name, out[`grad.${name}`] as ort.Tensor);
    const loss = scalarOutput(out, 'loss');
    try {
      const result = Number.isFinite(loss) ? await this.device.step(grads, lr) : { applied: false, gradNorm: NaN };
      if (result.applied) this.optimizer.countExternalStep(); // the schedule reads the host optimiser's count
      return miniBatchStats(out, batch, ref, result);
    } finally {
      for (const g of grads.values()) if (onDevice(g)) g.dispose();
    }
  }

  async release(): Promise<void> {
    await this.device.release();
    await this.session.release();
  }
}
