import { casEquivalent, prepareCas } from './cas.js';
import { splitTopLevel } from './latex-scan.js';
import { isRelation, normalizeAnswer } from './normalize.js';
import { parseNumber, parsedNumbersEqual } from './numbers.js';
import { parseAnswer, type AnswerNode } from './structure.js';

export interface EquivalenceOptions {
  /** Relative tolerance for numeric values (1e-4: `\sqrt{2}` ≠ 1.41, but 0.33333 = 1/3). */
  relTol: number;
  /** Wall-clock budget for one comparison; CAS work past it counts as "not equal". */
  timeLimitMs: number;
  /** Points at which expressions with free variables are compared. */
  samples: number;
}

export const defaultEquivalenceOptions: EquivalenceOptions = { relTol: 1e-4, timeLimitMs: 2000, samples: 6 };

const MAX_ANSWER_CHARS = 1000;

interface Context extends EquivalenceOptions {
  deadline: number;
}

/**
 * Whether a predicted answer equals the gold answer. Cheapest checks first: normalised strings,
 * then plain numbers, and only then the CAS (slow), so grading a whole benchmark takes seconds.
 */
export function answersEquivalent(gold: string, predicted: string, options: Partial<EquivalenceOptions> = {}): boolean {
  const opts = { ...defaultEquivalenceOptions, ...options };
  const g = normalizeAnswer(gold);
  const p = normalizeAnswer(predicted);
  if (g === '' || p === '') return false;
  if (g === p) return true;
  // Answers are short (the longest gold answer in the six benchmarks has under 200 characters);
  // a longer "answer" is a rambling response, not worth parsing.
  if (g.length > MAX_ANSWER_CHARS || p.length > MAX_ANSWER_CHARS) return false;
  const ctx: Context = { ...opts, deadline: Date.now() + opts.timeLimitMs };
  return nodesEqual(parseAnswer(g), parseAnswer(p), ctx);
}

/** A one-item set is that item: `\{5\}` answers "5", and `x=5` alone is not a list. */
function unwrapSingleton(node: AnswerNode): AnswerNode {
  return node.kind === 'set' && node.items.length === 1 ? unwrapSingleton(node.items[0]) : node;
}

function nodesEqual(aNode: AnswerNode, bNode: AnswerNode, ctx: Context): boolean {
  const a = unwrapSingleton(aNode);
  const b = unwrapSingleton(bNode);
  if (a.kind === 'scalar' && b.kind === 'scalar') return scalarsEqual(a.latex, b.latex, ctx);
  if (a.kind === 'tuple' && b.kind === 'tuple') {
    return a.open === b.open && a.close === b.close && itemsEqualInOrder(a.items, b.items, ctx);
  }
  if (a.kind === 'set' && b.kind === 'set') return itemsMatchUnordered(a.items, b.items, ctx);
  if (a.kind === 'matrix' && b.kind === 'matrix') {
    return a.rows.length === b.rows.length && a.rows.every((row, i) => itemsEqualInOrder(row, b.rows[i], ctx));
  }
  return false;
}

function itemsEqualInOrder(a: AnswerNode[], b: AnswerNode[], ctx: Context): boolean {
  return a.length === b.length && a.every((item, i) => nodesEqual(item, b[i], ctx));
}

/** A perfect matching between the two item lists (augmenting paths; lists are short). */
function itemsMatchUnordered(a: AnswerNode[], b: AnswerNode[], ctx: Context): boolean {
  if (a.length !== b.length) return false;
  const equal = a.map((x) => b.map((y) => nodesEqual(x, y, ctx)));
  const matchOfB = new Array<number>(b.length).fill(-1);
  const tryAssign = (i: number, seen: boolean[]): boolean => {
    for (let j = 0; j < b.length; j++) {
      if (!equal[i][j] || seen[j]) continue;
      seen[j] = true;
      if (matchOfB[j] < 0 || tryAssign(matchOfB[j], seen)) {
        matchOfB[j] = i;
        return true;
      }
    }
    return false;
  };
  return a.every((_, i) => tryAssign(i, new Array<boolean>(b.length).fill(false)));
}

const RELATIONS = ['\\le', '\\ge', '\\ne', '=', '<', '>'];

function scalarsEqual(a: string, b: string, ctx: Context): boolean {
  if (a === b) return true;
  // Word answers ("Evelyn", "east", "even") compare without case.
  if (/^[a-zA-Z ]+$/.test(a) && /^[a-zA-Z ]+$/.test(b)) return a.toLowerCase() === b.toLowerCase();
  if (isRelation(a) || isRelation(b)) return relationsEqual(a, b, ctx);
  const na = parseNumber(a);
  const nb = parseNumber(b);
  if (na !== null && nb !== null) return parsedNumbersEqual(na, nb, ctx.relTol);
  if (Date.now() >= ctx.deadline) return false;
  ctx.deadline += prepareCas(); // starting the CAS worker is not charged to this comparison
  const cas = { relTol: ctx.relTol, deadline: ctx.deadline, samples: ctx.samples };
  if (casEquivalent(a, b, cas)) return true;
  // `50\%` written as an expression the number parser does not read: compare without the sign.
  if (a.endsWith('%') !== b.endsWith('%')) return casEquivalent(a.replace(/%$/, ''), b.replace(/%$/, ''), cas);
  return false;
}

/** Relations (equations, inequalities) match when the operator matches and each side does. */
function relationsEqual(a: string, b: string, ctx: Context): boolean {
  for (const op of RELATIONS) {
    const sa = splitTopLevel(a, op);
    const sb = splitTopLevel(b, op);
    if (sa.length === 2 && sb.length === 2) {
      return scalarsEqual(sa[0], sb[0], ctx) && scalarsEqual(sa[1], sb[1], ctx);
    }
    if (sa.length !== sb.length) return false;
  }
  return false;
}
