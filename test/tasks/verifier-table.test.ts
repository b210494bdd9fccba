import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gradeResponse } from '../../src/tasks/verifier/grade.js';

/**
 * The grading rules, one table per category: [gold, response, expected, why]. The response is a
 * whole model output (graded with gradeResponse), so extraction and equivalence are tested together.
 * Written for introspect from the rules in README ("Grading rules"); where other graders differ the
 * row says which semantics we chose.
 */
type Row = readonly [string, string, boolean, string];

const TABLES: Record<string, readonly Row[]> = {
  numbers: [
    ['20000', '\\boxed{20001}', false, 'integers are exact, however large'],
    ['5866608', '\\boxed{5866609}', false, 'no relative tolerance on integers'],
    ['2^{100}', '\\boxed{2^{100}+1}', false, 'exact big-integer arithmetic'],
    ['1267650600228229401496703205376', '\\boxed{2^{100}}', true, 'a power evaluated exactly'],
    ['12', '\\boxed{12.0}', true, 'a decimal that is exactly the integer'],
    ['0.25', '\\boxed{.25}', true, 'leading zero omitted'],
    ['7', '\\boxed{007}', true, 'zero padding'],
    ['-3', '\\boxed{-3}', true, 'negative'],
    ['-3', '\\boxed{3}', false, 'sign matters'],
    ['3.75', '\\boxed{3.7}', false, 'a decimal gold: 3.7 does not round to 3.75'],
    ['3.7', '\\boxed{3.74}', true, 'a decimal gold: 3.74 rounds to 3.7'],
    ['3.7', '\\boxed{3.76}', false, 'a decimal gold: 3.76 rounds to 3.8'],
    ['6.02\\times10^{23}', '\\boxed{6.022 \\times 10^{23}}', true, 'scientific notation at the gold precision'],
    ['6.02\\times10^{23}', '\\boxed{6.1\\times10^{23}}', false, 'scientific notation off by more than half a unit'],
    ['1,234,567', '\\boxed{1234567}', true, 'strict thousands separators'],
    ['14916', '\\boxed{14{,}916}', true, 'braced thousands separator'],
    ['32349', '\\boxed{32, 349}', false, 'a spaced comma is a list, never a separator'],
    ['2.5', '\\boxed{2,5}', true, 'a decimal comma against a decimal point'],
    ['2,5', '\\boxed{2, 5}', true, 'a comma list against the same list'],
  ],
  fractions: [
    ['\\frac{3}{4}', '\\boxed{0.75}', true, 'exact decimal of a fraction'],
    ['\\frac{2}{3}', '\\boxed{0.67}', false, 'an exact gold rejects a 2-decimal rounding'],
    ['\\frac{2}{3}', '\\boxed{0.6666667}', true, 'a decimal written to 1e-6 or finer'],
    ['0.67', '\\boxed{\\frac{2}{3}}', true, 'a decimal gold accepts the fraction it rounds'],
    ['\\frac{6}{8}', '\\boxed{\\frac{3}{4}}', true, 'unreduced fraction'],
    ['\\frac{3}{4}', '\\boxed{\\cfrac{3}{4}}', true, '\\cfrac'],
    ['\\frac{3}{4}', '\\boxed{3/4}', true, 'slash fraction'],
    ['2\\frac{1}{3}', '\\boxed{\\frac{7}{3}}', true, 'mixed number'],
    ['\\frac{3}{4}', '\\boxed{\\frac{4}{3}}', false, 'inverted fraction'],
  ],
  expressions: [
    ['\\sqrt[3]{-8}', '\\boxed{-2}', true, 'odd roots of negatives are real'],
    ['-2', '\\boxed{\\sqrt[3]{-8}}', true, 'odd roots, the other way round'],
    ['\\sqrt[4]{16}', '\\boxed{2}', true, 'exact nth root'],
    ['3\\sqrt{2}', '\\boxed{\\sqrt{18}}', true, 'surds'],
    ['\\frac{\\sqrt{2}}{2}', '\\boxed{\\frac{1}{\\sqrt{2}}}', true, 'rationalised denominator'],
    ['a^2-b^2', '\\boxed{(a-b)(a+b)}', true, 'factored polynomial'],
    ['a^2-b^2', '\\boxed{(a-b)^2}', false, 'different polynomial'],
    ['\\frac{\\pi}{3}', '\\boxed{60^\\circ}', false, 'radians and degrees are not mixed'],
    ['2\\pi', '\\boxed{2 \\pi}', true, 'spacing'],
    ['e^{2}', '\\boxed{e^2}', true, 'braces around a single exponent'],
  ],
  relations: [
    ['y \\ge 3', '\\boxed{y >= 3}', true, 'ASCII >='],
    ['y \\le 3', '\\boxed{3 \\geq y}', true, 'sides swapped, symbol flipped'],
    ['y < 3', '\\boxed{-y > -3}', true, 'negated inequality'],
    ['y < 3', '\\boxed{y \\le 3}', false, 'strict vs non-strict'],
    ['y \\ne 3', '\\boxed{y != 3}', true, 'ASCII !='],
    ['3x - 6y = 9', '\\boxed{x - 2y - 3 = 0}', true, 'an equation up to a non-zero factor'],
    ['3x - 6y = 9', '\\boxed{x - 2y = 4}', false, 'a different line'],
    ['y = 2x + 1', '\\boxed{2x + 1}', true, 'a naming lhs is dropped'],
    ['8 = 2a + b', '\\boxed{2a+b}', false, 'a number is not a name'],
    ['1 < t < 4', '\\boxed{(1, 4)}', true, 'an inequality chain is an interval'],
    ['t \\ge 2', '\\boxed{[2, \\infty)}', true, 'a one-sided inequality is a ray'],
  ],
  'sets, tuples, intervals': [
    ['\\{2, 5\\}', '\\boxed{\\{5, 2\\}}', true, 'sets are unordered'],
    ['\\{2, 5\\}', '\\boxed{\\{5, 2, 2\\}}', true, 'duplicates are dropped from sets'],
    ['\\{2, 5\\}', '\\boxed{{5, 2}}', true, 'bare braces are a set'],
    ['\\{2, 5\\}', 'The solutions are \\boxed{5} and \\boxed{2}.', true, 'boxes joined by "and" answer a set'],
    ['2 \\text{ and } 5', '\\boxed{5, 2}', true, 'an "and"-joined gold is a set'],
    ['8, 3, 1', '\\boxed{3, 8, 1}', false, 'a bare comma list is ordered'],
    ['8, 3, 1', '\\boxed{\\{8, 3, 1\\}}', true, 'same order in braces'],
    ['(2, 5)', '\\boxed{(5, 2)}', false, 'tuples are ordered'],
    ['(2, 5)', '\\boxed{[2, 5]}', false, 'open and closed intervals differ'],
    ['(a, b) = (1, 4)', '\\boxed{(1, 4)}', true, 'a tuple of names is a naming prefix'],
    ['(1,2),(3,4)', '\\boxed{(3,4),(1,2)}', true, 'a list of tuples is a solution set'],
    ['m_1 = 2, m_2 = 7', '\\boxed{m_2 = 7, m_1 = 2}', true, 'named items match by name'],
    ['(-\\infty, 1] \\cup [4, \\infty)', '\\boxed{[4,\\infty) \\cup (-\\infty,1]}', true, 'unions are unordered'],
    ['\\{2, 5\\}', '\\boxed{\\{2, 5, 7\\}}', false, 'an extra element'],
  ],
  matrices: [
    [
      '\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}',
      '\\boxed{\\begin{bmatrix} 1 & 2 \\\\ 3 & 4 \\end{bmatrix}}',
      true,
      'bracket style',
    ],
    [
      '\\begin{pmatrix} 4 & 6 \\end{pmatrix}',
      '\\boxed{\\begin{pmatrix} 1 & 2 \\end{pmatrix} + \\begin{pmatrix} 3 & 4 \\end{pmatrix}}',
      true,
      'a sum of literals',
    ],
    [
      '\\begin{pmatrix} 2 & 0 \\\\ 0 & 2 \\end{pmatrix}',
      '\\boxed{2\\begin{pmatrix} 1 & 0 \\\\ 0 & 1 \\end{pmatrix}}',
      true,
      'a scalar multiple',
    ],
    [
      '\\begin{pmatrix} 11 \\end{pmatrix}',
      '\\boxed{\\begin{pmatrix} 1 & 2 \\end{pmatrix}\\begin{pmatrix} 3 \\\\ 4 \\end{pmatrix}}',
      true,
      'a product',
    ],
    ['\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}', '\\boxed{\\begin{pmatrix} 1 & 3 \\\\ 2 & 4 \\end{pmatrix}}', false, 'transposed'],
  ],
  units: [
    ['12', '\\boxed{12 \\text{ meters}}', true, 'a \\text unit'],
    ['12', 'The rope is \\boxed{12\\,\\mathrm{m}} long.', true, 'a \\mathrm unit after a thin space'],
    ['45', '\\boxed{45^{\\circ}}', true, 'degrees'],
    ['12', '\\boxed{\\$12}', true, 'currency'],
    ['12', '\\boxed{13 \\text{ meters}}', false, 'a unit does not rescue a wrong value'],
  ],
  percent: [
    ['40\\%', '\\boxed{40}', true, 'percent sign dropped'],
    ['40\\%', '\\boxed{0.4}', true, 'percent as its value'],
    ['40', '\\boxed{40 percent}', true, 'the word percent'],
    ['40', '\\boxed{0.4}', false, 'no percent sign on either side'],
  ],
  text: [
    ['\\text{north}', '\\boxed{North}', true, 'words ignore case'],
    ['\\text{(B)}', '\\boxed{B}', true, 'a choice letter'],
    ['\\text{north}', '\\boxed{\\text{northh}}', false, 'a different word'],
  ],
  extraction: [
    ['9', 'Answer $9$', true, '"Answer" before a value'],
    ['9', 'First \\boxed{7}. The final answer is $9$.', true, 'a later statement revises a box'],
    ['9', 'So \\boxed{9}. The answer is correct.', true, 'a statement without a value does not'],
    ['120', 'Final Answer: The area of $PQR$ is 120. I hope it is correct.', true, 'a statement reduced to its value'],
    ['6', 'so 2 + 4 = 6', true, 'no marker: the last number (fallback)'],
    ['6', 'so $2 + 4 = 6$', true, 'no marker: the last math span, a computation ends in its value'],
    ['6', 'Answer $\n6\n$', false, 'inline math does not span lines'],
    ['6', '\\boxed{6} and then \\boxed{8}', false, 'the last box counts'],
    ['4', '\\boxed{3} or \\boxed{4}', false, 'hedging with joined boxes is never rewarded'],
    ['4', '\\boxed{4}, \\boxed{4}', true, 'the same answer boxed twice'],
    ['4', '\\boxed{3} or \\boxed{4}. The final answer is 4.', true, 'a later statement settles it'],
    ['4', '\\boxed{3}. On reflection the value is \\boxed{4}.', true, 'a revised box is not joined to the first'],
  ],
};

for (const [category, rows] of Object.entries(TABLES)) {
  test(`grading rules: ${category}`, () => {
    const wrong = rows.filter(([gold, response, expected]) => gradeResponse(response, gold).correct !== expected);
    assert.deepEqual(
      wrong.map(
        ([g, r, e, why]) =>
          `${why}: gold ${g} response ${JSON.stringify(r)} should be ${e} (extracted ${JSON.stringify(gradeResponse(r, g).extracted)})`,
      ),
      [],
    );
  });
}
