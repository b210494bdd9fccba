/**
 * Exact arithmetic for answers that are numbers: BigInt rationals and an evaluator for LaTeX
 * arithmetic (`2^{100}+1`, `\frac{3}{4}\cdot 8`, `5+5+1`, `10!`, `\binom{5}{2}`, `\sqrt[3]{-8}`).
 * Integers and fractions compare exactly here, so `20001` never equals `20000` however large the
 * numbers are; floating point is left to the CAS for irrational closed forms.
 */
import { group } from '../../util/must.js';

export interface Rational {
  num: bigint;
  /** Always positive; the fraction is in lowest terms. */
  den: bigint;
}

function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

export function rational(num: bigint, den = 1n): Rational {
  if (den === 0n) throw new NotExact('division by zero');
  if (den < 0n) [num, den] = [-num, -den];
  const g = gcd(num, den);
  return g > 1n ? { num: num / g, den: den / g } : { num, den };
}

export const rationalEquals = (a: Rational, b: Rational): boolean => a.num === b.num && a.den === b.den;
const add = (a: Rational, b: Rational): Rational => rational(a.num * b.den + b.num * a.den, a.den * b.den);
const sub = (a: Rational, b: Rational): Rational => rational(a.num * b.den - b.num * a.den, a.den * b.den);
const mul = (a: Rational, b: Rational): Rational => rational(a.num * b.num, a.den * b.den);
const div = (a: Rational, b: Rational): Rational => rational(a.num * b.den, a.den * b.num);

/** |a - b| <= tol, exactly. */
export function rationalWithin(a: Rational, b: Rational, tol: Rational): boolean {
  const d = sub(a, b);
  const abs = d.num < 0n ? rational(-d.num, d.den) : d;
  return abs.num * tol.den <= tol.num * abs.den;
}

/** The nearest double (exact for small values; big numerators keep their magnitude). */
export function toNumber(r: Rational): number {
  const n = Number(r.num);
  const d = Number(r.den);
  if (Number.isFinite(n) && Number.isFinite(d)) return n / d;
  const shift = BigInt(Math.max(0, r.num.toString().length - r.den.toString().length - 300));
  const scaled = Number((r.num * 10n ** 20n) / (r.den * 10n ** shift));
  return scaled * 10 ** (Number(shift) - 20);
}

/** Thrown when text is not exact arithmetic (a variable, \pi, a root that is not rational). */
export class NotExact extends Error {}

/** Results larger than this many bits are not computed (a tower `9^{9^{9}}` is left to the CAS). */
const MAX_BITS = 20_000;
const MAX_FACTORIAL = 2_000;

function bits(x: bigint): number {
  return (x < 0n ? -x : x).toString(16).length * 4;
}

function checkSize(r: Rational): Rational {
  if (bits(r.num) > MAX_BITS || bits(r.den) > MAX_BITS) throw new NotExact('too large');
  return r;
}

function power(base: Rational, exponent: Rational): Rational {
  if (exponent.den !== 1n) {
    // A rational exponent is exact only for perfect powers: 8^{2/3} = 4, 2^{1/2} is not exact.
    const root = nthRoot(base, exponent.den);
    return power(root, rational(exponent.num));
  }
  const e = exponent.num;
  if (e === 0n) return rational(1n);
  const absE = e < 0n ? -e : e;
  const size = Math.max(bits(base.num), bits(base.den));
  if (size > 1 && Number(absE) * (size - 1) > MAX_BITS) throw new NotExact('too large');
  if (absE > BigInt(MAX_BITS)) throw new NotExact('too large'); // base 0 or ±1 with a huge exponent
  const r = rational(base.num ** absE, base.den ** absE);
  return checkSize(e < 0n ? div(rational(1n), r) : r);
}

/** The exact integer n-th root of x, or null when x is not a perfect n-th power. */
function integerRoot(x: bigint, n: bigint): bigint | null {
  if (x < 0n) {
    if (n % 2n === 0n) return null;
    const r = integerRoot(-x, n);
    return r === null ? null : -r;
  }
  if (x < 2n) return x;
  // Newton's method from an upper bound, on integers.
  let r = 1n << BigInt(Math.ceil(bits(x) / Number(n)) + 1);
  for (;;) {
    const next = ((n - 1n) * r + x / r ** (n - 1n)) / n;
    if (next >= r) break;
    r = next;
  }
  return r ** n === x ? r : null;
}

function nthRoot(x: Rational, n: bigint): Rational {
  if (n <= 0n || n > 64n) throw new NotExact('root');
  const num = integerRoot(x.num, n);
  const den = integerRoot(x.den, n);
  if (num === null || den === null) throw new NotExact('irrational root');
  return rational(num, den);
}

function factorial(x: Rational): Rational {
  if (x.den !== 1n || x.num < 0n || x.num > BigInt(MAX_FACTORIAL)) throw new NotExact('factorial');
  let r = 1n;
  for (let i = 2n; i <= x.num; i++) r *= i;
  return checkSize(rational(r));
}

/** Parses a decimal literal (`12`, `0.25`, `.5`, `3.`) as an exact rational. */
export function decimalRational(text: string): Rational {
  const m = /^(\d*)(?:\.(\d*))?$/.exec(text);
  if (m === null || (m[1] === '' && (m[2] ?? '') === '')) throw new NotExact(text);
  const frac = m[2] ?? '';
  return rational(BigInt((m[1] || '0') + frac), 10n ** BigInt(frac.length));
}

