/**
 * `gradeFile`: the verifier over a JSON-lines file. The gold solutions of GSM8K (from ../shared)
 * must grade correct against their own records; hand-made lines cover the plain format and errors.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gradeFile } from '../../src/api/grade.js';
import { UserError } from '../../src/util/errors.js';
import { datasetsDir } from '../helpers/paths.js';

const temp = mkdtempSync(join(tmpdir(), 'introspect-grade-'));
after(() => rmSync(temp, { recursive: true, force: true }));

function file(name: string, lines: string[]): string {
  const path = join(temp, name);
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

test('--task gsm8k: every gold solution of the test split grades correct against its own record (>= 99%)', async () => {
  const rows = readFileSync(join(datasetsDir, 'gsm8k', 'test.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
  // The model's "response" is the reference solution itself; the record keeps gsm8k's own fields.
  const lines = rows.map((l) => {
    const row = JSON.parse(l) as { question: string; answer: string };
    return JSON.stringify({ ...row, response: row.answer });
  });
  const result = await gradeFile({ input: file('gsm8k-gold.jsonl', lines), task: 'gsm8k' });
  assert.equal(result.verdicts.length, 1319);
  assert.ok(result.accuracy >= 0.99, `accuracy ${result.accuracy}`);
  console.log(`gsm8k gold solutions graded correct: ${(100 * result.accuracy).toFixed(2)}%`);
  // Shifting the responses by one problem makes (almost) all of them wrong: the grader is not vacuous.
  const shifted = lines.map((_, i) => {
    const own = JSON.parse(lines[i]!) as Record<string, string>;
    const next = JSON.parse(lines[(i + 1) % lines.length]!) as Record<string, string>;
    return JSON.stringify({ ...own, response: next.response });
  });
  const wrong = await gradeFile({ input: file('gsm8k-shifted.jsonl', shifted), task: 'gsm8k' });
  assert.ok(wrong.accuracy < 0.05, `shifted accuracy ${wrong.accuracy}`);
});

test('plain {response, answer} lines: verdicts with line numbers (blank lines skipped)', async () => {
  const input = file('plain.jsonl', [
    JSON.stringify({ response: 'So the answer is \\boxed{\\frac{1}{2}}.', answer: '0.5' }),
    '',
    JSON.stringify({ response: 'Total: 12 apples.\n#### 12', answer: 13 }),
    JSON.stringify({ response: 'I do not know.', answer: '4' }),
    JSON.stringify({ response: 'The answer is $x = 3$', answer: '3' }),
  ]);
  const result = await gradeFile({ input });
  assert.deepEqual(
    result.verdicts.map((v) => [v.line, v.answer, v.extracted, v.correct]),
    [
      [1, '0.5', '\\frac{1}{2}', true],
      [3, '13', '12', false],
      [4, '4', null, false],
      [5, '3', '$x = 3$', true],
    ],
  );
  assert.equal(result.accuracy, 0.5);
});

test('missing files and bad lines are one-line user errors naming the line', async () => {
  const fails = async (options: Parameters<typeof gradeFile>[0], pattern: RegExp) => {
    await assert.rejects(gradeFile(options), (e: Error) => e instanceof UserError && pattern.test(e.message) && !e.message.includes('\n'));
  };
  await fails({ input: join(temp, 'nope.jsonl') }, /nope\.jsonl: no such file/);
  const ok = JSON.stringify({ response: '#### 1', answer: '1' });
  await fails({ input: file('bad-json.jsonl', [ok, '{"response": "x", ']) }, /bad-json\.jsonl:2: not valid JSON/);
  await fails({ input: file('no-answer.jsonl', [ok, ok, JSON.stringify({ response: 'x' })]) }, /no-answer\.jsonl:3: no "answer" field/);
  await fails({ input: file('no-response.jsonl', [JSON.stringify({ answer: '1' })]) }, /no-response\.jsonl:1: no string field "response"/);
  await fails({ input: file('array.jsonl', ['[1, 2]']) }, /array\.jsonl:1: expected a JSON object/);
  await fails(
    { input: file('gsm-bad.jsonl', [JSON.stringify({ response: 'x', answer: 'no hashes here' })]), task: 'gsm8k' },
    /gsm-bad\.jsonl:1: not a valid gsm8k record/,
  );
  await assert.rejects(gradeFile({ input: file('t.jsonl', [ok]), task: 'gsm9k' }), /gsm9k/);
});
