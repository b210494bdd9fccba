import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prepareCas } from '../../src/tasks/verifier/cas.js';
import { extractAnswer } from '../../src/tasks/verifier/extract.js';
import { gradeResponse } from '../../src/tasks/verifier/grade.js';
import { normalizeAnswer } from '../../src/tasks/verifier/normalize.js';

/**
 * Responses a policy could emit to stall or crash the reward: each must be graded, without a crash,
 * within the verifier's one-second budget per response (plus slack for a loaded machine). The CAS
 * worker's start-up is excluded (it happens once per process, and again after a timeout kills it).
 */
const MB = 1 << 20;

/** Deterministic junk from the whole Unicode range, surrogates and controls included. */
function unicodeJunk(length: number): string {
  let state = 12345;
  const chars: string[] = [];
  for (let i = 0; i < length; i++) {
    state = (state * 1103515245 + 12345) % 2147483648;
    chars.push(String.fromCodePoint(state % 0x10ffff));
  }
  return chars.join('');
}

const tower = (base: string, height: number): string => (height === 0 ? base : `${base}^{${tower(base, height - 1)}}`);

const CASES: ReadonlyArray<readonly [string, () => string, string]> = [
  ['1 MB of spaces inside a box', () => `\\boxed{1${' '.repeat(MB)}}`, '1'],
  ['1 MB of dots inside a box', () => `\\boxed{1${'.'.repeat(MB)}}`, '1'],
  ['1 MB of \\text{cm} units inside a box', () => `\\boxed{5${' \\text{cm}'.repeat(MB / 10)}}`, '5'],
  ['1 MB of spaces then a stray character', () => `\\boxed{1${' '.repeat(MB)}x}`, '1'],
  ['1 MB of prose without an answer', () => 'so we think '.repeat(MB / 12), '1'],
  ['1 MB of digits', () => '7'.repeat(MB), '7'],
  ['deep nesting of parentheses', () => `\\boxed{${'('.repeat(100_000)}1${')'.repeat(100_000)}}`, '1'],
  ['deep nesting of braces, unbalanced', () => `\\boxed{${'{'.repeat(200_000)}1`, '1'],
  ['deep nesting of \\frac', () => `\\boxed{${'\\frac{1}{'.repeat(300)}2${'}'.repeat(300)}}`, '2'],
  ['a tower of exponents', () => `\\boxed{${tower('9', 12)}}`, '9'],
  ['a tower against a tower', () => `\\boxed{${tower('9', 6)}+1}`, tower('9', 6)],
  ['a huge factorial', () => '\\boxed{99999999999999999999999!}', '99999999999999999999999!+1'],
  ['900-digit literals', () => `\\boxed{${'9'.repeat(900)}}`, `${'9'.repeat(899)}8`],
  ['1 MB of unicode junk', () => unicodeJunk(MB), '1'],
  ['unicode junk inside a box', () => `\\boxed{${unicodeJunk(5000)}}`, '1'],
  ['ten thousand boxes', () => '\\boxed{1} '.repeat(10_000), '1, 2'],
  ['ten thousand unclosed boxes', () => '\\boxed{'.repeat(10_000), '1'],
  ['ten thousand dollar signs', () => '$'.repeat(10_000) + ' 5', '5'],
  ['many answer phrases', () => 'The answer is '.repeat(50_000), '1'],
  ['a long list', () => `\\boxed{${Array.from({ length: 20_000 }, (_, i) => i).join(',')}}`, '1, 2'],
  ['a long set', () => `\\boxed{\\{${Array.from({ length: 300 }, (_, i) => `\\sqrt{${i}}`).join(',')}\\}}`, '\\{1, 2\\}'],
  ['many variables', () => `\\boxed{${Array.from({ length: 200 }, (_, i) => `x_{${i}}`).join('+')}}`, 'x_{1}'],
];

test('adversarial responses: each graded within the budget, no crash', () => {
  const slow: string[] = [];
  for (const [name, make, gold] of CASES) {
    const response = make();
    prepareCas(); // a timeout in the previous case stops the worker: restart it outside the timing
    const started = performance.now();
    const verdict = gradeResponse(response, gold);
    const ms = performance.now() - started;
    assert.equal(typeof verdict.correct, 'boolean', name);
    if (ms > 1500) slow.push(`${name}: ${ms.toFixed(0)} ms`);
  }
  assert.deepEqual(slow, []);
});

test('adversarial responses: big exact numbers are not accepted off by one', () => {
  assert.equal(gradeResponse(`\\boxed{${'9'.repeat(900)}}`, `${'9'.repeat(899)}8`).correct, false);
  assert.equal(gradeResponse(`\\boxed{${'9'.repeat(900)}}`, '9'.repeat(900)).correct, true);
  assert.equal(gradeResponse('\\boxed{2^{100}+1}', '2^{100}').correct, false);
  assert.equal(gradeResponse('\\boxed{20001}', '20000').correct, false);
});

test('normalisation and extraction are linear: 1 MB inputs read in well under a second each', () => {
  const inputs = {
    spaces: `1${' '.repeat(MB)}x`,
    dots: `1${'.'.repeat(MB)}x`,
    units: `5${' \\text{cm}'.repeat(MB / 10)}`,
    joins: '1 and '.repeat(MB / 6),
    boxes: '\\boxed{1} '.repeat(MB / 10),
  };
  const slow: string[] = [];
  for (const [name, text] of Object.entries(inputs)) {
    for (const [step, run] of [
      ['normalizeAnswer', () => normalizeAnswer(text)],
      ['extractAnswer', () => extractAnswer(text)],
    ] as const) {
      const started = performance.now();
      run();
      const ms = performance.now() - started;
      // The quadratic versions of these ran for minutes on such inputs; linear ones take well under a
      // second (the bound leaves room for a machine loaded by parallel tests).
      if (ms > 5000) slow.push(`${step} on ${name}: ${ms.toFixed(0)} ms`);
    }
  }
  assert.deepEqual(slow, []);
});
