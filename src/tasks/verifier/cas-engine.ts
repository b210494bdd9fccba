import { ComputeEngine } from '@cortex-js/compute-engine';
import { numbersClose } from './numbers.js';

type Expr = ReturnType<ComputeEngine['parse']>;

/** A complex value; real answers have im = 0. */
interface Value {
  re: number;
  im: number;
}

/** Settings of one CAS comparison; plain data, so they can be posted to the CAS worker. */
export interface CasOptions {
  relTol: number;
  /** Date.now() after which the comparison gives up (and counts as not equal). */
  deadline: number;
  /** Random points at which expressions with free variables are compared. */
  samples: number;
}

/** Floating-point noise in values the CAS computes: an exact 0 may come out as 1e-17. */
const CAS_ABS_TOL = 1e-12;

let engine: ComputeEngine | undefined;

/** One engine for the process: constructing it costs ~40 ms, far more than a comparison. */
function getEngine(): ComputeEngine {
  engine ??= new ComputeEngine();
  return engine;
}

const GREEK =
  'alpha|beta|gamma|delta|epsilon|varepsilon|zeta|eta|theta|vartheta|iota|kappa|lambda|mu|nu|xi|rho|sigma|tau|upsilon|phi|varphi|chi|psi|omega|Gamma|Delta|Theta|Lambda|Xi|Sigma|Phi|Psi|Omega';
const SUBSCRIPTED = new RegExp(`(\\\\(?:${GREEK})(?![a-zA-Z])|(?<![a-zA-Z\\\\])[a-zA-Z])_(?:\\{([a-zA-Z0-9]+)\\}|([a-zA-Z0-9]))`, 'g');

/**
 * LaTeX the engine reads as intended. Compute Engine 0.27 parses `x_0` as indexing `At(x, 0)` and
 * then types `x` as a list for the rest of the scope (and `x_0 + 1` as `x_{0+1}`), so subscripted
 * symbols become single symbols (`\mathrm{x_0}`). It has no \binom, so binomials become factorials.
 */
function toCasLatex(latex: string): string {
  return latex
    .replace(SUBSCRIPTED, (_m, base: string, braced?: string, bare?: string) => `\\mathrm{${base.replace('\\', '')}_${braced ?? bare}}`)
    .replace(/\\binom\{([^{}]*)\}\{([^{}]*)\}/g, '\\frac{($1)!}{($2)!(($1)-($2))!}')
    .replace(/%/g, '');
}

type Json = unknown;

/**
 * The engine's Root is the principal complex root, so `\sqrt[3]{-8}` has no real value; an odd
 * root of a real number is its real root (what every math answer means): sign(x)·|x|^(1/n).
 */
function realOddRoots(json: Json): Json {
  if (!Array.isArray(json)) return json;
  const [head, x, n] = json as [unknown, Json, unknown];
  if (head === 'Root' && typeof n === 'number' && n % 2 === 1) {
    const arg = realOddRoots(x);
    return ['Multiply', ['Sign', arg], ['Root', ['Abs', arg], n]];
  }
  return json.map(realOddRoots);
}

function parseForCas(ce: ComputeEngine, latex: string): Expr {
  const parsed = ce.parse(toCasLatex(latex));
  return parsed.isValid ? ce.box(realOddRoots(parsed.json) as Parameters<ComputeEngine['box']>[0]) : parsed;
}

/** The numeric value of a closed-form expression, or null when it has none (a tuple, a string). */
function numericValue(expr: Expr): Value | null {
  const n = expr.N();
  const re = n.re;
  const im = n.im;
  if (typeof re !== 'number' || Number.isNaN(re)) return null;
  return { re, im: typeof im === 'number' && !Number.isNaN(im) ? im : 0 };
}

function valuesClose(a: Value, b: Value, relTol: number): boolean {
  return numbersClose(a.re, b.re, relTol, CAS_ABS_TOL) && numbersClose(a.im, b.im, relTol, CAS_ABS_TOL);
}

/** Evaluates `expr` at a point: compiled JavaScript when the engine can compile it, else substitution. */
function evaluator(ce: ComputeEngine, expr: Expr): (point: Record<string, number>) => Value | null {
  let compiled: ((args?: Record<string, number>) => unknown) | undefined;
  try {
    // No simplification pass: it can cost hundreds of milliseconds and values do not need it.
    compiled = expr.compile({ optimize: [] }) as typeof compiled;
  } catch {
    compiled = undefined; // complex constants and some functions do not compile; substitute instead
  }
  return (point) => {
    if (compiled !== undefined) {
      const v = compiled(point);
      if (typeof v === 'number' && Number.isFinite(v)) return { re: v, im: 0 };
    }
    const subs = Object.fromEntries(Object.entries(point).map(([k, v]) => [k, ce.number(v)]));
    const value = numericValue(expr.subs(subs));
    return value !== null && Number.isFinite(value.re) && Number.isFinite(value.im) ? value : null;
  };
}

/** Deterministic sample points in [0.6, 2.4): positive, so square roots and logs stay real. */
function samplePoint(variables: string[], index: number): Record<string, number> {
  const point: Record<string, number> = {};
  variables.forEach((name, k) => {
    // A fixed low-discrepancy sequence (golden-ratio steps) rather than a seeded RNG: the same
    // points every run, spread over the interval, different for each variable.
    const u = ((((index + 1) * 0.6180339887 + (k + 1) * 0.4142135623) % 1) + 1) % 1;
    point[name] = 0.6 + 1.8 * u;
  });
  return point;
}

