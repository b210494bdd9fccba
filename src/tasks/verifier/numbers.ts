/**
 * Numeric answers and the rule for comparing them.
 *
 * Exact where the answer is exact: integers, fractions, mixed numbers and any exact arithmetic
 * (`2^{100}+1`, `\frac{3}{4}`, `1\frac{4}{5}`) are BigInt rationals compared exactly, so `20001` is
 * never `20000` and 900-digit literals that differ by one differ.
 *
 * A decimal is an approximation written to a precision: `16386.20` to 0.01, `4.5e33` to 1e32.
 * - A decimal GOLD accepts any prediction within half a unit of its last digit (the prediction
 *   rounds to the gold): gold `0.577` accepts `\frac{\sqrt{3}}{3}` and `0.5774`, not `0.58`.
 * - An exact gold accepts a decimal PREDICTION only when it is written to 10^-6 or finer (relative
 *   to the gold for values above 1) and is within one unit of its last digit (rounded or cut off):
 *   `\frac{1}{12}` accepts `0.0833333`, but `\sqrt{2}` rejects `1.41` and `\frac{8}{3}` rejects `2.6667`.
 *   Both are asymmetric on purpose: the gold states which precision the question asks for.
 *
 * Percent: a percent sign is a unit whose value is p/100. `50\%` equals both `50` (the answer
 * written without its unit, as answer fields usually are) and `0.5` (its value), while `50` and
 * `0.5` without a percent sign are different answers.
 */
import { decimalRational, evaluateExact, rational, rationalEquals, rationalWithin, toNumber, type Rational } from './rational.js';
import { group } from '../../util/must.js';

export interface ParsedNumber {
  /** The exact value of what is written (`0.33333` is 33333/100000). */
  value: Rational;
  /** A decimal's last-digit unit (0.01 for `16386.20`); null for exact numbers. */
  ulp: Rational | null;
  /** The text ended in `%`; `value` is the number before the sign (50 for `50%`). */
  percent: boolean;
}

/** A decimal literal with an optional exponent: `12.50`, `.5`, `4.5e33`, `4.5\times10^{33}`. */
const DECIMAL = /^([+-]?)(\d*\.\d*|\d+)(?:(?:e|\\times\s*10\^|\\cdot\s*10\^|\*10\^)\{?([+-]?\d{1,4})\}?)?$/i;

/** Decimal precision finer than this (relative to values above 1) is as good as exact. */
const FINE_PRECISION = rational(1n, 1_000_000n);

/** The value of a numeric answer, or null when the text is anything else (`\sqrt{2}`, `x+1`). */
export function parseNumber(text: string): ParsedNumber | null {
  let t = text.trim();
  const percent = t.endsWith('%');
  if (percent) t = t.slice(0, -1).trim();
  if (t === '' || t.length > 2000) return null;
  const decimal = parseDecimal(t);
  if (decimal !== null) return { ...decimal, percent };
  const value = evaluateExact(t);
  return value === null ? null : { value, ulp: null, percent };
}

function parseDecimal(t: string): { value: Rational; ulp: Rational | null } | null {
  const m = DECIMAL.exec(t);
  if (m === null || m[2] === '.') return null;
  const sign = m[1] === '-' ? -1n : 1n;
  const digits = group(m, 2);
  const mantissa = decimalRational(digits);
  const decimals = digits.includes('.') ? digits.length - digits.indexOf('.') - 1 : 0;
  const exponent = m[3] === undefined ? 0 : Number(m[3]);
  const scale = exponent >= 0 ? rational(10n ** BigInt(exponent)) : rational(1n, 10n ** BigInt(-exponent));
  const value = rational(sign * mantissa.num * scale.num, mantissa.den * scale.den);
  // `5` and `5.` are exact; `5.0` and `4.5e33` state a precision.
  const approximate = decimals > 0 || (m[3] !== undefined && digits.includes('.'));
  if (!approximate) return { value, ulp: null };
  const unit = rational(1n, 10n ** BigInt(decimals));
  return { value, ulp: rational(unit.num * scale.num, unit.den * scale.den) };
}

