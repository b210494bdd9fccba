import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getTask } from '../../src/tasks/registry.js';
import { countdownKey, generateCountdownProblems, gradeCountdown, parseCountdownQuestion } from '../../src/tasks/synthetic/countdown.js';
import { problemGrader } from '../../src/tasks/grade-problem.js';
import { gradeTaskRecords } from '../../src/tasks/grade-task.js';
import { UserError } from '../../src/util/errors.js';

/** Evaluates a solution's equations by hand (eval-free): each must be right arithmetic. */
function checkByHand(question: string, solution: string): void {
  const m = /^Use ([\d ]+) to make (\d+)\.$/.exec(question);
  assert.ok(m, question);
  const pool = m[1]!.split(' ').map(Number);
  const target = Number(m[2]);
  const [work, answerLine] = solution.split('\n');
  assert.equal(answerLine, `#### ${target}`);
  for (const eq of work!.split(' ')) {
    const e = /^(\d+)([+*-])(\d+)=(\d+)\.$/.exec(eq);
    assert.ok(e, eq);
    const [a, b, r] = [Number(e[1]), Number(e[3]), Number(e[4])];
    assert.equal(e[2] === '+' ? a + b : e[2] === '-' ? a - b : a * b, r, eq);
    for (const x of [a, b]) {
      assert.ok(pool.includes(x), `${x} available in ${pool.join(',')}`);
      pool.splice(pool.indexOf(x), 1);
    }
    pool.push(r);
  }
  assert.deepEqual(pool, [target]);
}

const knobs = { numbers: 4, maxNumber: 9, maxValue: 100, count: 300 };

test('countdown: every generated solution is a valid computation of the target from the numbers', () => {
  for (const split of ['train', 'validation', 'test'] as const) {
    const problems = generateCountdownProblems(split, knobs);
    assert.equal(problems.length, 300);
    for (const p of problems) checkByHand(p.question, p.solution!);
  }
});

test('countdown: train, validation and test share no (numbers, target) instance and are deterministic in the seed', () => {
  const keyOf = (q: string) => {
    const { numbers, target } = parseCountdownQuestion(q)!;
    return countdownKey(numbers, target);
  };
  const sets = (['train', 'validation', 'test'] as const).map(
    (s) => new Set(generateCountdownProblems(s, { ...knobs, count: 1000 }).map((p) => keyOf(p.question))),
  );
  for (let i = 0; i < 3; i++) for (let j = i + 1; j < 3; j++) for (const k of sets[i]!) assert.ok(!sets[j]!.has(k), `${k} in two splits`);
  // Permuted numbers are the same instance: the key sorts them.
  assert.equal(countdownKey([3, 1, 2], 7), countdownKey([1, 2, 3], 7));
  assert.deepEqual(generateCountdownProblems('test', knobs), generateCountdownProblems('test', knobs));
  assert.notDeepEqual(generateCountdownProblems('test', { ...knobs, seed: 1 }), generateCountdownProblems('test', knobs));
  assert.throws(() => generateCountdownProblems('train', { numbers: 2, maxNumber: 3, count: 1000 }), UserError);
});

test('countdown: the verifier accepts any valid computation and rejects wrong digits, reuse and unused numbers', () => {
  const q = 'Use 4 5 3 2 to make 25.';
  assert.equal(gradeCountdown('4*5=20. 20+3=23. 23+2=25.\n#### 25\n', q).correct, true);
  assert.equal(gradeCountdown('3+2=5. 4*5=20. 20+5=25.\n#### 25', q).correct, true, 'a different order of a valid route');
  assert.equal(gradeCountdown('5*4=20. 3+20=23. 2+23=25.\n#### 25', q).correct, true, 'operands in either order');
  assert.equal(gradeCountdown('4*5=20. 20+3=24. 24+2=26.\n#### 25', q).correct, false, 'a wrong digit');
  assert.equal(gradeCountdown('4*5=20. 20+3=23. 23+2=25.\n#### 26', q).correct, false, 'the wrong stated answer');
  assert.equal(gradeCountdown('4*5=20. 20+5=25. 3-2=1.\n#### 25', q).correct, false, 'a number used twice, ending elsewhere');
  assert.equal(gradeCountdown('4*5=20. 20+5=25.\n#### 25', q).correct, false, 'numbers left unused');
  assert.equal(gradeCountdown('4*6=24. 24+3=27. 27-2=25.\n#### 25', q).correct, false, 'a number that was not given');
  const none = gradeCountdown('4*5=20. 20+3=23.', q, 0.5);
  assert.deepEqual(none, { extracted: null, correct: false, reward: -0.5 });
  assert.equal(gradeCountdown('4*5=20. 20+3=23. 23+2=25.\n#### 25', q).extracted, '4*5=20. 20+3=23. 23+2=25. #### 25');
});

test('countdown: the task grades through its own verifier everywhere (grader, grade --task)', async () => {
  const task = getTask('countdown');
  const [p] = await task.load({ split: 'test', limit: 1, countdown: knobs });
  const grade = problemGrader(task);
  assert.equal(grade(p!.solution!, p!).correct, true);
  assert.equal(grade(`#### ${p!.answer}`, p!).correct, false, 'stating the target alone is not a solution');
  const summary = gradeTaskRecords('countdown', [
    { question: p!.question, answer: p!.answer, response: p!.solution! },
    { question: p!.question, answer: p!.answer, response: `#### ${p!.answer}` },
  ]);
  assert.deepEqual(
    summary.verdicts.map((v) => v.correct),
    [true, false],
  );
  assert.throws(() => gradeTaskRecords('countdown', [{ answer: '3', response: 'x' }]), /needs the "question" field/);
  await assert.rejects(getTask('synthetic-arith').load({ split: 'validation' }), /no validation split/);
});
