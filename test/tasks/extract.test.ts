import { test } from 'node:test';
import assert from 'node:assert/strict';
import { extractAnswer, lastBoxed } from '../../src/tasks/verifier/extract.js';
import { normalizeAnswer } from '../../src/tasks/verifier/normalize.js';
import { parseNumber } from '../../src/tasks/verifier/numbers.js';
import { toNumber } from '../../src/tasks/verifier/rational.js';

/** [response, fallback to the last value, expected extraction, why] */
const EXTRACTIONS: ReadonlyArray<readonly [string, boolean, string | null, string]> = [
  ['so $x = \\boxed{\\frac{1}{2}}$.', false, '\\frac{1}{2}', 'boxed'],
  [
    'first \\boxed{1}, finally \\boxed{\\left(3, \\frac{\\pi}{2}\\right)}',
    false,
    '\\left(3, \\frac{\\pi}{2}\\right)',
    'last boxed wins, nested braces',
  ],
  ['\\boxed{\\{1,2\\}}', false, '\\{1,2\\}', 'escaped braces inside a box'],
  ['$3.4$ hours, or $\\framebox{204}$ minutes', false, '204', '\\framebox'],
  ['answer: \\fbox{7}', false, '7', '\\fbox wins over the answer phrase'],
  ['so the answer is \\boxed 5', false, '5', 'braceless \\boxed'],
  ['He makes 9 * 2 = $18.\n#### 18', false, '18', 'GSM8K ####'],
  ['3+5=8. 8-2=6.\n#### 6\n', false, '6', 'synthetic solution format'],
  ['Therefore, the answer is 42.', false, '42', 'answer phrase, sentence period dropped'],
  ['The final answer is $69$, $84$.', false, '$69$, $84$', 'answer phrase keeps several math spans'],
  ['The answer is 3.5 apples. Next sentence 9.', false, '3.5 apples', 'a decimal point does not end the sentence'],
  ['Final Answer: 12', false, '12', 'colon form, any case'],
  ['I get 12 and then 15 apples', false, null, 'no marker, no fallback'],
  ['I get 12 and then 1,500 apples', true, '1,500', 'last-number fallback keeps separators'],
  ['unbalanced \\boxed{3', false, null, 'a truncated box is not an answer'],
  ['', true, null, 'empty response'],
];

test('extractAnswer: table of responses', () => {
  const failures = EXTRACTIONS.filter(([r, fallback, expected]) => extractAnswer(r, { fallback: fallback ? 'last' : 'none' }) !== expected);
  assert.deepEqual(
    failures.map(
      ([r, f, e, why]) => `${why}: got ${JSON.stringify(extractAnswer(r, { fallback: f ? 'last' : 'none' }))}, want ${JSON.stringify(e)}`,
    ),
    [],
  );
});

test('lastBoxed: skips a trailing unbalanced box for an earlier complete one', () => {
  assert.equal(lastBoxed('\\boxed{2} then \\boxed{3'), '2');
});

/** [raw, normalised, why] */
const NORMALIZATIONS: ReadonlyArray<readonly [string, string, string]> = [
  ['$\\dfrac{1}{2}$', '\\frac{1}{2}', 'math delimiters and \\dfrac'],
  ['\\left( 3, \\frac{\\pi}{2} \\right)', '(3, \\frac{\\pi}{2})', '\\left/\\right and spaces (one kept after a comma)'],
  ['10,\\!080', '10080', 'thousands separator'],
  ['1, 234', '1, 234', 'a spaced list stays a list, never a thousands separator'],
  ['90^\\circ', '90', 'degrees'],
  ['50\\%', '50%', 'percent kept as a marker'],
  ['\\$32,\\!348', '32348', 'money'],
  ['5.4 \\text{ cents}', '5.4', 'unit in \\text'],
  ['\\frac{37}{4} m', '\\frac{37}{4}m', 'a lone plain letter is a variable, not a unit (kept)'],
  ['\\text{Evelyn}', 'Evelyn', 'text answer unwrapped, not stripped'],
  ['\\cos x', '\\cos x', 'space after a command kept'],
  ['2 \\sqrt{3}', '2\\sqrt{3}', 'other spaces removed'],
  ['\\frac9{19}', '\\frac{9}{19}', 'shorthand fraction'],
];

test('normalizeAnswer: table of rewrites', () => {
  const failures = NORMALIZATIONS.filter(([raw, expected]) => normalizeAnswer(raw) !== expected);
  assert.deepEqual(
    failures.map(([r, e, why]) => `${why}: ${JSON.stringify(normalizeAnswer(r))} != ${JSON.stringify(e)}`),
    [],
  );
});

test('parseNumber: formats and values', () => {
  const cases: Array<[string, number | null, boolean]> = [
    ['42', 42, false],
    ['-0.5', -0.5, false],
    ['.0000672', 0.0000672, false],
    ['4.5e33', 4.5e33, false],
    ['1.77e-6', 1.77e-6, false],
    ['3\\times10^{8}', 3e8, false],
    ['10^{3}', 1000, false],
    ['\\frac{3}{4}', 0.75, false],
    ['-\\frac{35}{9}', -35 / 9, false],
    ['-1./3', -1 / 3, false],
    ['137\\frac{1}{2}', 137.5, false],
    ['12.5%', 12.5, true],
    ['\\sqrt{2}', null, false],
    ['x', null, false],
  ];
  for (const [text, value, percent] of cases) {
    const parsed = parseNumber(text);
    if (value === null) assert.equal(parsed, null, text);
    else {
      assert.ok(parsed !== null, text);
      assert.ok(Math.abs(toNumber(parsed.value) - value) <= 1e-12 * Math.abs(value), `${text}: ${toNumber(parsed.value)}`);
      assert.equal(parsed.percent, percent, text);
    }
  }
});
