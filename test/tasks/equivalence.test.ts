import { test } from 'node:test';
import assert from 'node:assert/strict';
import { answersEquivalent } from '../../src/tasks/verifier/equivalence.js';

/** [gold, predicted, expected, why]: one row per behaviour the verifier promises. */
const CASES: ReadonlyArray<readonly [string, string, boolean, string]> = [
  // symbolic
  ['2\\sqrt{3}', '\\sqrt{12}', true, 'same closed form, evaluated by the CAS'],
  ['(x+1)^2', 'x^2+2x+1', true, 'polynomials agree at sampled points'],
  ['2k+2', '2(k+1)', true, 'factored form'],
  ['\\frac{e^{-2 t}}{15}', 'e^{-2t}/15', true, 'fraction written two ways'],
  ['C_{1} e^{t}+C_{2} e^{-t}', 'C_2 e^{-t} + C_1 e^t', true, 'subscripted constants, reordered terms'],
  ['2.39794', '\\log_{10} 250', true, 'a decimal gold accepts the closed form it rounds'],
  ['\\log_{10} 250', '2.39794', false, 'an exact gold rejects a 5-decimal approximation'],
  ['\\log_{10} 250', '2.397940009', true, 'an exact gold accepts a decimal written to 1e-6 or finer'],
  ['\\binom{5}{2}', '10', true, 'binomial coefficient'],
  ['6 - 5i', '6-5i', true, 'complex number, spacing'],
  ['1 \\pm \\sqrt{19}', '1-\\sqrt{19}, 1+\\sqrt{19}', true, 'a gold \\pm is the gold set of both values'],
  // numbers
  ['\\frac{1}{2}', '0.5', true, 'fraction vs decimal'],
  ['\\dfrac{3}{4}', '\\tfrac34', true, '\\dfrac/\\tfrac and shorthand'],
  ['4.5e33', '4.5 \\times 10^{33}', true, 'scientific notation'],
  ['1\\frac{4}{5}', '1.8', true, 'mixed number'],
  ['025', '25', true, 'AIME zero padding'],
  ['0.33333', '\\frac{1}{3}', true, 'a decimal gold: within half a unit of its last digit'],
  // sets, tuples, intervals
  ['\\{1,2\\}', '\\{2,1\\}', true, 'sets are unordered'],
  ['1, -2', '-2, 1', false, 'a bare list is ordered'],
  ['\\{1, -2\\}', '-2, 1', true, 'a gold set accepts a list in any order'],
  ['(1,2)', '(1,2)', true, 'tuple, same order'],
  ['(1,2)', '(2,1)', false, 'tuples are ordered'],
  ['(1,2)', '[1,2]', false, 'open and closed intervals differ'],
  ['(3,4]', '(3,4)', false, 'half-open vs open interval'],
  ['\\left( 3, \\frac{\\pi}{2} \\right)', '(3, \\pi/2)', true, '\\left/\\right wrappers, symbolic item'],
  ['(-\\infty, 0]', '(-\\infty,0]', true, 'interval with infinity'],
  ['(0,9) \\cup (9,36)', '(9,36)\\cup(0,9)', true, 'union of intervals is unordered'],
  ['(6,3),(9,3),(9,5),(54,5)', '(9,5), (6,3), (54,5), (9,3)', true, 'olympiadbench list of tuples: list unordered, tuples ordered'],
  ['(6,3),(9,3)', '(3,6),(9,3)', false, 'a reversed tuple inside a list'],
  [
    '\\begin{pmatrix} -1/3 \\\\ 2/3 \\end{pmatrix}',
    '\\begin{pmatrix} -\\frac13 \\\\ \\frac23 \\end{pmatrix}',
    true,
    'matrix cells by value',
  ],
  ['\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}', '\\begin{pmatrix} 2 \\\\ 1 \\end{pmatrix}', false, 'matrix cells are ordered'],
  ['\\{5\\}', '5', true, 'a one-element set is its element'],
  // percent policy: `p\%` equals p (unit dropped) and p/100 (its value); p and p/100 differ
  ['50\\%', '50', true, 'percent sign dropped'],
  ['50\\%', '0.5', true, 'percent as its value'],
  ['50', '50\\%', true, 'percent sign on the prediction'],
  ['50', '0.5', false, 'no percent sign: different numbers'],
  ['4.2', '4.2 %', true, 'percent with a space'],
  // units and wrappers
  ['5 \\text{ cm}', '5', true, '\\text unit'],
  ['10', '\\text{10 dollars}', true, 'unit inside the same \\text group'],
  ['1.6 \\mathrm{~cm}', '1.6', true, '\\mathrm unit with a tie'],
  ['864 \\mbox{ inches}^2', '864', true, 'unit with a power'],
  ['\\frac{600}{7}', '\\frac{600}{7} km/h', true, 'plain compound unit'],
  ['18', '18 dollars', true, 'unit word after a number'],
  ['90^\\circ', '90', true, 'degree sign'],
  ['30^{\\circ}', '30', true, 'braced degree sign'],
  ['\\$18.90', '18.9', true, 'dollar sign'],
  ['1,000', '1000', true, 'thousands separator'],
  ['10,\\!080', '10080', true, 'thousands separator with \\!'],
  ['11,\\! 111,\\! 111,\\! 100', '11111111100', true, 'several separators'],
  ['1000', 'x = 1,000', true, 'thousands separator after a variable prefix'],
  ['(2,12) \\cup (12,102)', '(2,12102)', false, 'commas inside intervals are not thousands separators'],
  ['42', '42.', true, 'trailing period'],
  ['x=5', '5', true, 'variable prefix'],
  ['f(x)=\\frac{1}{x}', '\\frac{1}{x}', true, 'function prefix'],
  ['x \\in [-2,7]', '[-2,7]', true, 'membership prefix'],
  ['y = 2x + 3', 'y=3+2x', true, 'equation sides by value'],
  ['5x - 7y + 11z + 4 = 0', '5x-7y+11z+4=0', true, 'equation kept whole'],
  ['k \\geqslant 2', 'k \\geq 2', true, 'inequality spellings'],
  ['k \\ge 2', 'k \\le 2', false, 'different inequality'],
  ['\\text{Evelyn}', 'evelyn', true, 'word answer, case-insensitive'],
  ['\\text{(C)}', 'C', true, 'multiple-choice letter'],
  ['\\textbf{(113) }', '113', true, 'AoPS-style bold answer'],
  ['$\\sqrt{2}-1$,$\\frac{3-\\sqrt{2}}{7}$', '\\sqrt{2}-1, \\frac{3-\\sqrt{2}}{7}', true, 'olympiadbench per-item $ wrappers'],
  // clear negatives
  ['2', '3', false, 'different integers'],
  ['x+1', 'x+2', false, 'different expressions'],
  ['\\sqrt{2}', '1.41', false, 'an exact gold rejects a rounded decimal'],
  ['6-5i', '6+5i', false, 'complex conjugates'],
  ['2k+2', '2k+1', false, 'off by one'],
  ['1,2', '1,2,3', false, 'lists of different size'],
  ['\\frac{1}{2}', '\\frac{1}{3}', false, 'different fractions'],
  ['\\pi', '3.14', false, 'an exact gold rejects pi rounded to 3.14'],
];

