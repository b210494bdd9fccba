/**
 * Matching training budgets across the methods of a comparison. Under coordinate ascent the LLM
 * is updated only in token phases, so in the same number of iterations it takes fewer optimiser
 * steps than under token-only training (half with the default 2 + 2 phases). Which budget is held
 * equal is an experimental choice (`compare.budget`):
 * - `iterations`: every method runs the job's `train.iterations`; the LLM of coordinate ascent
 *   gets fewer steps, the head gets extra rollouts for free.
 * - `llm-steps`: every method's LLM gets as many update iterations as token-only gets in
 *   `train.iterations`; coordinate ascent then runs more iterations (and generates more tokens).
 *   With full batches (dynamic sampling refills them) an update iteration is a fixed number of
 *   optimiser steps, so equal update iterations are equal optimiser steps.
 * - `llm-steps-exact`: as `llm-steps`, but exact whatever the batches: an update iteration takes
 *   fewer steps when its batch is short (dynamic sampling that found too few informative groups
 *   tops the batch up with uniform ones, which `dropUniformGroups` then leaves out; truncated
 *   completions under `maskTruncated`), so every method's LLM instead stops at the steps token-only
 *   training takes in `train.iterations` with full batches ({@link fullBatchLlmSteps}, set as
 *   `train.llmStepBudget`; the trainer stops mid-iteration at it), with twice the matched
 *   iterations as a cap.
 * - `tokens`: every method generates the same number of rollout tokens (`compare.tokenBudget`);
 *   the trainer stops when it has generated that many, with `train.iterations` as a cap.
 */
import { createPhaseSchedule, type PhaseScheduleName, type PhaseSpec } from './phase-schedule.js';

import type { BudgetKind } from '../config/names.js';
export type { BudgetKind };

/** LLM-update iterations among the first `iterations` iterations of a schedule. */
export function tokenUpdateIterations(schedule: PhaseScheduleName, phases: readonly PhaseSpec[], iterations: number): number {
  const s = createPhaseSchedule(schedule, { phases: [...phases] });
  let n = 0;
  for (let i = 0; i < iterations; i++) if (s.phaseAt(i).updateToken) n++;
  return n;
}

/**
 * The iterations a method with `schedule` runs so that its budget equals that of token-only
 * training for `iterations` iterations: the same iterations, except under `llm-steps`, where it is
 * the fewest iterations that reach the same number of LLM-update iterations. A schedule that never
 * updates the LLM (temperature-only) keeps `iterations`.
 */
export function matchedIterations(
  budget: BudgetKind,
  schedule: PhaseScheduleName,
  phases: readonly PhaseSpec[],
  iterations: number,
): number {
  if (budget !== 'llm-steps' && budget !== 'llm-steps-exact') return iterations;
  const s = createPhaseSchedule(schedule, { phases: [...phases] });
  const cycle = phases.reduce((n, p) => n + p.iterations, 0);
  if (![...Array(Math.max(1, cycle)).keys()].some((i) => s.phaseAt(i).updateToken)) return iterations;
  let updates = 0;
  let i = 0;
  while (updates < iterations) if (s.phaseAt(i++).updateToken) updates++;
  return i;
}

/** What fixes the optimiser steps of one update iteration with a full batch. */
export interface UpdateShape {
  promptsPerIteration: number;
  groupSize: number;
  miniBatchSize: number;
  epochs: number;
}

/**
 * LLM optimiser steps of `updateIterations` update iterations whose batches are full (every one of
 * the promptsPerIteration x groupSize rollouts in the loss): epochs x mini-batches each.
 */
export function fullBatchLlmSteps(train: UpdateShape, updateIterations: number): number {
  return updateIterations * train.epochs * Math.ceil((train.promptsPerIteration * train.groupSize) / train.miniBatchSize);
}
