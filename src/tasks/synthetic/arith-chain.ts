import type { ArithOp, SyntheticArithOptions } from './arith-options.js';
import type { SeededRandom } from './random.js';

/** One operation applied to the running value: `before op operand = after`. */
export interface ArithStep {
  op: ArithOp;
  operand: number;
  before: number;
  after: number;
}

/** A chain of operations from a start value; each step starts from the previous result. */
export interface ArithChain {
  start: number;
  steps: ArithStep[];
}

export function applyOp(op: ArithOp, a: number, b: number): number {
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
  }
}

/**
 * The operands `op` may take at `value` so that the result stays in [0, maxValue], or null when
 * none can. Multipliers start at 2 (×1 teaches nothing) and zero is never multiplied.
 */
function operandRange(op: ArithOp, value: number, maxValue: number): [number, number] | null {
  let range: [number, number];
  switch (op) {
    case '+':
      range = [1, maxValue - value];
      break;
    case '-':
      range = [1, value];
      break;
    case '*':
      range = [2, value === 0 ? 0 : Math.floor(maxValue / value)];
      break;
  }
  return range[0] <= range[1] ? range : null;
}

/**
 * A random chain within the knobs, or null when the random walk reaches a value where no allowed
 * operation fits (e.g. only `*` at a large value); the caller draws again.
 */
export function randomChain(rng: SeededRandom, options: SyntheticArithOptions): ArithChain | null {
  const start = rng.int(1, options.maxValue);
  const stepCount = rng.int(options.minSteps, options.maxSteps);
  const steps: ArithStep[] = [];
  let value = start;
  for (let i = 0; i < stepCount; i++) {
    const feasible = options.operations.filter((op) => operandRange(op, value, options.maxValue) !== null);
    if (feasible.length === 0) return null;
    const op = rng.pick(feasible);
    const [lo, hi] = operandRange(op, value, options.maxValue) as [number, number];
    const operand = rng.int(lo, hi);
    const after = applyOp(op, value, operand);
    steps.push({ op, operand, before: value, after });
    value = after;
  }
  return { start, steps };
}

/** The computation alone, independent of the story told around it: `3+5-2`. */
export function chainKey(chain: ArithChain): string {
  return `${chain.start}${chain.steps.map((s) => `${s.op}${s.operand}`).join('')}`;
}

export function chainResult(chain: ArithChain): number {
  return chain.steps.at(-1)?.after ?? chain.start;
}
