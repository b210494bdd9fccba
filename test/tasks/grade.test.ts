import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gradeRecords, gradeResponse } from '../../src/tasks/verifier/grade.js';
import { gradeTaskRecords } from '../../src/tasks/grade-task.js';
import { UserError } from '../../src/util/errors.js';
import { UnknownNameError } from '../../src/util/registry.js';

test('gradeResponse: reward 1 correct, 0 wrong, -formatPenalty without an answer', () => {
  assert.deepEqual(gradeResponse('so \\boxed{6}', '6'), { extracted: '6', correct: true, reward: 1 });
  assert.deepEqual(gradeResponse('so \\boxed{7}', '6'), { extracted: '7', correct: false, reward: 0 });
  assert.deepEqual(gradeResponse('no idea', '6'), { extracted: null, correct: false, reward: 0 });
  assert.deepEqual(gradeResponse('no idea', '6', { formatPenalty: 0.5 }), { extracted: null, correct: false, reward: -0.5 });
  // A wrong answer in the right format is not penalised beyond 0.
  assert.equal(gradeResponse('\\boxed{7}', '6', { formatPenalty: 0.5 }).reward, 0);
});

test('gradeRecords: verdicts in order and accuracy', () => {
  const { verdicts, accuracy } = gradeRecords([
    { response: '\\boxed{\\frac{1}{2}}', answer: '0.5' },
    { response: 'The answer is 3.', answer: '4' },
    { response: '#### 1,000', answer: '1000' },
    { response: 'nothing here', answer: '1' },
  ]);
  assert.deepEqual(
    verdicts.map((v) => v.correct),
    [true, false, true, false],
  );
  assert.deepEqual(
    verdicts.map((v) => v.extracted),
    ['\\frac{1}{2}', '3', '1,000', null],
  );
  assert.equal(accuracy, 0.5);
  assert.equal(gradeRecords([]).accuracy, 0);
});

test('gradeTaskRecords: reads each task its own answer fields', () => {
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['gsm8k', { question: 'q', answer: 'Work.\n#### 70000' }, 'so $70,000 in total\n#### 70,000'],
    ['math500', { answer: '\\frac{14}{3}' }, '\\boxed{\\dfrac{14}{3}}'],
    ['aime24', { answer: '025' }, '\\boxed{25}'],
    ['amc23', { answer: 27.0 }, '\\boxed{27}'],
    ['minerva_math', { solution: 'Thus $s=\\boxed{1.6} \\mathrm{~cm}$' }, 'The diameter is \\boxed{1.6 \\text{ cm}}'],
    ['olympiadbench', { final_answer: ['$100,\\frac{1}{100}$'], unit: null }, 'x is \\boxed{\\frac{1}{100}, 100}'],
    ['synthetic-arith', { answer: '6' }, '3+5=8. 8-2=6.\n#### 6\n'],
  ];
  for (const [task, record, response] of cases) {
    const summary = gradeTaskRecords(task, [{ ...record, response }]);
    assert.equal(summary.accuracy, 1, `${task}: ${JSON.stringify(summary.verdicts)}`);
    const wrong = gradeTaskRecords(task, [{ ...record, response: '\\boxed{999}' }]);
    assert.equal(wrong.accuracy, 0, task);
  }
});

test('gradeTaskRecords: the fallback to the last value is the default and can be turned off', () => {
  const record = { answer: '#### 18', output: 'She makes 9 * 2 = 18 dollars' };
  assert.equal(gradeTaskRecords('gsm8k', [record], { responseField: 'output' }).accuracy, 1);
  assert.equal(gradeTaskRecords('math500', [{ answer: '18', output: record.output }], { responseField: 'output' }).accuracy, 1);
  assert.equal(
    gradeTaskRecords('math500', [{ answer: '18', output: record.output }], { responseField: 'output', fallback: 'none' }).accuracy,
    0,
  );
  assert.equal(gradeTaskRecords('gsm8k', [record], { responseField: 'output', fallback: 'none' }).accuracy, 0);
});

test('gradeTaskRecords: bad input is a UserError naming the record', () => {
  assert.throws(
    () => gradeTaskRecords('gsm8k', [{ answer: '#### 1', response: 'x' }, { answer: '#### 2' }]),
    (e: unknown) => {
      return e instanceof UserError && /record 2: no string field "response"/.test(e.message);
    },
  );
  assert.throws(
    () => gradeTaskRecords('olympiadbench', [{ response: 'x', final_answer: 'not a list' }]),
    (e: unknown) => {
      return e instanceof UserError && /record 1: not a valid olympiadbench record \(final_answer/.test(e.message);
    },
  );
  assert.throws(() => gradeTaskRecords('gsm9k', []), UnknownNameError);
});
