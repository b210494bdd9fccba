import { casEquivalent, casProportional, casValue, prepareCas, type CasOptions } from './cas.js';
import { normalizeAnswer } from './normalize.js';
import { floatMatchesNumber, numberMatchesFloat, parseNumber, parsedNumbersEqual } from './numbers.js';
import { isNamingLhs, parseAnswer, splitRelation, type AnswerNode, type RelationOp } from './structure.js';
import { at, group } from '../../util/must.js';

export interface EquivalenceOptions {
  /**
   * Relative tolerance for values the CAS computes in floating point (closed forms such as
   * `2\sqrt{3}` vs `\sqrt{12}`, expressions at sample points). Not a tolerance on answers: exact
   * numbers compare exactly and decimals by their written precision (numbers.ts).
   */
  relTol: number;
  /** Wall-clock budget for grading one response (extraction and every comparison); past it, "not equal". */
  timeLimitMs: number;
  /** Points at which expressions with free variables are compared. */
  samples: number;
}

export const defaultEquivalenceOptions: EquivalenceOptions = { relTol: 1e-9, timeLimitMs: 1000, samples: 6 };

/**
 * Answers are short (the longest gold answer in the six benchmarks has under 200 characters); a
 * longer "answer" is a rambling response. Checked on the raw text, before any normalisation.
 */
export const MAX_ANSWER_CHARS = 1000;

interface Context extends EquivalenceOptions {
  deadline: number;
}

/**
 * Whether a predicted answer equals the gold answer. Cheapest checks first: normalised strings,
 * then exact numbers, and only then the CAS (slow), so grading a whole benchmark takes seconds.
 * The gold decides the semantics where they differ: a gold list is ordered, a gold set is not, a
 * decimal gold sets the precision. `deadline` (Date.now() units) overrides `timeLimitMs`, so one
 * response's comparisons share one budget.
 */
export function answersEquivalent(
  gold: string,
  predicted: string,
  options: Partial<EquivalenceOptions> & { deadline?: number } = {},
): boolean {
  const opts = { ...defaultEquivalenceOptions, ...options };
  if (gold.length > MAX_ANSWER_CHARS || predicted.length > MAX_ANSWER_CHARS) return false;
  const g = normalizeAnswer(gold);
  const p = normalizeAnswer(predicted);
  if (g === '' || p === '') return false;
  if (g === p) return true;
  const ctx: Context = { ...opts, deadline: options.deadline ?? Date.now() + opts.timeLimitMs };
  if (nodesEqual(parseAnswer(g), parseAnswer(p), ctx)) return true;
  // A decimal comma (`1000,99`, `0,111`) is read as one only against a decimal point on the other
  // side; otherwise `1,22` is the list 1, 22.
  const gc = decimalComma(g);
  const pc = decimalComma(p);
  if (pc !== null && /\d\.\d/.test(g)) return nodesEqual(parseAnswer(g), parseAnswer(pc), ctx);
  if (gc !== null && /\d\.\d/.test(p)) return nodesEqual(parseAnswer(gc), parseAnswer(p), ctx);
  return false;
}

function decimalComma(s: string): string | null {
  const m = /^([+-]?\d+),(\d+)$/.exec(s);
  if (m === null) return null;
  const [whole, fraction] = [group(m, 1), group(m, 2)];
  const thousands = /^[+-]?[1-9]\d{0,2}$/.test(whole) && fraction.length === 3;
  return thousands ? null : `${whole}.${fraction}`;
}

/** A one-item set or list is that item: `\{5\}` answers "5". */
function unwrapSingleton(node: AnswerNode): AnswerNode {
  if (node.kind !== 'set' && node.kind !== 'list') return node;
  const [only, ...rest] = node.items;
  return only !== undefined && rest.length === 0 ? unwrapSingleton(only) : node;
}

