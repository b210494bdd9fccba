import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getTask } from '../../src/tasks/registry.js';
import { generateArithProblems } from '../../src/tasks/synthetic/generate.js';
import { gradeResponse } from '../../src/tasks/verifier/grade.js';
import type { Problem } from '../../src/tasks/task.js';
import { UserError } from '../../src/util/errors.js';

interface Equation {
  a: number;
  op: string;
  b: number;
  result: number;
}

/** Reads a solution back independently of the generator: `3+5=8. 8-2=6.\n#### 6\n`. */
function parseSolution(solution: string): { equations: Equation[]; answer: string } {
  const match = /^(.*)\n#### (\d+)\n$/.exec(solution);
  assert.ok(match !== null, `solution format: ${JSON.stringify(solution)}`);
  const [, work = '', answer = ''] = match;
  const equations = work.split(' ').map((token) => {
    const eq = /^(\d+)([+\-*])(\d+)=(\d+)\.$/.exec(token);
    assert.ok(eq !== null, `equation format: ${token}`);
    const [, a, op = '', b, result] = eq;
    return { a: Number(a), op, b: Number(b), result: Number(result) };
  });
  return { equations, answer };
}

const compute: Record<string, (a: number, b: number) => number> = {
  '+': (a, b) => a + b,
  '-': (a, b) => a - b,
  '*': (a, b) => a * b,
};

function checkProblem(p: Problem, maxValue: number, ops: string[], steps: [number, number]): void {
  const { equations, answer } = parseSolution(p.solution ?? '');
  assert.ok(equations.length >= steps[0] && equations.length <= steps[1], `${p.id}: ${equations.length} steps`);
  // The question states the start and then each operand, in order, and nothing else.
  const numbersInQuestion = (p.question.match(/\d+/g) ?? []).map(Number);
  assert.deepEqual(numbersInQuestion, [equations[0]?.a, ...equations.map((e) => e.b)], p.question);
  equations.forEach((e, i) => {
    assert.ok(ops.includes(e.op), `${p.id}: op ${e.op}`);
    assert.equal(e.result, compute[e.op]?.(e.a, e.b), `${p.id}: ${e.a}${e.op}${e.b}=${e.result}`);
    if (i > 0) assert.equal(e.a, equations[i - 1]?.result, `${p.id}: steps chain`);
    for (const v of [e.a, e.b, e.result]) assert.ok(v >= 0 && v <= maxValue, `${p.id}: ${v} out of range`);
  });
  assert.equal(answer, String(equations.at(-1)?.result));
  assert.equal(p.answer, answer);
}

test('synthetic-arith: the same seed gives the same problems, another seed others', () => {
  const a = generateArithProblems('train', { seed: 7, count: 200 });
  const b = generateArithProblems('train', { seed: 7, count: 200 });
  const c = generateArithProblems('train', { seed: 8, count: 200 });
  assert.deepEqual(a, b);
  assert.notDeepEqual(
    a.map((p) => p.question),
    c.map((p) => p.question),
  );
});

test('synthetic-arith: train and test share no question and no computation', () => {
  const train = generateArithProblems('train', { seed: 1, count: 2000 });
  const test_ = generateArithProblems('test', { seed: 1, count: 400 });
  const trainQuestions = new Set(train.map((p) => p.question));
  assert.equal(trainQuestions.size, train.length, 'train questions distinct');
  assert.ok(test_.every((p) => !trainQuestions.has(p.question)));
  // Stronger: the arithmetic itself (the solution's equations) never crosses the split.
  const work = (p: Problem): string => (p.solution ?? '').split('\n', 1)[0] ?? '';
  const trainWork = new Set(train.map(work));
  assert.ok(test_.every((p) => !trainWork.has(work(p))));
});

test('synthetic-arith: every solution is correct arithmetic, in range, graded correct', () => {
  const problems = generateArithProblems('train', { seed: 3, count: 500 });
  for (const p of problems) {
    checkProblem(p, 20, ['+', '-', '*'], [1, 3]);
    const verdict = gradeResponse(p.solution ?? '', p.answer, getTask('synthetic-arith').verifier);
    assert.ok(verdict.correct, p.id);
  }
  // All three operations and all step counts occur with the defaults.
  const ops = new Set(problems.flatMap((p) => parseSolution(p.solution ?? '').equations.map((e) => e.op)));
  assert.deepEqual([...ops].sort(), ['*', '+', '-']);
  const lengths = new Set(problems.map((p) => parseSolution(p.solution ?? '').equations.length));
  assert.deepEqual([...lengths].sort(), [1, 2, 3]);
});

test('synthetic-arith: difficulty knobs (steps, range, operations) are honoured', () => {
  const knobs = { seed: 5, count: 300, minSteps: 4, maxSteps: 5, maxValue: 50, operations: ['+', '-'] as Array<'+' | '-'> };
  for (const p of generateArithProblems('test', knobs)) checkProblem(p, 50, ['+', '-'], [4, 5]);
  for (const p of generateArithProblems('train', { seed: 5, count: 100, maxValue: 12, operations: ['*', '+'] })) {
    checkProblem(p, 12, ['*', '+'], [1, 3]);
  }
});

test('synthetic-arith: prompt is the question and a newline; task load, split and limit', async () => {
  const task = getTask('synthetic-arith');
  const problems = await task.load({ split: 'train', limit: 5, synthetic: { seed: 2, count: 50 } });
  assert.equal(problems.length, 5);
  const [first] = problems;
  assert.ok(first);
  assert.equal(task.prompt(first.question), `${first.question}\n`);
  assert.match(first.question, /^[A-Z][a-z]+ has \d+ [a-z]+\. (He|She) .+\. How many [a-z]+ does [A-Z][a-z]+ have\?$/);
  assert.equal(task.goldAnswer({ answer: 6 }), '6');
});

test('synthetic-arith: impossible or invalid knobs are UserErrors', () => {
  // With only `*` and values up to 3 there are two computations (1*2, 1*3), told with 8 names and
  // 8 items: at most 128 distinct questions.
  assert.throws(
    () => generateArithProblems('train', { count: 200, maxValue: 3, maxSteps: 1, operations: ['*'] }),
    (e: unknown) => {
      return e instanceof UserError && /only \d+ distinct train problems/.test(e.message);
    },
  );
  assert.throws(() => generateArithProblems('train', { minSteps: 3, maxSteps: 2 }), /maxSteps must be an integer >= 3/);
  assert.throws(() => generateArithProblems('train', { operations: [] }), /operations must be a non-empty subset/);
  assert.throws(() => generateArithProblems('train', { testFraction: 1 }), /testFraction/);
});
