/**
 * countdown: reach a target from given numbers with + - *, each number used exactly once. It is
 * the project's task where exploration decides what can be learned: the first equation is a
 * strategy fork (which pair, which operation) that the model cannot resolve by itself and that
 * only a few branches survive, while every equation after it is exact arithmetic where one wrong
 * digit fails the answer. Sampling the fork at low temperature repeats one branch (a group of
 * identical rewards: no signal); sampling the digits at high temperature breaks the arithmetic.
 *
 * Problem: `Use 4 5 3 to make 23.`; solution: `4*5=20. 20+3=23.\n#### 23\n` (one equation per
 * step, each step combining two numbers still available; the answer line repeats the result).
 */
import { UserError } from '../../util/errors.js';
import type { Problem, Split } from '../task.js';
import { resolveCountdownOptions, type CountdownOp, type CountdownOptions } from './countdown-options.js';
import type { Verdict } from '../verifier/grade.js';
import { SeededRandom, hash32 } from './random.js';
import { at, group, last } from '../../util/must.js';

export { defaultCountdownOptions, resolveCountdownOptions, type CountdownOp, type CountdownOptions } from './countdown-options.js';

export function applyCountdownOp(op: CountdownOp, a: number, b: number): number {
  return op === '+' ? a + b : op === '-' ? a - b : a * b;
}

/** One equation `a op b = result` of a solution. */
export interface CountdownStep {
  a: number;
  op: CountdownOp;
  b: number;
  result: number;
}

/** The instance's identity for the split: the multiset of numbers and the target, not the story or draw order. */
export function countdownKey(numbers: readonly number[], target: number): string {
  return `${[...numbers].sort((x, y) => x - y).join(',')}->${target}`;
}

/** Which split an instance belongs to: a hash of its key, so splits never share an instance. */
export function splitOfCountdown(key: string, options: Pick<CountdownOptions, 'testFraction' | 'validationFraction'>): Split {
  const u = hash32(`countdown/${key}`) / 2 ** 32;
  return u < options.testFraction ? 'test' : u < options.testFraction + options.validationFraction ? 'validation' : 'train';
}

/**
 * A random solution: repeatedly combine two available numbers (the larger first, so `-` stays
 * non-negative) with a random operation whose result stays in [0, maxValue]. Null when a draw gets
 * stuck (the caller draws again). Multiplying by 1 and results equal to 0 are avoided: they make
 * trivial branches.
 */
function randomSolution(rng: SeededRandom, numbers: readonly number[], o: CountdownOptions): CountdownStep[] | null {
  const pool = [...numbers];
  const steps: CountdownStep[] = [];
  while (pool.length > 1) {
    const i = rng.int(0, pool.length - 1);
    let j = rng.int(0, pool.length - 2);
    if (j >= i) j++;
    const [x, y] = [at(pool, i, 'countdown pool'), at(pool, j, 'countdown pool')];
    const [a, b] = x >= y ? [x, y] : [y, x];
    const ops = o.operations.filter((op) => {
      const r = applyCountdownOp(op, a, b);
      return r > 0 && r <= o.maxValue && !(op === '*' && b === 1);
    });
    if (ops.length === 0) return null;
    const op = rng.pick(ops);
    const result = applyCountdownOp(op, a, b);
    steps.push({ a, op, b, result });
    pool.splice(Math.max(i, j), 1);
    pool.splice(Math.min(i, j), 1);
    pool.push(result);
  }
  return steps;
}

export function countdownQuestion(numbers: readonly number[], target: number): string {
  return `Use ${numbers.join(' ')} to make ${target}.`;
}

export function countdownSolution(steps: readonly CountdownStep[]): string {
  const target = last(steps, 'countdown steps').result;
  return `${steps.map((s) => `${s.a}${s.op}${s.b}=${s.result}.`).join(' ')}\n#### ${target}\n`;
}

/**
 * `count` distinct problems of one split, deterministic in (seed, split, knobs).
 * @throws UserError when the knobs allow too few distinct instances for `count`
 */