function nodesEqual(goldNode: AnswerNode, predNode: AnswerNode, ctx: Context): boolean {
  const a = unwrapSingleton(goldNode);
  const b = unwrapSingleton(predNode);
  if (a.kind === 'scalar' && b.kind === 'scalar') return scalarsEqual(a.latex, b.latex, ctx);
  // A gold equation named by its lhs (`y = 2x+3`) against an equation in another form.
  if (a.kind === 'scalar' && a.named !== undefined && b.kind === 'relation') return nodesEqual(relationOf(a.named), b, ctx);
  if (b.kind === 'scalar' && b.named !== undefined && a.kind === 'relation') return nodesEqual(a, relationOf(b.named), ctx);
  if (a.kind === 'relation' && b.kind === 'relation') return relationsEqual(a, b, ctx);
  if (a.kind === 'relation' && b.kind === 'tuple') return intervalEqual(intervalOf(a), b, ctx);
  if (a.kind === 'tuple' && b.kind === 'relation') return intervalEqual(a, intervalOf(b), ctx);
  if (a.kind === 'tuple' && b.kind === 'tuple') return a.open === b.open && a.close === b.close && itemsEqualInOrder(a.items, b.items, ctx);
  if (a.kind === 'set' && (b.kind === 'set' || b.kind === 'list')) return itemsMatchUnordered(a.items, b.items, ctx);
  if (a.kind === 'list' && b.kind === 'list') {
    // Named items (`a_3 = 2, a_{37} = 19`) are matched by name, in any order.
    const named = (items: AnswerNode[]): boolean => items.every((i) => i.kind === 'scalar' && i.name !== undefined);
    if (named(a.items) && named(b.items)) return namedItemsMatch(a.items, b.items, ctx);
    // A list of tuples is a solution set (`(6,3),(9,3)`): its order carries no meaning.
    if (a.items.every((i) => i.kind === 'tuple')) return itemsMatchUnordered(a.items, b.items, ctx);
    return itemsEqualInOrder(a.items, b.items, ctx);
  }
  if (a.kind === 'list' && b.kind === 'set') {
    if (a.items.every((i) => i.kind === 'tuple')) return itemsMatchUnordered(a.items, b.items, ctx);
    return itemsEqualInOrder(a.items, b.items, ctx); // a gold list is ordered, however the prediction is braced
  }
  if (a.kind === 'matrix' && b.kind === 'matrix') {
    return a.rows.length === b.rows.length && a.rows.every((row, i) => itemsEqualInOrder(row, at(b.rows, i, 'matrix row'), ctx));
  }
  return false;
}

function relationOf(text: string): AnswerNode {
  return splitRelation(text) ?? { kind: 'scalar', latex: text };
}

function namedItemsMatch(a: AnswerNode[], b: AnswerNode[], ctx: Context): boolean {
  if (a.length !== b.length) return false;
  const key = (n: AnswerNode): string => (n.kind === 'scalar' ? normalizeAnswer(n.name ?? '') : '');
  return a.every((item) => {
    const partner = b.filter((other) => key(other) === key(item));
    const [only, ...rest] = partner;
    return only !== undefined && rest.length === 0 && nodesEqual(item, only, ctx);
  });
}

function itemsEqualInOrder(a: AnswerNode[], b: AnswerNode[], ctx: Context): boolean {
  return a.length === b.length && a.every((item, i) => nodesEqual(item, at(b, i, 'list item'), ctx));
}

/** Lists are compared item by item; more items than this are not a final answer. */
const MAX_ITEMS = 64;

/** Items with duplicates removed (a set lists each element once, whatever the response wrote). */
function distinct(items: AnswerNode[], ctx: Context): AnswerNode[] {
  const kept: AnswerNode[] = [];
  for (const item of items) if (!kept.some((k) => nodesEqual(k, item, ctx))) kept.push(item);
  return kept;
}

/** A perfect matching between the two (deduplicated) item lists, by augmenting paths. */
function itemsMatchUnordered(goldItems: AnswerNode[], predItems: AnswerNode[], ctx: Context): boolean {
  if (goldItems.length > MAX_ITEMS || predItems.length > MAX_ITEMS) return false;
  const a = distinct(goldItems, ctx);
  const b = distinct(predItems, ctx);
  if (a.length !== b.length) return false;
  const equal = a.map((x) => b.map((y) => nodesEqual(x, y, ctx)));
  const matchOfB = new Array<number>(b.length).fill(-1);
  const tryAssign = (i: number, seen: boolean[]): boolean => {
    for (let j = 0; j < b.length; j++) {
      if (!equal[i]?.[j] || seen[j]) continue;
      seen[j] = true;
      const matched = at(matchOfB, j, 'matching');
      if (matched < 0 || tryAssign(matched, seen)) {
        matchOfB[j] = i;
        return true;
      }
    }
    return false;
  };
  return a.every((_, i) => tryAssign(i, new Array<boolean>(b.length).fill(false)));
}

function casOptions(ctx: Context): CasOptions {
  ctx.deadline += prepareCas(); // starting the CAS worker is not charged to this response
  return { relTol: ctx.relTol, deadline: ctx.deadline, samples: ctx.samples };
}

function scalarsEqual(gold: string, pred: string, ctx: Context): boolean {
  if (gold === pred) return true;
  // Word answers ("Evelyn", "east", "even") compare without case.
  if (/^[a-zA-Z ]+$/.test(gold) && /^[a-zA-Z ]+$/.test(pred)) return gold.toLowerCase() === pred.toLowerCase();
  const ng = parseNumber(gold);
  const np = parseNumber(pred);
  if (ng !== null && np !== null) return parsedNumbersEqual(ng, np);
  if (Date.now() >= ctx.deadline) return false;
  const cas = casOptions(ctx);
  if (ng !== null) {
    const v = casValue(pred.replace(/%$/, ''), cas);
    return v !== null && Math.abs(v.im) <= 1e-12 && numberMatchesFloat(ng, v.re, ctx.relTol);
  }
  if (np !== null) {
    const v = casValue(gold.replace(/%$/, ''), cas);
    return v !== null && Math.abs(v.im) <= 1e-12 && floatMatchesNumber(v.re, np, ctx.relTol);
  }
  if (casEquivalent(gold, pred, cas)) return true;
  // `50\%` written as an expression the number parser does not read: compare without the sign.
  if (gold.endsWith('%') !== pred.endsWith('%')) return casEquivalent(gold.replace(/%$/, ''), pred.replace(/%$/, ''), cas);
  return false;
}

