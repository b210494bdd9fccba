/**
 * The contract between temperature policies and the rollout engine.
 *
 * Two kinds of policy:
 * - `per-token`: a plain function of one sequence's current step, {@link TemperatureFn}; the engine
 *   calls it once per sequence per decoding step with a {@link StepContext}.
 * - `head`: the learned temperature head (`learned`). It is batched and runs as an ONNX graph, so the
 *   engine drives it: per decoding step it runs the head's session on the batch of final hidden
 *   states [N, H], gets one output row per sequence ([N, K] temperature logits over a grid of K
 *   temperatures, or [N, 2] = (mu, logStd) of a log-normal), and calls {@link HeadPolicy.act} on each
 *   row with that sequence's rng. It records the returned action and its log-prob for the trainer.
 */
import type * as ort from 'onnxruntime-node';
import type { Rng } from '../util/rng.js';
import type { ParamValues } from './params.js';
import type { HeadKind, PolicyName } from '../config/names.js';

/** Everything a per-token policy may look at for one sequence at one decoding step. */
export interface StepContext {
  /**
   * one row of next-token logits, length V, untempered; policies must not modify it. Absent when
   * the draw is made in the decoder's graph (`rollout.sampler: graph`): the logits stay on the
   * device then, and a policy that needs them must run with the host sampler.
   */
  readonly logits?: Float32Array;
  /** the final hidden state row for this token, length H (when the engine has it) */
  readonly hidden?: Float32Array;
  /** entropy of softmax(logits), untempered, in nats */
  readonly entropy: number;
  /** index of the token being generated within the completion (0 for the first) */
  readonly step: number;
  /** step / maxNewTokens, in [0, 1] */
  readonly progress: number;
  /** the optimiser step of the training run (0-based), when rolling out for training */
  readonly trainingStep?: number;
  /** total optimiser steps the run is configured for */
  readonly totalTrainingSteps?: number;
}

/** A per-token temperature policy: the sampling temperature (>= 0; 0 is greedy) for one step. */
export type TemperatureFn = (ctx: StepContext) => number;

export type PolicyKind = 'per-token' | 'head';

/** Registered policy names: what YAML and flags may say (config/names.ts). */
export type { PolicyName };

/** A policy spec after parsing: its name and every parameter, defaults filled in. */
export interface ResolvedPolicySpec {
  readonly name: PolicyName;
  readonly params: ParamValues;
}

export interface PerTokenPolicy {
  readonly kind: 'per-token';
  readonly spec: ResolvedPolicySpec;
  /** true when the policy reads `trainingStep`/`totalTrainingSteps` (it cannot run outside training) */
  readonly needsTrainingProgress: boolean;
  readonly temperature: TemperatureFn;
}

/** The head's distribution over temperatures (the run config's `head.kind`, config/names.ts). */
export type HeadDistribution = HeadKind;

/**
 * The learned head's action space, as the run config's `head` section gives it: a categorical over
 * `grid`, or a log-normal (then `grid` is ignored).
 */
export interface HeadActionSpace {
  readonly kind: HeadDistribution;
  /** the K temperatures a `grid` head chooses from, each finite and > 0 */
  readonly grid: readonly number[];
}

/** What the run provides to policies beyond their spec. */
export interface PolicyContext {
  /** the opened temperature head's config (its action space); required by `learned` */
  readonly head?: HeadActionSpace;
}

/** A temperature action drawn from the head's output row. */
export type HeadAction =
  | {
      readonly distribution: 'grid';
      /** index into the grid */
      readonly action: number;
      readonly temperature: number;
      /** log-probability of `action` under softmax(temperature logits), nats */
      readonly logprob: number;
      /** entropy of the head's distribution at this token, nats */
      readonly entropy: number;
    }
  | {
      readonly distribution: 'lognormal';
      readonly temperature: number;
      /** log-density of the temperature T itself (not of log T), nats; see log-normal.ts */
      readonly logprob: number;
      /** differential entropy of the head's distribution of T at this token, nats */
      readonly entropy: number;
    };

export interface HeadPolicy {
  readonly kind: 'head';
  readonly spec: ResolvedPolicySpec;
  readonly needsTrainingProgress: false;
  readonly distribution: HeadDistribution;
  /** length of one output row of the head: K for `grid`, 2 (mu, logStd) for `lognormal` */
  readonly outputWidth: number;
  /** the K temperatures the grid's actions stand for (`grid` only) */
  readonly grid: Float64Array | null;
  /** true to take the most likely temperature instead of sampling (evaluation) */
  readonly greedy: boolean;
  /** Turns one output row of the head (length {@link outputWidth}) into a temperature action. */
  act(headRow: Float32Array, rng: Rng): HeadAction;
}

export type TemperaturePolicy = PerTokenPolicy | HeadPolicy;

/**
 * What the engine needs from the temperature head's ONNX session (implemented with the head's graph).
 * @param hidden final hidden states, [rows, H] row-major
 * @returns the head's output, [rows, outputWidth] row-major
 */
export interface TemperatureHeadSession {
  run(hidden: Float32Array, rows: number): Promise<Float32Array>;
  /**
   * The head on the decoder's own output, where it lies (a device buffer with in-graph sampling):
   * `lastHidden` [B, S, H] is a decode step's `last_hidden`, `rows` the batch rows to read (their
   * last position); returns [rows.length, outputWidth] as {@link run} does on those rows.
   */
  runRows?(lastHidden: ort.Tensor, rows: readonly number[]): Promise<Float32Array>;
}
