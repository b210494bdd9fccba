import { outerBrackets, splitTopLevel } from './latex-scan.js';
import { joinThousands } from './normalize.js';
import { evaluateExact, type Rational } from './rational.js';
import { at, group, last } from '../../util/must.js';

/**
 * The shape of an answer, read from normalised LaTeX before any value is compared:
 * - `tuple`: ordered, with its brackets — points `(1,2)`, intervals `[1,2)`; `(1,2)` and `[1,2]`
 *   are different answers, so brackets are part of the value.
 * - `list`: a bare comma list `10, 4, -2`, ordered (it answers "list a, b, c" questions).
 * - `set`: unordered, duplicates removed — `\{1,2\}`, bare braces `{1,3}`, word-joined answers
 *   (`6 \text{ and } 8`, see normalize.ts), unions `(0,9) \cup (9,36)` and `1 \pm \sqrt{2}`.
 * - `matrix`: rows of cells, from `\begin{pmatrix}` (sums and products of literals are evaluated).
 * - `relation`: an equation or inequality, `parts[0] ops[0] parts[1] ...` (chains allowed).
 * - `scalar`: anything else, compared by value.
 * `named` keeps the text before a naming prefix was dropped (`y=2x+3` for `2x+3`), for golds that are
 * themselves equations.
 */
export type AnswerNode =
  | { kind: 'scalar'; latex: string; named?: string; name?: string }
  | { kind: 'tuple'; open: '(' | '['; close: ')' | ']'; items: AnswerNode[] }
  | { kind: 'list'; items: AnswerNode[] }
  | { kind: 'set'; items: AnswerNode[] }
  | { kind: 'matrix'; rows: AnswerNode[][] }
  | { kind: 'relation'; parts: string[]; ops: RelationOp[] };

export type RelationOp = '=' | '<' | '>' | '\\le' | '\\ge' | '\\ne';
const RELATION_OPS: RelationOp[] = ['\\le', '\\ge', '\\ne', '=', '<', '>'];

const MATRIX = /^\\begin\{([pbvBV]?matrix|array)\}(?:\{[^{}]*\})?(.*)\\end\{\1\}$/s;