test('answersEquivalent: table of equivalence cases', () => {
  const failures = CASES.filter(([gold, predicted, expected]) => answersEquivalent(gold, predicted) !== expected);
  assert.deepEqual(
    failures.map(([g, p, e, why]) => `${why}: ${g} vs ${p} should be ${e}`),
    [],
  );
});

/** Rows where the gold decides on purpose (its precision, its order): not expected to be symmetric. */
const GOLD_DECIDES = /decimal|exact gold|gold set/;

test('answersEquivalent: symmetric on the table where the gold does not decide', () => {
  const asymmetric = CASES.filter(([g, p, , why]) => !GOLD_DECIDES.test(why) && answersEquivalent(g, p) !== answersEquivalent(p, g));
  assert.deepEqual(
    asymmetric.map(([g, p]) => `${g} vs ${p}`),
    [],
  );
});

test('answersEquivalent: an exhausted time limit skips the CAS (not equal), cheap paths still work', () => {
  assert.equal(answersEquivalent('2\\sqrt{3}', '\\sqrt{12}', { timeLimitMs: 0 }), false);
  assert.equal(answersEquivalent('\\frac{1}{2}', '0.5', { timeLimitMs: 0 }), true);
  assert.equal(answersEquivalent('2\\sqrt{3}', '2\\sqrt{3}', { timeLimitMs: 0 }), true);
});

test('answersEquivalent: a decimal gold sets the precision; relTol only covers float noise', () => {
  assert.equal(answersEquivalent('4.5e33', '4.49e33'), true); // rounds to 4.5e33
  assert.equal(answersEquivalent('4.5e33', '4.44e33'), false);
  assert.equal(answersEquivalent('\\sqrt{2}', '\\sqrt{2.00000001}'), false);
  assert.equal(answersEquivalent('\\sqrt{2}', '\\sqrt{2.00000001}', { relTol: 1e-6 }), true);
});

test('answersEquivalent: the time limit is hard, even inside one long CAS call', () => {
  answersEquivalent('\\sqrt{2}', '\\sqrt{3}'); // start the CAS worker outside the timed part
  const started = Date.now();
  // Compute Engine evaluates this factorial for about a minute when left alone.
  assert.equal(answersEquivalent('99999999999999999999999!', '99999999999999999999999!+1', { timeLimitMs: 300 }), false);
  const elapsed = Date.now() - started;
  assert.ok(elapsed < 3000, `took ${elapsed} ms`);
  // The stuck worker was replaced: the CAS still answers.
  assert.equal(answersEquivalent('2\\sqrt{3}', '\\sqrt{12}'), true);
});
