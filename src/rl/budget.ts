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
export function matchedIterations(budget: BudgetKind, schedule: PhaseScheduleName, phases: readonly PhaseSpec[], iterations: number): number {
  if (budget !== 'llm-steps') return iterations;
  const s = createPhaseSchedule(schedule, { phases: [...phases] });
  const cycle = phases.reduce((n, p) => n + p.iterations, 0);
  if (![...Array(Math.max(1, cycle)).keys()].some((i) => s.phaseAt(i).updateToken)) return iterations;
  let updates = 0;
  let i = 0;
  while (updates < iterations) if (s.phaseAt(i++).updateToken) updates++;
  return i;
}