export function generateCountdownProblems(split: Split, options: Partial<CountdownOptions> = {}): Problem[] {
  const o = resolveCountdownOptions(options);
  const rng = new SeededRandom(hash32(`countdown/${split}/${o.seed}`));
  const problems: Problem[] = [];
  const seen = new Set<string>();
  const maxDraws = 100 * o.count + 1000;
  for (let draw = 0; draw < maxDraws && problems.length < o.count; draw++) {
    const numbers = Array.from({ length: o.numbers }, () => rng.int(1, o.maxNumber));
    const steps = randomSolution(rng, numbers, o);
    if (steps === null) continue;
    const target = last(steps, 'countdown steps').result;
    // A target among the given numbers, or one the numbers reach by a single sum, is no search.
    if (numbers.includes(target) || target === numbers.reduce((s, x) => s + x, 0)) continue;
    const key = countdownKey(numbers, target);
    if (seen.has(key) || splitOfCountdown(key, o) !== split) continue;
    seen.add(key);
    problems.push({
      id: `countdown-${split}-${problems.length}`,
      task: 'countdown',
      question: countdownQuestion(numbers, target),
      answer: String(target),
      solution: countdownSolution(steps),
    });
  }
  if (problems.length < o.count) {
    throw new UserError(
      `countdown: only ${problems.length} distinct ${split} problems exist for these knobs (asked for ${o.count}); raise maxNumber, maxValue or numbers, or lower count`,
    );
  }
  return problems;
}

/** The given numbers and target of a countdown question, or null when the text is not one. */
export function parseCountdownQuestion(question: string): { numbers: number[]; target: number } | null {
  const m = /^Use ((?:\d+ )*\d+) to make (\d+)\.$/.exec(question.trim());
  if (m === null) return null;
  return { numbers: group(m, 1).split(' ').map(Number), target: Number(m[2]) };
}

const EQUATION = /^(\d+)([+\-*])(\d+)=(\d+)\.$/;

/**
 * Grades a countdown response: the equations before the `####` line must each be arithmetically
 * right, combine two numbers still available (given or earlier results, each used once), use up
 * every given number, and end at the target; the answer line must state the target. Anything else
 * (a wrong digit, a reused number, a missing answer line) is wrong. `extracted` is the whole
 * computation (`4*5=20. 20+3=23. #### 23`): every answer claims the target, so a majority vote
 * over stated answers would say nothing; a vote over computations is self-consistency.
 */
export function gradeCountdown(response: string, question: string, formatPenalty = 0): Verdict {
  const instance = parseCountdownQuestion(question);
  if (instance === null) throw new UserError(`not a countdown question: ${JSON.stringify(question)}`);
  const at = response.indexOf('####');
  if (at < 0) return { extracted: null, correct: false, reward: 0 - formatPenalty };
  const stated = (response.slice(at + 4).split('\n', 1)[0] ?? '').trim();
  if (stated === '') return { extracted: null, correct: false, reward: 0 - formatPenalty };
  const equations = response
    .slice(0, at)
    .trim()
    .split(/\s+/)
    .filter((e) => e !== '');
  const extracted = `${equations.join(' ')} #### ${stated}`;
  const wrong = { extracted, correct: false, reward: 0 };
  const pool = [...instance.numbers];
  if (equations.length !== instance.numbers.length - 1) return wrong;
  for (const equation of equations) {
    const m = EQUATION.exec(equation);
    if (m === null) return wrong;
    const [a, b, result] = [Number(m[1]), Number(m[3]), Number(m[4])];
    if (applyCountdownOp(m[2] as CountdownOp, a, b) !== result) return wrong;
    for (const used of [a, b]) {
      const k = pool.indexOf(used);
      if (k < 0) return wrong;
      pool.splice(k, 1);
    }
    pool.push(result);
  }
  const correct = pool.length === 1 && pool[0] === instance.target && stated === String(instance.target);
  return { extracted, correct, reward: correct ? 1 : 0 };
}
