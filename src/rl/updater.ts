/**
 * What the trainer asks of a policy's update, whichever policy it is: the token policy (the LLM,
 * token-update.ts) and the temperature policy (the head, head-update.ts) both implement
 * {@link PolicyUpdater}, and the iteration drives them with one loop (iteration.ts).
 */
import type { Rollout } from '../rollout/types.js';
import type { LrSchedule } from './lr-schedule.js';
import type { AdamW } from './optimizer.js';

/** What every optimiser step reports. */
export interface StepStats {
  loss: number;
  gradNorm: number;
  /** false when the loss or the gradients were non-finite and the step was skipped */
  applied: boolean;
  /** loss tokens in the mini-batch */
  tokens: number;
}

export interface PolicyUpdater<S extends StepStats = StepStats> {
  /** the policy it updates; the phase schedule says when (Phase.updateToken / updateTemperature) */
  readonly policy: 'token' | 'temperature';
  readonly optimizer: AdamW;
  /** the learning rate over this updater's optimiser steps */
  readonly lr: LrSchedule;
  /** Once per iteration, before its mini-batches, with every rollout of the iteration. */
  prepare(rollouts: readonly Rollout[]): Promise<void>;
  /** One optimiser step on a mini-batch of rollouts with their advantages. */
  step(rollouts: readonly Rollout[], advantages: ArrayLike<number>, lr: number): Promise<S>;
  /** Once per iteration, after its mini-batches. */
  finish(): Promise<void>;
}

/** The learning rate of an updater's next step. */
export function nextLr(updater: PolicyUpdater): number {
  return updater.lr.lrAt(updater.optimizer.stepCount);
}
