import { UserError } from '../../util/errors.js';

import { ARITHMETIC_OPERATIONS, type ArithmeticOperation } from '../../config/names.js';

export type CountdownOp = ArithmeticOperation;

/** Knobs of the countdown generator. */
export interface CountdownOptions {
  /** Same seed (and knobs), same problems. */
  seed: number;
  /** Problems to generate for the requested split. */
  count: number;
  /** Numbers given per problem (2 to 5): the depth of the search and so the main difficulty knob. */
  numbers: number;
  /** Given numbers are drawn from [1, maxNumber]. */
  maxNumber: number;
  /** Every intermediate result and the target lie in [0, maxValue]: it bounds the digits to compute. */
  maxValue: number;
  operations: CountdownOp[];
  /** Shares of all (numbers, target) instances reserved for the test and validation splits. */
  testFraction: number;
  validationFraction: number;
}

export const defaultCountdownOptions: CountdownOptions = {
  seed: 0,
  count: 1000,
  numbers: 3,
  maxNumber: 9,
  maxValue: 100,
  operations: ['+', '-', '*'],
  testFraction: 0.1,
  validationFraction: 0.1,
};

function requireInteger(name: string, value: number, min: number, max = Infinity): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new UserError(`countdown: ${name} must be an integer in [${min}, ${max}] (got ${value})`);
  }
}

export function resolveCountdownOptions(options: Partial<CountdownOptions> = {}): CountdownOptions {
  const o = { ...defaultCountdownOptions, ...options };
  requireInteger('seed', o.seed, 0);
  requireInteger('count', o.count, 0);
  requireInteger('numbers', o.numbers, 2, 5);
  requireInteger('maxNumber', o.maxNumber, 2);
  requireInteger('maxValue', o.maxValue, o.maxNumber);
  if (o.operations.length === 0 || o.operations.some((op) => !ARITHMETIC_OPERATIONS.includes(op))) {
    throw new UserError(
      `countdown: operations must be a non-empty subset of ${ARITHMETIC_OPERATIONS.join(' ')} (got ${o.operations.join(' ')})`,
    );
  }
  if (!(o.testFraction > 0 && o.validationFraction > 0 && o.testFraction + o.validationFraction < 1)) {
    throw new UserError(
      `countdown: testFraction and validationFraction must be positive with a sum below 1 (got ${o.testFraction}, ${o.validationFraction})`,
    );
  }
  return { ...o, operations: [...new Set(o.operations)] };
}