const half = (r: Rational): Rational => rational(r.num, r.den * 2n);
const abs = (r: Rational): Rational => (r.num < 0n ? rational(-r.num, r.den) : r);
const scaleBy = (r: Rational, k: Rational): Rational => rational(r.num * k.num, r.den * k.den);

/** Whether a prediction (value and precision) matches the gold under the rule above. */
export function valuesMatch(gold: Rational, goldUlp: Rational | null, pred: Rational, predUlp: Rational | null): boolean {
  if (rationalEquals(gold, pred)) return true; // `5.0` is 5, however precisely it is written
  if (goldUlp !== null) return rationalWithin(pred, gold, half(goldUlp));
  if (predUlp === null) return false;
  const magnitude = abs(gold).num >= abs(gold).den ? abs(gold) : rational(1n);
  if (!rationalWithin(predUlp, rational(0n), scaleBy(FINE_PRECISION, magnitude))) return false;
  return rationalWithin(pred, gold, predUlp);
}

/** The readings of a parsed number: with a percent sign, both p (unit dropped) and p/100. */
function readings(n: ParsedNumber): Array<{ value: Rational; ulp: Rational | null }> {
  const plain = { value: n.value, ulp: n.ulp };
  if (!n.percent) return [plain];
  const hundredth = rational(1n, 100n);
  return [plain, { value: scaleBy(n.value, hundredth), ulp: n.ulp === null ? null : scaleBy(n.ulp, hundredth) }];
}

/** Two parsed numbers under the precision and percent policies above. */
export function parsedNumbersEqual(gold: ParsedNumber, pred: ParsedNumber): boolean {
  if (gold.percent && pred.percent) return valuesMatch(gold.value, gold.ulp, pred.value, pred.ulp);
  return readings(gold).some((g) => readings(pred).some((p) => valuesMatch(g.value, g.ulp, p.value, p.ulp)));
}

/**
 * A gold number against a value the CAS computed in floating point (`\frac{\sqrt{3}}{3}`): the
 * gold's written precision when it is a decimal, else a relative `relTol` for float noise.
 */
export function numberMatchesFloat(gold: ParsedNumber, value: number, relTol: number): boolean {
  return readings(gold).some((g) => {
    const target = toNumber(g.value);
    const noise = relTol * Math.max(Math.abs(target), Math.abs(value), 1e-300);
    if (g.ulp !== null) return Math.abs(value - target) <= toNumber(g.ulp) / 2 + noise;
    return Math.abs(value - target) <= noise;
  });
}

/** A decimal prediction against a gold value the CAS computed in floating point (`\pi`). */
export function floatMatchesNumber(goldValue: number, pred: ParsedNumber, relTol: number): boolean {
  if (pred.percent) return false;
  const p = toNumber(pred.value);
  const noise = relTol * Math.max(Math.abs(goldValue), Math.abs(p), 1e-300);
  if (pred.ulp === null) return Math.abs(p - goldValue) <= noise;
  const ulp = toNumber(pred.ulp);
  return ulp <= 1e-6 * Math.max(1, Math.abs(goldValue)) && Math.abs(p - goldValue) <= ulp + noise;
}

/**
 * Relative closeness of two floats: |a-b| <= relTol * max(|a|, |b|), or |a-b| <= absTol (an exact 0
 * computed in floating point may come out as 1e-17). Equal infinities are close.
 */
export function numbersClose(a: number, b: number, relTol: number, absTol = 0): boolean {
  if (a === b) return true;
  if (!Number.isFinite(a) || !Number.isFinite(b)) return false;
  const diff = Math.abs(a - b);
  return diff <= absTol || diff <= relTol * Math.max(Math.abs(a), Math.abs(b));
}
