/**
 * Reading plain numeric answers without a CAS: integers, decimals, scientific notation (`4.5e33`,
 * `4.5\times10^{33}`), fractions (`\frac{3}{4}`, `-3/4`), mixed numbers (`1\frac{4}{5}`) and percents.
 *
 * Percent policy: a percent sign is a unit whose value is p/100. So `50\%` equals both `50` (the
 * answer written without its unit, as answer fields usually are) and `0.5` (its value), while `50`
 * and `0.5` without a percent sign are different answers.
 */

export interface ParsedNumber {
  value: number;
  /** The text ended in `%`; `value` is the number before the sign (50 for `50%`). */
  percent: boolean;
}

const DECIMAL = String.raw`(?:\d+\.?\d*|\.\d+)`;
const PLAIN = new RegExp(`^[+-]?${DECIMAL}(?:e[+-]?\\d+)?$`, 'i');
const TIMES_TEN = new RegExp(`^([+-]?${DECIMAL})\\s*(?:\\\\times|\\\\cdot|\\*)\\s*10\\^\\{?([+-]?\\d+)\\}?$`);
const POWER_OF_TEN = /^([+-]?)10\^\{?([+-]?\d+)\}?$/;
const FRAC = new RegExp(`^([+-]?)\\\\frac\\{([+-]?${DECIMAL})\\}\\{([+-]?${DECIMAL})\\}$`);
const SLASH = new RegExp(`^([+-]?${DECIMAL})/([+-]?${DECIMAL})$`);
const MIXED = /^([+-]?)(\d+)\\frac\{(\d+)\}\{(\d+)\}$/;

/** The value of a plain numeric answer, or null when the text is anything else (`\sqrt{2}`, `x+1`). */
export function parseNumber(text: string): ParsedNumber | null {
  let t = text.trim();
  const percent = t.endsWith('%');
  if (percent) t = t.slice(0, -1).trim();
  const value = plainValue(t);
  return value === null || !Number.isFinite(value) ? null : { value, percent };
}

function plainValue(t: string): number | null {
  if (PLAIN.test(t)) return Number(t);
  let m = TIMES_TEN.exec(t);
  if (m !== null) return Number(m[1]) * 10 ** Number(m[2]);
  m = POWER_OF_TEN.exec(t);
  if (m !== null) return (m[1] === '-' ? -1 : 1) * 10 ** Number(m[2]);
  m = FRAC.exec(t);
  if (m !== null) return (m[1] === '-' ? -1 : 1) * (Number(m[2]) / Number(m[3]));
  m = SLASH.exec(t);
  if (m !== null) return Number(m[1]) / Number(m[2]);
  m = MIXED.exec(t);
  if (m !== null) return (m[1] === '-' ? -1 : 1) * (Number(m[2]) + Number(m[3]) / Number(m[4]));
  return null;
}

/**
 * Relative closeness: |a-b| <= relTol * max(|a|, |b|), or |a-b| <= absTol (for values computed in
 * floating point, where an exact 0 may come out as 1e-17). Equal infinities are close.
 */
export function numbersClose(a: number, b: number, relTol: number, absTol = 0): boolean {
  if (a === b) return true;
  if (!Number.isFinite(a) || !Number.isFinite(b)) return false;
  const diff = Math.abs(a - b);
  return diff <= absTol || diff <= relTol * Math.max(Math.abs(a), Math.abs(b));
}

/** Two parsed numbers under the percent policy above. */
export function parsedNumbersEqual(a: ParsedNumber, b: ParsedNumber, relTol: number): boolean {
  if (numbersClose(a.value, b.value, relTol)) return true;
  if (a.percent && !b.percent) return numbersClose(a.value / 100, b.value, relTol);
  if (b.percent && !a.percent) return numbersClose(a.value, b.value / 100, relTol);
  return false;
}
