/**
 * Training phase schedules: which of the two policies is updated at each RL iteration.
 *
 * The Introspective LLM trains a temperature policy (the head) and a token policy (the LLM) from the same
 * reward. Updating both at once makes each one's target move under the other; coordinate ascent alternates
 * them, holding one fixed while the other improves. `token-only` is plain GRPO (the baseline: fixed sampling
 * temperature), `temperature-only` trains the head on a frozen LLM.
 */
import { Registry, type Complete } from '../util/registry.js';
import { UserError } from '../util/errors.js';

import type { PhaseName, PhaseScheduleName } from '../config/names.js';
export type { PhaseScheduleName };

/** A block of consecutive iterations that update one policy. */
export interface PhaseSpec {
  phase: PhaseName;
  /** Number of iterations in the block (integer >= 1). */
  iterations: number;
}

export interface Phase {
  updateToken: boolean;
  updateTemperature: boolean;
  /** 'token', 'temperature' or 'joint'; for logs. */
  phase: 'token' | 'temperature' | 'joint';
}

export interface PhaseSchedule {
  /** The phase of the 0-based RL iteration `iteration`. */
  phaseAt(iteration: number): Phase;
}

export interface PhaseScheduleOptions {
  /** The blocks of `coordinate-ascent`, in order, cycled forever. Required there, ignored elsewhere. */
  phases?: readonly PhaseSpec[];
}

export type PhaseScheduleFactory = (options: PhaseScheduleOptions) => PhaseSchedule;

const TOKEN: Phase = { updateToken: true, updateTemperature: false, phase: 'token' };
const TEMPERATURE: Phase = { updateToken: false, updateTemperature: true, phase: 'temperature' };
const JOINT: Phase = { updateToken: true, updateTemperature: true, phase: 'joint' };

function checkIteration(iteration: number): void {
  if (!Number.isInteger(iteration) || iteration < 0) throw new RangeError(`iteration must be an integer >= 0, got ${iteration}`);
}

/** The same phase at every iteration. */
function fixed(phase: Phase): PhaseScheduleFactory {
  return () => ({
    phaseAt(iteration) {
      checkIteration(iteration);
      return { ...phase };
    },
  });
}

export const phaseSchedules: Complete<PhaseScheduleName, PhaseScheduleFactory> = new Registry<PhaseScheduleName, PhaseScheduleFactory>(
  'phase schedule',
)
  .register('coordinate-ascent', ({ phases }) => {
    if (!phases || phases.length === 0) throw new UserError('coordinate-ascent needs a non-empty list of phases');
    for (const spec of phases) {
      if (spec.phase !== 'token' && spec.phase !== 'temperature') {
        throw new UserError(`coordinate-ascent phase must be "token" or "temperature", got "${String(spec.phase)}"`);
      }
      if (!Number.isInteger(spec.iterations) || spec.iterations < 1) {
        throw new UserError(`coordinate-ascent phase "${spec.phase}" needs an integer iterations >= 1, got ${spec.iterations}`);
      }
    }
    const blocks = phases.map((s) => ({ ...s }));
    const cycle = blocks.reduce((n, s) => n + s.iterations, 0);
    return {
      phaseAt(iteration) {
        checkIteration(iteration);
        let offset = iteration % cycle;
        for (const block of blocks) {
          if (offset < block.iterations) return { ...(block.phase === 'token' ? TOKEN : TEMPERATURE) };
          offset -= block.iterations;
        }
        throw new Error('unreachable: offset is below the cycle length');
      },
    };
  })
  .register('joint', fixed(JOINT))
  .register('token-only', fixed(TOKEN))
  .register('temperature-only', fixed(TEMPERATURE));

/** Builds the named schedule. */
export function createPhaseSchedule(name: string, options: PhaseScheduleOptions = {}): PhaseSchedule {
  return phaseSchedules.get(name)(options);
}
