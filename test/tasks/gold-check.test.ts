import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { datasetsDir } from '../helpers/paths.js';
import { getTask } from '../../src/tasks/registry.js';
import type { Problem, TaskName } from '../../src/tasks/task.js';
import { gradeResponse } from '../../src/tasks/verifier/grade.js';
import { normalizeAnswer } from '../../src/tasks/verifier/normalize.js';

/**
 * The verifier against the datasets' own gold: each reference solution must grade correct against
 * its own answer field, and wrong against a different problem's answer. Rates are printed as
 * diagnostics so they can be quoted.
 */

async function loadTest(name: TaskName): Promise<Problem[]> {
  return getTask(name).load({ split: 'test', dataDir: datasetsDir, download: false });
}

function rawRows(file: string): Record<string, unknown>[] {
  return readFileSync(join(datasetsDir, file), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

interface Rates {
  own: number;
  other: number;
  failures: string[];
}

/** Grades reference[i] against answer[i], and against the next answer that differs as text. */
function goldRates(name: TaskName, references: string[], answers: string[]): Rates {
  const options = getTask(name).verifier;
  const failures: string[] = [];
  let own = 0;
  let other = 0;
  const normalized = answers.map(normalizeAnswer);
  for (const [i, reference] of references.entries()) {
    const verdict = gradeResponse(reference, answers[i]!, options);
    if (verdict.correct) own++;
    else failures.push(`${i}: gold ${JSON.stringify(answers[i])} extracted ${JSON.stringify(verdict.extracted)}`);
    let j = (i + 1) % answers.length;
    while (normalized[j] === normalized[i] && j !== i) j = (j + 1) % answers.length;
    if (gradeResponse(reference, answers[j]!, options).correct) other++;
  }
  return { own: own / references.length, other: other / references.length, failures };
}

function check(t: { diagnostic(message: string): void }, name: TaskName, rates: Rates, minOwn: number, what: string): void {
  t.diagnostic(
    `${name}: ${what} graded correct ${(rates.own * 100).toFixed(2)}% (need >= ${minOwn * 100}%); against another problem's answer ${(rates.other * 100).toFixed(2)}% (need <= 2%)`,
  );
  if (rates.failures.length > 0) t.diagnostic(`${name} misses: ${rates.failures.slice(0, 8).join(' | ')}`);
  assert.ok(rates.own >= minOwn, `${name}: ${rates.own} < ${minOwn}`);
  assert.ok(rates.other <= 0.02, `${name}: ${rates.other} > 0.02`);
}

test('gold check: gsm8k reference solutions (full test set)', async (t) => {
  const problems = await loadTest('gsm8k');
  assert.equal(problems.length, 1319);
  const rates = goldRates(
    'gsm8k',
    problems.map((p) => p.solution ?? ''),
    problems.map((p) => p.answer),
  );
  check(t, 'gsm8k', rates, 0.99, 'solution');
});

test('gold check: math500 reference solutions', async (t) => {
  const problems = await loadTest('math500');
  assert.equal(problems.length, 500);
  const rates = goldRates(
    'math500',
    problems.map((p) => p.solution ?? ''),
    problems.map((p) => p.answer),
  );
  check(t, 'math500', rates, 0.97, 'solution');
});

test('gold check: aime24 reference solutions (last \\boxed or \\framebox)', async (t) => {
  const problems = await loadTest('aime24');
  assert.equal(problems.length, 30);
  const rates = goldRates(
    'aime24',
    problems.map((p) => p.solution ?? ''),
    problems.map((p) => p.answer),
  );
  check(t, 'aime24', rates, 0.95, 'solution');
});

test('gold check: amc23 answers against themselves (no reference solutions)', async (t) => {
  const problems = await loadTest('amc23');
  assert.equal(problems.length, 40);
  // The raw field is a JSON number such as 27.0; the response writes it as the file does.
  const raw = rawRows('amc23/test.jsonl').map((r) => Number(r.answer).toFixed(1));
  const rates = goldRates(
    'amc23',
    raw.map((a) => `The answer is $\\boxed{${a}}$.`),
    problems.map((p) => p.answer),
  );
  check(t, 'amc23', rates, 0.95, 'answer as \\boxed{27.0}');
});

test('gold check: minerva_math reference solutions', async (t) => {
  const problems = await loadTest('minerva_math');
  assert.equal(problems.length, 272);
  const rates = goldRates(
    'minerva_math',
    problems.map((p) => p.solution ?? ''),
    problems.map((p) => p.answer),
  );
  check(t, 'minerva_math', rates, 0.95, 'solution');
});

test('gold check: olympiadbench final answers as stated with their units', async (t) => {
  const problems = await loadTest('olympiadbench');
  assert.equal(problems.length, 675);
  // Its solutions are proofs that never box the answer (39% do not even contain the answer text),
  // so the reference response states the raw final_answer list, `$...$` wrappers, multiple values
  // and unit included, as a model would: "The final answer is $166$ $cm^2$."
  const raw = rawRows('olympiadbench/test.jsonl');
  const references = raw.map((r) => {
    const unit = typeof r.unit === 'string' ? ` ${r.unit}` : '';
    return `The final answer is ${(r.final_answer as string[]).join(', ')}${unit}.`;
  });
  const rates = goldRates(
    'olympiadbench',
    references,
    problems.map((p) => p.answer),
  );
  check(t, 'olympiadbench', rates, 0.95, 'final answer with unit');
  // For the record (not asserted): how often the proof text itself yields the answer.
  const fromProofs = problems.filter((p) => gradeResponse(p.solution ?? '', p.answer, { fallback: 'last' }).correct).length;
  t.diagnostic(
    `olympiadbench: answer recovered from the proof text itself (last-number fallback) ${((fromProofs / problems.length) * 100).toFixed(1)}%`,
  );
});
