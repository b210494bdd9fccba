/**
 * The temperature-policy update: the head's PPO-clipped objective over every generated token's
 * (hidden state, temperature action, action log-prob), with the sequence's advantage, through the
 * head's training graph; AdamW over its gradients. The hidden states were recorded during the
 * rollout and enter the graph as inputs, so no gradient can reach the LLM (the stop-gradient of the
 * method holds by construction).
 *
 * The head's AdamW state across phases: one optimiser lives for the whole run (and is checkpointed
 * with it). Under coordinate ascent it takes steps only in temperature phases; its moments are
 * neither reset when a temperature phase starts nor decayed during token phases, so the first
 * step of a new phase continues from the moments of the last one (Adam's bias correction counts
 * only steps taken). The LLM's optimiser is handled the same way.
 */
import * as ort from 'onnxruntime-node';
import { createSession, floatOutput, scalarOutput } from '../onnx/index.js';
import type { TemperatureHead } from '../policy/head/head.js';
import type { Rollout } from '../rollout/types.js';
import type { LrSchedule } from './lr-schedule.js';
import { AdamW } from './optimizer.js';
import { headBatch, type LossAggregation } from './batch.js';
import type { PolicyUpdater } from './updater.js';
import { must } from '../util/must.js';

export interface HeadUpdateOptions {
  /** the loss of the loss table (model/graphs/policy-losses.ts) */
  loss: string;
  clipLow: number;
  clipHigh: number;
  entropyCoef: number;
  aggregation: LossAggregation;
  /** the constant length of seq-mean-token-sum-norm (the response-length cap) */
  normLength?: number;
  /** only the batch's top q share of tokens by LLM entropy enter the loss (1 = all) */
  topEntropyQuantile?: number;
}

export interface HeadStepStats {
  loss: number;
  /** mean entropy of the head's distribution over the batch's tokens */
  entropy: number;
  clipFraction: number;
  gradNorm: number;
  applied: boolean;
  tokens: number;
}

export class HeadUpdater implements PolicyUpdater<HeadStepStats> {
  readonly policy = 'temperature';
  private readonly paramFeeds: Record<string, ort.Tensor> = {};

  private constructor(
    private readonly session: ort.InferenceSession,
    readonly head: TemperatureHead,
    readonly optimizer: AdamW,
    private readonly options: HeadUpdateOptions,
    readonly lr: LrSchedule,
  ) {
    const shapes = head.paramShapes;
    for (const [name, data] of head.params)
      this.paramFeeds[name] = new ort.Tensor('float32', data, must(shapes[name], `shape of head parameter ${name}`));
  }

  static async open(head: TemperatureHead, optimizer: AdamW, options: HeadUpdateOptions, lr: LrSchedule): Promise<HeadUpdater> {
    // The head's provider and the process's session policy, as its inference session (head.options).
    return new HeadUpdater(await createSession(head.trainingGraph({ loss: options.loss }), head.options), head, optimizer, options, lr);
  }

  /** The head's inputs were recorded during the rollout: nothing to prepare. */
  async prepare(): Promise<void> {}

  /** The head's sessions read the parameter arrays the optimiser updated in place (re-uploaded on a device after each step): nothing to hand over. */
  async finish(): Promise<void> {}

  async step(rollouts: readonly Rollout[], advantages: ArrayLike<number>, lr: number): Promise<HeadStepStats> {
    const H = this.head.config.inputSize;
    const batch = headBatch(rollouts, advantages, this.options.aggregation, H, {
      ...(this.options.normLength !== undefined ? { normLength: this.options.normLength } : {}),
      topEntropyQuantile: this.options.topEntropyQuantile ?? 1,
    });
    const N = batch.rows;
    const scalar = (v: number) => new ort.Tensor('float32', Float32Array.of(v), []);
    const lognormal = this.head.config.kind === 'lognormal';
    const out = await this.session.run({
      ...this.paramFeeds,
      hidden: new ort.Tensor('float32', batch.hidden, [N, H]),
      actions: lognormal ? new ort.Tensor('float32', batch.temperatures, [N]) : new ort.Tensor('int64', batch.actions, [N]),
      old_logprobs: new ort.Tensor('float32', batch.oldLogprobs, [N]),
      advantages: new ort.Tensor('float32', batch.advantages, [N]),
      mask: new ort.Tensor('float32', batch.mask, [N]),
      clip_low: scalar(this.options.clipLow),
      clip_high: scalar(this.options.clipHigh),
      entropy_coef: scalar(this.options.entropyCoef),
    });
    const grads = new Map<string, Float32Array>();
    for (const name of this.head.params.keys()) grads.set(name, floatOutput(out, `grad.${name}`));
    const loss = scalarOutput(out, 'loss');
    const result = Number.isFinite(loss) ? this.optimizer.step(grads, lr) : { applied: false, gradNorm: NaN };
    if (result.applied) this.head.paramsChanged(); // the arrays changed in place: device copies are stale
    const entropy = floatOutput(out, 'entropy');
    let entropySum = 0;
    for (const h of entropy.subarray(0, N)) entropySum += h;
    // The clip fraction is the loss table's one definition, computed in the graph (weighted, sign-aware).
    const clipFraction = scalarOutput(out, 'clip_fraction');
    return { loss, entropy: N ? entropySum / N : 0, clipFraction, gradNorm: result.gradNorm, applied: result.applied, tokens: N };
  }
}
