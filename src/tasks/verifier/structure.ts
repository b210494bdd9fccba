import { outerBrackets, splitTopLevel } from './latex-scan.js';
import { joinThousands, stripVariablePrefix } from './normalize.js';

/**
 * The shape of an answer, read from normalised LaTeX before any value is compared:
 * - `tuple`: ordered, with its brackets — points `(1,2)`, intervals `[1,2)`; `(1,2)` and `[1,2]`
 *   are different answers, so brackets are part of the value.
 * - `set`: unordered — `\{1,2\}`, bare lists `1, -2` (all solutions of an equation, olympiadbench's
 *   multiple answers), unions `(0,9) \cup (9,36)` and `1 \pm \sqrt{2}`.
 * - `matrix`: rows of cells, from `\begin{pmatrix}`.
 * - `scalar`: anything else, compared by value.
 */
export type AnswerNode =
  | { kind: 'scalar'; latex: string }
  | { kind: 'tuple'; open: '(' | '['; close: ')' | ']'; items: AnswerNode[] }
  | { kind: 'set'; items: AnswerNode[] }
  | { kind: 'matrix'; rows: AnswerNode[][] };

const MATRIX = /^\\begin\{([pbvBV]?matrix|array)\}(?:\{[^{}]*\})?(.*)\\end\{\1\}$/s;

/** Parses normalised answer text (see normalizeAnswer) into its shape. */
export function parseAnswer(latex: string): AnswerNode {
  const s = joinThousands(stripVariablePrefix(latex.trim())); // `x=1,000` is one number

  const union = splitTopLevel(s, '\\cup');
  if (union.length > 1) return { kind: 'set', items: union.map(parseAnswer) };

  const list = splitTopLevel(s, ',');
  if (list.length > 1) return { kind: 'set', items: list.filter((p) => p.trim() !== '').map(parseAnswer) };

  if (s.startsWith('\\{') && s.endsWith('\\}')) {
    const inner = s.slice(2, -2);
    return { kind: 'set', items: splitTopLevel(inner, ',').filter((p) => p.trim() !== '').map(parseAnswer) };
  }

  const brackets = outerBrackets(s);
  if (brackets !== null) {
    const items = splitTopLevel(brackets.inner, ',');
    // A single bracketed value is just that value: `(113)` from `\textbf{(113)}`, `(C)`.
    if (items.length === 1) return parseAnswer(brackets.inner);
    return { kind: 'tuple', open: brackets.open, close: brackets.close, items: items.map(parseAnswer) };
  }

  const matrix = MATRIX.exec(s);
  if (matrix !== null) {
    const rows = splitTopLevel(matrix[2], '\\\\').filter((r) => r.trim() !== '');
    return { kind: 'matrix', rows: rows.map((r) => splitTopLevel(r, '&').map(parseAnswer)) };
  }

  for (const sign of ['\\pm', '\\mp']) {
    if (splitTopLevel(s, sign).length === 2) {
      const [plus, minus] = sign === '\\pm' ? ['+', '-'] : ['-', '+'];
      return { kind: 'set', items: [parseAnswer(s.replace(sign, plus)), parseAnswer(s.replace(sign, minus))] };
    }
  }
  return { kind: 'scalar', latex: s };
}