/** Parses normalised answer text (see normalizeAnswer) into its shape. */
export function parseAnswer(latex: string, depth = 0): AnswerNode {
  const s = latex.trim();
  if (depth > 20) return { kind: 'scalar', latex: s }; // nesting this deep is not an answer's structure

  // `x = 1,000` is one number, not the list `x=1` and `000`.
  const thousands = /^([^=]{1,60})=([+-]?[1-9]\d{0,2}(?:,\d{3})+(?:\.\d+)?%?)$/.exec(s);
  if (thousands !== null && isNamingLhs(group(thousands, 1)))
    return { kind: 'scalar', latex: joinThousands(group(thousands, 2)), named: s };
  const named = stripNamingPrefix(s);

  const union = splitTopLevel(s, '\\cup');
  if (union.length > 1) return { kind: 'set', items: union.map((u) => parseAnswer(u, depth + 1)) };

  const whole = joinThousands(s);
  if (whole !== s) return { kind: 'scalar', latex: whole };
  const list = splitTopLevel(s, ',').filter((p) => p.trim() !== '');
  if (list.length > 1) return { kind: 'list', items: list.map((p) => parseAnswer(p, depth + 1)) };

  const setBody = s.startsWith('\\{') && s.endsWith('\\}') ? s.slice(2, -2) : bareBraces(s);
  if (setBody !== null) {
    return {
      kind: 'set',
      items: splitTopLevel(setBody, ',')
        .filter((p) => p.trim() !== '')
        .map((p) => parseAnswer(p, depth + 1)),
    };
  }

  if (named !== s) {
    const inner = parseAnswer(named, depth + 1);
    const sides = splitTopLevel(s, '=');
    const name = sides.length === 2 ? sides[0]?.trim() : undefined;
    return inner.kind === 'scalar' ? { ...inner, named: s, name } : inner;
  }

  const brackets = outerBrackets(s);
  if (brackets !== null) {
    const items = splitTopLevel(brackets.inner, ',');
    // A single bracketed value is just that value: `(113)` from `\textbf{(113)}`, `(C)`.
    if (items.length === 1) return parseAnswer(brackets.inner, depth + 1);
    return { kind: 'tuple', open: brackets.open, close: brackets.close, items: items.map((i) => parseAnswer(i, depth + 1)) };
  }

  const matrix = MATRIX.exec(s);
  if (matrix !== null && !/\\(?:begin|end)\{/.test(group(matrix, 2))) {
    const rows = splitTopLevel(group(matrix, 2), '\\\\').filter((r) => r.trim() !== '');
    return { kind: 'matrix', rows: rows.map((r) => splitTopLevel(r, '&').map((c) => parseAnswer(c, depth + 1))) };
  }
  if (s.includes('\\begin{')) {
    const value = evaluateMatrixExpression(s);
    if (value !== null) return { kind: 'matrix', rows: value.map((row) => row.map((c) => ({ kind: 'scalar', latex: rationalLatex(c) }))) };
  }

  for (const sign of ['\\pm', '\\mp']) {
    if (splitTopLevel(s, sign).length === 2) {
      const [plus, minus] = sign === '\\pm' ? ['+', '-'] : ['-', '+'];
      return { kind: 'set', items: [parseAnswer(s.replace(sign, plus), depth + 1), parseAnswer(s.replace(sign, minus), depth + 1)] };
    }
  }

  const relation = splitRelation(s);
  if (relation !== null) return relation;
  return { kind: 'scalar', latex: s };
}

/** `{1,3}` (braces that group nothing, holding a comma list) is a set. */
function bareBraces(s: string): string | null {
  if (!s.startsWith('{') || !s.endsWith('}')) return null;
  const inner = s.slice(1, -1);
  if (splitTopLevel(`(${inner})`, ',').length !== 1) return null; // `{a}{b}` is two groups
  return splitTopLevel(inner, ',').length > 1 ? inner : null;
}

/** `a < b \le c` → parts and operators, or null when there is no top-level relation. */
export function splitRelation(s: string): AnswerNode | null {
  const parts: string[] = [];
  const ops: RelationOp[] = [];
  let rest = s;
  for (let guard = 0; guard < 10; guard++) {
    let best: { at: number; op: RelationOp } | null = null;
    for (const op of RELATION_OPS) {
      const [before, ...after] = splitTopLevel(rest, op);
      if (before !== undefined && after.length > 0 && (best === null || before.length < best.at)) best = { at: before.length, op };
    }
    if (best === null) break;
    parts.push(rest.slice(0, best.at).trim());
    ops.push(best.op);
    rest = rest.slice(best.at + best.op.length);
  }
  if (ops.length === 0) return null;
  parts.push(rest.trim());
  if (parts.some((p) => p === '')) return null;
  return { kind: 'relation', parts, ops };
}

/** Single-letter variables of an expression, commands (`\frac`, `\pi`) left out. */
export function variablesOf(s: string): Set<string> {
  const letters = s
    .replace(/\\[a-zA-Z]+/g, ' ')
    .replace(/_\{[^{}]*\}|_[a-zA-Z0-9]/g, ' ')
    .match(/[a-zA-Z]/g);
  return new Set(letters ?? []);
}

/**
 * Whether `lhs` only names the answer: a symbol (`x`, `x_1`, `\theta`, `f'`), a function value
 * (`f(x)`, `P(A)`), a measure (`|AB|`, `\angle ABC`, `\overline{AB}`), a ratio or tuple of names
 * (`\frac{NO}{BO}`, `A:B`, `S_{MBCN}:S`, `(p,q)`). Numbers outside subscripts and arguments, and
 * operators, make it an expression: `2x+4y-3 = 0` and `7 = 11a+c` are equations, not names.
 */
export function isNamingLhs(lhs: string): boolean {
  let t = lhs.trim();
  if (t === '' || t.length > 60) return false;
  t = t
    .replace(/_\{[^{}]*\}|_[a-zA-Z0-9]/g, '')
    .replace(/\^\{?\\prime\}?|'/g, '')
    .replace(/([a-zA-Z])\([^()]*\)/g, '$1')
    .replace(/\\(?:overline|overrightarrow|vec|hat|bar|widehat|mathbf|mathcal|mathrm)\{([^{}]*)\}/g, '$1')
    .replace(/\\(?:angle|measuredangle|triangle|arc|odot|sphericalangle)(?![a-zA-Z])/g, ' ')
    .replace(/\|([^|]*)\|/g, '$1')
    .replace(/\\frac\{([^{}]*)\}\{([^{}]*)\}/g, '$1:$2');
  if (t.startsWith('(') && t.endsWith(')')) t = t.slice(1, -1);
  if (!/^(?:[a-zA-Z]|\\[a-zA-Z]+|[:/,\s])+$/.test(t) || !/[a-zA-Z]/.test(t)) return false;
  // Commands other than Greek-like symbol names are operators (\sin, \log) or values (\pi, \infty).
  const commands = t.match(/\\[a-zA-Z]+/g) ?? [];
  return commands.every((c) => !/^\\(?:sin|cos|tan|cot|sec|csc|log|ln|exp|sqrt|pi|infty|cdot|times|lim|sum|int)$/.test(c));
}

/** Letters of a naming lhs that are the name itself (not a function's arguments or subscripts). */
function nameLetters(lhs: string): Set<string> {
  return variablesOf(lhs.replace(/\([^()]*\)/g, ''));
}

/**
 * Drops a prefix that only names the answer: `x=5` → `5`, `f(x)=\frac{1}{x}` → `\frac{1}{x}`,
 * `(p,q)=(3,2)` → `(3,2)`, `x\in[-2,7]` → `[-2,7]`, `x = 5+5+1 = 11` → `11` (the last step of a
 * chain), `x \approx 11` → `11`, `\frac{\sqrt{3}}{3} \approx 0.577` → `\frac{\sqrt{3}}{3}`.
 * The rhs must not use the name it defines (`y = 2y - 3` is an equation).
 */
export function stripNamingPrefix(s: string): string {
  if (splitTopLevel(s, ',').length > 1) return s; // a list: each item is stripped on its own
  const approx = splitTopLevel(s, '\\approx');
  if (approx.length > 1) {
    const first = at(approx, 0, 'approximation').trim();
    return isNamingLhs(first) ? stripNamingPrefix(`${first}=${last(approx, 'approximation')}`) : stripNamingPrefix(first);
  }
  const inMatch = /^([^=<>]{1,60}?)\\in(?![a-zA-Z])/.exec(s);
  if (inMatch !== null && isNamingLhs(group(inMatch, 1)) && s.length > inMatch[0].length) return s.slice(inMatch[0].length).trim();
  const eq = splitTopLevel(s, '=');
  if (eq.length < 2 || RELATION_OPS.some((op) => op !== '=' && splitTopLevel(s, op).length > 1)) return s;
  const lhs = at(eq, 0, 'equation side').trim();
  const rhs = last(eq, 'equation side').trim();
  if (rhs === '') return s;
  if (isNamingLhs(lhs)) {
    const letters = nameLetters(lhs);
    const used = variablesOf(rhs);
    if (![...letters].some((l) => used.has(l))) return rhs;
  }
  // A computation `\frac{1}{2} = \frac{10}{9}` or `5+5+1 = 11` (no variables on either side) ends in its value.
  if (variablesOf(lhs).size === 0 && variablesOf(rhs).size === 0) return rhs;
  // `1 = \zzz = x = 0`: the last step is named even when the first is not.
  if (eq.length > 2) {
    const step = at(eq, eq.length - 2, 'equation side').trim();
    if (isNamingLhs(step) && ![...nameLetters(step)].some((l) => variablesOf(rhs).has(l))) return rhs;
    return `${lhs}=${rhs}`;
  }
  return s;
}

/** A sum of products of matrix literals and exact scalars, evaluated: `A + B`, `A B`, `2A`. */
function evaluateMatrixExpression(s: string): Rational[][] | null {
  type M = Rational[][];
  const literal = (text: string): M | null => {
    const m = MATRIX.exec(text.trim());
    if (m === null || /\\(?:begin|end)\{/.test(group(m, 2))) return null;
    const rows = splitTopLevel(group(m, 2), '\\\\')
      .filter((r) => r.trim() !== '')
      .map((r) => splitTopLevel(r, '&').map((c) => evaluateExact(c.trim())));
    const width = rows[0]?.length;
    if (width === undefined || rows.some((r) => r.length !== width || r.some((c) => c === null))) return null;
    return rows as M;
  };
  const ENV = /\\begin\{([pbvBV]?matrix|array)\}.*?\\end\{\1\}/gs;
  const pieces: Array<M | string> = [];
  let last = 0;
  for (const m of s.matchAll(ENV)) {
    pieces.push(s.slice(last, m.index));
    const value = literal(m[0]);
    if (value === null) return null;
    pieces.push(value);
    last = (m.index ?? 0) + m[0].length;
  }
  pieces.push(s.slice(last));
  // Between literals only `+`, `-`, `\cdot`, `\times`, juxtaposition and exact scalar factors.
  const ops = {
    add: (a: M, b: M, sign: bigint): M | null =>
      a.length !== b.length || columns(a) !== columns(b)
        ? null
        : a.map((r, i) => r.map((c, j) => addR(c, mulR(entry(b, i, j), { num: sign, den: 1n })))),
  };
  let total: M | null = null;
  let sign = 1n;
  let term: M | null = null;
  let scalar: Rational = { num: 1n, den: 1n };
  const flush = (): boolean => {
    if (term === null) return false;
    const scaled = term.map((r) => r.map((c) => mulR(c, scalar)));
    total = total === null ? scaled.map((r) => r.map((c) => mulR(c, { num: sign, den: 1n }))) : ops.add(total, scaled, sign);
    term = null;
    scalar = { num: 1n, den: 1n };
    return total !== null;
  };
  for (const piece of pieces) {
    if (typeof piece !== 'string') {
      term = term === null ? piece : matMul(term, piece);
      if (term === null) return null;
      continue;
    }
    const text = piece.replace(/\\cdot|\\times/g, '').trim();
    if (text === '') continue;
    const signed = /^[+-]/.test(text) ? text.charAt(0) : undefined;
    const factor = (signed === undefined ? text : text.slice(1)).trim();
    if (signed !== undefined && term !== null) {
      if (!flush()) return null;
      sign = signed === '-' ? -1n : 1n;
    } else if (signed === '-') sign = -sign;
    if (factor !== '') {
      const k = evaluateExact(factor);
      if (k === null) return null;
      scalar = mulR(scalar, k);
    }
  }
  return flush() ? total : null;
}

function mulR(a: Rational, b: Rational): Rational {
  return reduce(a.num * b.num, a.den * b.den);
}
function addR(a: Rational, b: Rational): Rational {
  return reduce(a.num * b.den + b.num * a.den, a.den * b.den);
}
function reduce(num: bigint, den: bigint): Rational {
  let x = num < 0n ? -num : num;
  let y = den;
  while (y !== 0n) [x, y] = [y, x % y];
  return x > 1n ? { num: num / x, den: den / x } : { num, den };
}
function matMul(a: Rational[][], b: Rational[][]): Rational[][] | null {
  if (columns(a) !== b.length) return null;
  return a.map((row) =>
    Array.from({ length: columns(b) }, (_, j) => row.reduce((acc, c, k) => addR(acc, mulR(c, entry(b, k, j))), { num: 0n, den: 1n })),
  );
}
/** Columns of a rectangular matrix (0 for no rows). */
function columns(m: Rational[][]): number {
  return m[0]?.length ?? 0;
}
function entry(m: Rational[][], i: number, j: number): Rational {
  return at(at(m, i, 'matrix row'), j, 'matrix entry');
}
function rationalLatex(r: Rational): string {
  return r.den === 1n ? r.num.toString() : `\\frac{${r.num}}{${r.den}}`;
}