/**
 * A recursive-descent reader of normalised LaTeX arithmetic. Grammar (juxtaposition multiplies,
 * `^` is right-associative and binds tighter than a leading minus, as in `-2^2 = -4`):
 *   sum := product (('+'|'-') product)*
 *   product := unary (('\cdot'|'\times'|'*'|'/'|'\div'|juxtaposition) unary)*
 *   unary := ('-'|'+') unary | power
 *   power := postfix ('^' (group | digit | unary))?
 *   postfix := atom '!'*
 *   atom := number | (sum) | {sum} | [sum] | \frac{}{} | \sqrt[n]{} | \binom{}{} | number\frac{}{} (mixed)
 */
class Reader {
  private i = 0;
  constructor(private readonly s: string) {}

  parseAll(): Rational {
    const value = this.sum();
    if (this.i !== this.s.length) throw new NotExact(`unexpected ${this.s.slice(this.i, this.i + 10)}`);
    return value;
  }

  private peek(word: string): boolean {
    if (!this.s.startsWith(word, this.i)) return false;
    // A command name must end here: `\cdot` is not the start of `\cdots`.
    return !(word.startsWith('\\') && /[a-zA-Z]/.test(this.s[this.i + word.length] ?? ''));
  }

  private eat(word: string): boolean {
    if (!this.peek(word)) return false;
    this.i += word.length;
    return true;
  }

  private sum(): Rational {
    let value = this.product();
    for (;;) {
      if (this.eat('+')) value = add(value, this.product());
      else if (this.eat('-')) value = sub(value, this.product());
      else return checkSize(value);
    }
  }

  private product(): Rational {
    let value = this.unary();
    for (;;) {
      if (this.eat('\\cdot') || this.eat('\\times') || this.eat('*')) value = mul(value, this.unary());
      else if (this.eat('/') || this.eat('\\div')) value = div(value, this.unary());
      else if (this.startsAtom()) value = mul(value, this.unary());
      else return checkSize(value);
    }
  }

  private startsAtom(): boolean {
    const c = this.s[this.i];
    return c === '(' || c === '{' || c === '[' || this.peek('\\frac') || this.peek('\\sqrt') || this.peek('\\binom');
  }

  private unary(): Rational {
    if (this.eat('-')) return mul(rational(-1n), this.unary());
    if (this.eat('+')) return this.unary();
    return this.power();
  }

  private power(): Rational {
    const base = this.postfix();
    if (!this.eat('^')) return base;
    let exponent: Rational;
    const c = this.s[this.i];
    if (c === '{') exponent = this.group('{', '}');
    else if (c !== undefined && /\d/.test(c)) {
      // TeX typesets `2^10` as 2^1 followed by 0, but whoever writes it means 2^{10}.
      const digits = /^\d+/.exec(this.s.slice(this.i, this.i + 50))?.[0] ?? c; // c is a digit: at least it matches
      exponent = rational(BigInt(digits));
      this.i += digits.length;
    } else exponent = this.unary();
    return power(base, exponent);
  }

  private postfix(): Rational {
    let value = this.atom();
    while (this.eat('!')) value = factorial(value);
    return value;
  }

  private group(open: string, close: string): Rational {
    if (!this.eat(open)) throw new NotExact(`expected ${open}`);
    const value = this.sum();
    if (!this.eat(close)) throw new NotExact(`expected ${close}`);
    return value;
  }

  private atom(): Rational {
    const c = this.s[this.i];
    if (c === '(') return this.group('(', ')');
    if (c === '{') return this.group('{', '}');
    if (c === '[') return this.group('[', ']');
    if (this.eat('\\frac')) {
      const n = this.group('{', '}');
      return div(n, this.group('{', '}'));
    }
    if (this.eat('\\binom')) {
      const n = this.group('{', '}');
      const k = this.group('{', '}');
      if (n.den !== 1n || k.den !== 1n || k.num < 0n || k.num > n.num) throw new NotExact('binom');
      return div(factorial(n), mul(factorial(k), factorial(sub(n, k))));
    }
    if (this.eat('\\sqrt')) {
      const index = this.s[this.i] === '[' ? this.group('[', ']') : rational(2n);
      if (index.den !== 1n) throw new NotExact('root index');
      return nthRoot(this.group('{', '}'), index.num);
    }
    const m = /^(?:\d+\.?\d*|\.\d+)/.exec(this.s.slice(this.i, this.i + 2000));
    if (m === null) throw new NotExact(`unexpected ${this.s.slice(this.i, this.i + 10)}`);
    this.i += m[0].length;
    const value = decimalRational(m[0]);
    // A mixed number: `918\frac{1}{2}` is 918 + 1/2 when both parts are integers.
    const mixed = /^\\frac\{(\d+)\}\{(\d+)\}/.exec(this.s.slice(this.i, this.i + 200));
    if (mixed !== null && /^\d+$/.test(m[0])) {
      this.i += mixed[0].length;
      return add(value, rational(BigInt(group(mixed, 1)), BigInt(group(mixed, 2))));
    }
    return value;
  }
}

/** The exact value of LaTeX arithmetic, or null when it is anything else (or too large to compute). */
export function evaluateExact(latex: string): Rational | null {
  if (latex.length > 2000 || !/^[\d\s+\-*/^!(){}[\]\\.a-z]*$/.test(latex)) return null;
  try {
    return new Reader(latex.replace(/\s+/g, '')).parseAll();
  } catch (e) {
    if (e instanceof NotExact || e instanceof RangeError) return null;
    throw e;
  }
}