type Relation = Extract<AnswerNode, { kind: 'relation' }>;
type Tuple = Extract<AnswerNode, { kind: 'tuple' }>;

const FLIP: Record<RelationOp, RelationOp> = { '=': '=', '\\ne': '\\ne', '<': '>', '>': '<', '\\le': '\\ge', '\\ge': '\\le' };

/** The same relation read right to left: `5 \ge x` is `x \le 5`. */
function reversed(r: Relation): Relation {
  return { kind: 'relation', parts: [...r.parts].reverse(), ops: [...r.ops].reverse().map((op) => FLIP[op]) };
}

/**
 * Relations: the same chain of operators with equal parts (either reading direction), else, for a
 * single relation, proportional sides: equations (and `\ne`) are equivalent when lhs - rhs of one is
 * a non-zero multiple of the other's (`34x+45y-20z+100=0` vs `-34x-45y+20z-100=0`,
 * `x^2/4+y^2/3=1` vs `x^2/16+y^2/12=1/4`); inequalities when the multiple is positive after
 * writing both as `big - small > 0` (`x < 1` vs `-x > -1`, `x \le 5` vs `5 \ge x`).
 */
function relationsEqual(a: Relation, b: Relation, ctx: Context): boolean {
  if (a.ops.length !== b.ops.length) return false;
  const sameParts = (x: Relation, y: Relation): boolean =>
    x.ops.every((op, i) => op === y.ops[i]) && x.parts.every((p, i) => scalarsEqual(p, at(y.parts, i, 'relation part'), ctx));
  if (sameParts(a, b) || sameParts(a, reversed(b))) return true;
  if (a.ops.length !== 1) return false;
  const [opA, opB] = [at(a.ops, 0, 'relation operator'), at(b.ops, 0, 'relation operator')];
  const equation = (op: RelationOp): boolean => op === '=' || op === '\\ne';
  if (equation(opA) || equation(opB)) {
    if (opA !== opB) return false;
    const difference = (r: Relation): string => `(${at(r.parts, 0, 'lhs')})-(${at(r.parts, 1, 'rhs')})`;
    return casProportional(difference(a), difference(b), false, casOptions(ctx));
  }
  const strict = (op: RelationOp): boolean => op === '<' || op === '>';
  if (strict(opA) !== strict(opB)) return false;
  const gap = (r: Relation): string => {
    const [lhs, rhs] = r.parts;
    return r.ops[0] === '<' || r.ops[0] === '\\le' ? `(${rhs})-(${lhs})` : `(${lhs})-(${rhs})`;
  };
  return casProportional(gap(a), gap(b), true, casOptions(ctx));
}

/**
 * The interval a one-variable inequality describes: `-2 \le x \le 7` → `[-2,7]`, `x > 5` →
 * `(5,\infty)`, `0 < f(x) < 1` → `(0,1)`. Null for anything else.
 */
function intervalOf(r: Relation): Tuple | null {
  const lower = (op: RelationOp): boolean => op === '<' || op === '\\le';
  const upper = (op: RelationOp): boolean => op === '>' || op === '\\ge';
  const rel = r.ops.every(upper) ? reversed(r) : r;
  if (!rel.ops.every(lower)) return null;
  const bracket = (op: RelationOp, open: boolean): '(' | '[' | ')' | ']' => (op === '<' ? (open ? '(' : ')') : open ? '[' : ']');
  const scalar = (latex: string): AnswerNode => ({ kind: 'scalar', latex });
  const [op0, op1] = rel.ops;
  const [part0, part1, part2] = rel.parts;
  if (op0 === undefined || part0 === undefined || part1 === undefined) return null;
  if (op1 !== undefined && part2 !== undefined && rel.ops.length === 2 && isNamingLhs(part1)) {
    return {
      kind: 'tuple',
      open: bracket(op0, true) as '(' | '[',
      close: bracket(op1, false) as ')' | ']',
      items: [scalar(part0), scalar(part2)],
    };
  }
  if (rel.ops.length !== 1) return null;
  if (isNamingLhs(part0))
    return { kind: 'tuple', open: '(', close: bracket(op0, false) as ')' | ']', items: [scalar('-\\infty'), scalar(part1)] };
  if (isNamingLhs(part1))
    return { kind: 'tuple', open: bracket(op0, true) as '(' | '[', close: ')', items: [scalar(part0), scalar('\\infty')] };
  return null;
}

function intervalEqual(a: Tuple | null, b: Tuple | null, ctx: Context): boolean {
  return a !== null && b !== null && a.items.length === 2 && nodesEqual(a, b, ctx);
}