/**
 * Whether two scalar LaTeX expressions have the same value: exact structural match, else the
 * numeric value for closed forms (`2\sqrt{3}` vs `\sqrt{12}`), else agreement at `samples` random
 * points of their free variables (`(x+1)^2` vs `x^2+2x+1`). Unparseable input or running past the
 * deadline counts as not equal. Runs in the calling thread and checks the deadline only between
 * engine calls, since one call cannot be interrupted; cas.ts runs it in a worker for a hard limit.
 */
export function casEquivalentInline(a: string, b: string, options: CasOptions): boolean {
  // The engine reports some malformed input with console.error (e.g. "Invalid type tuple<...>")
  // before returning an error expression we handle anyway. It runs synchronously, so silencing
  // console.error for exactly this call hides nothing else.
  const consoleError = console.error;
  console.error = () => {};
  try {
    return compareWithEngine(a, b, options);
  } finally {
    console.error = consoleError;
  }
}

/** What the CAS worker is asked: equality of two values, one closed form's value, or two relations. */
export type CasRequest =
  | { kind: 'equal'; a: string; b: string; options: CasOptions }
  | { kind: 'value'; a: string; options: CasOptions }
  | { kind: 'proportional'; a: string; b: string; positive: boolean; options: CasOptions };

export type CasResult = boolean | Value | null;

/** Runs one request in this thread (see casEquivalentInline for the console and deadline caveats). */
export function casInline(request: CasRequest): CasResult {
  const consoleError = console.error;
  console.error = () => {};
  try {
    if (request.kind === 'equal') return compareWithEngine(request.a, request.b, request.options);
    if (request.kind === 'value') return valueWithEngine(request.a);
    return proportionalWithEngine(request.a, request.b, request.positive, request.options);
  } catch {
    return request.kind === 'value' ? null : false;
  } finally {
    console.error = consoleError;
  }
}

function valueWithEngine(a: string): Value | null {
  const ce = getEngine();
  ce.pushScope();
  try {
    const e = parseForCas(ce, a);
    if (!e.isValid || e.unknowns.length > 0) return null;
    const v = numericValue(e);
    return v !== null && Number.isFinite(v.re) && Number.isFinite(v.im) ? v : null;
  } finally {
    ce.popScope();
  }
}

/**
 * Whether f_a = c·f_b for a constant c != 0 (c > 0 when `positive`), checked at sample points:
 * `lhs - rhs` of two equations or inequalities. `2x+4y-3` and `y+x/2-3/4` are proportional (c = 4).
 */
function proportionalWithEngine(a: string, b: string, positive: boolean, options: CasOptions): boolean {
  const ce = getEngine();
  ce.pushScope();
  try {
    const ea = parseForCas(ce, a);
    const eb = parseForCas(ce, b);
    if (!ea.isValid || !eb.isValid) return false;
    const variables = [...new Set([...ea.unknowns, ...eb.unknowns])];
    if (variables.length === 0) return false;
    const fa = evaluator(ce, ea);
    const fb = evaluator(ce, eb);
    let ratio: number | null = null;
    let agreed = 0;
    for (let i = 0; i < Math.max(options.samples, 4); i++) {
      if (Date.now() >= options.deadline) return false;
      const point = samplePoint(variables, i);
      const va = fa(point);
      const vb = fb(point);
      if (va === null || vb === null || va.im !== 0 || vb.im !== 0) continue;
      const zeroA = Math.abs(va.re) <= CAS_ABS_TOL;
      const zeroB = Math.abs(vb.re) <= CAS_ABS_TOL;
      if (zeroA && zeroB) continue;
      if (zeroA || zeroB) return false;
      const r = va.re / vb.re;
      if (ratio === null) ratio = r;
      else if (!numbersClose(r, ratio, Math.max(options.relTol, 1e-9))) return false;
      agreed++;
    }
    return ratio !== null && agreed >= 2 && (!positive || ratio > 0);
  } finally {
    ce.popScope();
  }
}

function compareWithEngine(a: string, b: string, options: CasOptions): boolean {
  const ce = getEngine();
  // A scope per comparison: the engine infers and remembers symbol types, and one answer's
  // inferences must not change how the next answer parses.
  ce.pushScope();
  try {
    const ea = parseForCas(ce, a);
    const eb = parseForCas(ce, b);
    if (!ea.isValid || !eb.isValid) return false;
    if (ea.isSame(eb)) return true;
    const variables = [...new Set([...ea.unknowns, ...eb.unknowns])];
    if (variables.length === 0) {
      const va = numericValue(ea);
      const vb = numericValue(eb);
      return va !== null && vb !== null && valuesClose(va, vb, options.relTol);
    }
    const fa = evaluator(ce, ea);
    const fb = evaluator(ce, eb);
    let agreed = 0;
    for (let i = 0; i < options.samples; i++) {
      if (Date.now() >= options.deadline) return false;
      const point = samplePoint(variables, i);
      const va = fa(point);
      const vb = fb(point);
      if (va === null && vb === null) continue; // outside both domains
      if (va === null || vb === null || !valuesClose(va, vb, options.relTol)) return false;
      agreed++;
    }
    return agreed >= Math.min(2, options.samples);
  } catch {
    return false; // the engine throws on some malformed input; such an answer matches nothing
  } finally {
    ce.popScope();
  }
}
