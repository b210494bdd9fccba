import { UserError } from '../../util/errors.js';

import { ARITHMETIC_OPERATIONS, type ArithmeticOperation } from '../../config/names.js';

export type ArithOp = ArithmeticOperation;

/** Knobs of the synthetic-arith generator. */
export interface SyntheticArithOptions {
  /** Same seed (and knobs), same problems. */
  seed: number;
  /** Problems to generate for the requested split. */
  count: number;
  /** Fewest operations per problem. */
  minSteps: number;
  /** Most operations per problem: the main difficulty knob. */
  maxSteps: number;
  /**
   * Every number in a problem — start, operands and each intermediate result — lies in
   * [0, maxValue]. Small values keep the digit vocabulary small for a tiny character-level model.
   */
  maxValue: number;
  /** Which operations appear. */
  operations: ArithOp[];
  /**
   * The share of all possible computations reserved for the test split. Membership depends on the
   * computation alone (not the seed or the story), so no test computation ever appears in training.
   */
  testFraction: number;
}

export const defaultSyntheticArithOptions: SyntheticArithOptions = {
  seed: 0,
  count: 1000,
  minSteps: 1,
  maxSteps: 3,
  maxValue: 20,
  operations: ['+', '-', '*'],
  testFraction: 0.2,
};

function requireInteger(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) throw new UserError(`synthetic-arith: ${name} must be an integer >= ${min} (got ${value})`);
}

/** Fills defaults and rejects knobs that cannot produce problems. */
export function resolveArithOptions(options: Partial<SyntheticArithOptions> = {}): SyntheticArithOptions {
  const o = { ...defaultSyntheticArithOptions, ...options };
  requireInteger('seed', o.seed, 0);
  requireInteger('count', o.count, 0);
  requireInteger('minSteps', o.minSteps, 1);
  requireInteger('maxSteps', o.maxSteps, o.minSteps);
  requireInteger('maxValue', o.maxValue, 2);
  if (o.operations.length === 0 || o.operations.some((op) => !ARITHMETIC_OPERATIONS.includes(op))) {
    throw new UserError(
      `synthetic-arith: operations must be a non-empty subset of ${ARITHMETIC_OPERATIONS.join(' ')} (got ${o.operations.join(' ')})`,
    );
  }
  if (!(o.testFraction > 0 && o.testFraction < 1)) {
    throw new UserError(`synthetic-arith: testFraction must lie strictly between 0 and 1 (got ${o.testFraction})`);
  }
  return { ...o, operations: [...new Set(o.operations)] };
}
