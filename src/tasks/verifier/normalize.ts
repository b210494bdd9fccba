import { indexOfTopLevel, readBraceGroup, splitTopLevel } from './latex-scan.js';
import { stripTrailingUnits } from './units.js';

/**
 * Canonical text of an answer: the same value written the ways models and datasets write it
 * (`$\dfrac{1}{2}$`, `\left( 3, \frac{\pi}{2} \right)`, `10,\!080`, `90^\circ`, `5.4 \text{ cents}`)
 * maps to one string, so most comparisons end with a string match and never reach the CAS.
 * Percent signs are kept (as `%`) because they change the value; see numbers.ts for the policy.
 */
export function normalizeAnswer(raw: string): string {
  let s = raw.trim();
  s = s.replace(/\\\$/g, ''); // a dollar sign before a money amount
  s = s.replace(/\$/g, ''); // math-mode delimiters, including olympiadbench's per-item `$a$,$b$`
  s = s.replace(/^\\\[|\\\]$/g, '').replace(/^\\\(|\\\)$/g, '');
  s = s.replace(/\\(?:displaystyle|textstyle)(?![a-zA-Z])/g, '');
  s = s.replace(/\\[dt]frac(?![a-zA-Z])/g, '\\frac').replace(/\\[dt]binom(?![a-zA-Z])/g, '\\binom');
  s = s.replace(/\\(?:left|right)\.|\\(?:left|right|bigl|bigr|Bigl|Bigr|big|Big)(?![a-zA-Z])/g, '');
  s = s.replace(/\\lbrace(?![a-zA-Z])/g, '\\{').replace(/\\rbrace(?![a-zA-Z])/g, '\\}');
  // `10,\!080` is a thousands separator with a negative thin space; keep the comma, drop the space.
  s = s.replace(/,\\!\s*/g, ',');
  // Spacing commands become spaces; a matrix row break `\\` (two backslashes) is kept.
  s = s.replace(/\\\\|\\[,!;:> ]|\\q?quad(?![a-zA-Z])|~/g, (m) => (m === '\\\\' ? m : ' '));
  s = s.replace(/\^\s*\{\s*\\circ\s*\}|\^\s*\\circ(?![a-zA-Z])|\\circ(?![a-zA-Z])|°/g, '');
  s = s.replace(/\\%/g, '%');
  s = s.replace(/\\(?:geqslant|geq)(?![a-zA-Z])/g, '\\ge').replace(/\\(?:leqslant|leq)(?![a-zA-Z])/g, '\\le');
  s = s.replace(/\\neq(?![a-zA-Z])/g, '\\ne');
  s = s.replace(/\\text\s*\{\s*(?:or|and)\s*\}/g, ','); // "x=2 \text{ or } x=3" lists two answers
  s = stripTrailingUnits(stripTrailingPunctuation(s));
  s = stripTrailingUnits(unwrapTextCommands(s)); // `\text{10 dollars}` hides its unit until unwrapped
  s = fixShorthand(s);
  s = stripTrailingPunctuation(s);
  return compactSpaces(joinThousands(s));
}

/**
 * `1,000` → `1000` when the whole text is one number with thousands separators. Only then: inside
 * a list or interval (`(2,12) \cup (12,102)`) a comma separates values.
 */
export function joinThousands(s: string): string {
  return /^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?%?$/.test(s) ? s.replace(/,/g, '') : s;
}

/** Trailing sentence punctuation: `42.` ends a sentence (and as a number, `42.` is 42 anyway). */
function stripTrailingPunctuation(s: string): string {
  return s.trim().replace(/[\s.,;:]+$/, '');
}

/** `\text{Evelyn}` → `Evelyn`, `\textbf{(113) }` → `(113)`; text markup never changes a value. */
function unwrapTextCommands(s: string): string {
  const command = /\\(?:text|textbf|textit|textrm|textnormal|mathrm|mathbf|mathit|mbox|rm|bf)\s*(?=\{)/g;
  let out = s;
  for (let guard = 0; guard < 50; guard++) {
    command.lastIndex = 0;
    const m = command.exec(out);
    if (m === null) break;
    const group = readBraceGroup(out, m.index + m[0].length);
    if (group === null) break;
    out = out.slice(0, m.index) + group.content.trim() + out.slice(group.end);
  }
  return out.trim();
}

/** LaTeX shorthand that a CAS or number parser may not read: `\frac43`, `\frac9{19}`, `\sqrt2`. */
function fixShorthand(s: string): string {
  return s
    .replace(/\\frac\s*(\d)\s*(\d)/g, '\\frac{$1}{$2}')
    .replace(/\\frac\s*(\d)\s*\{/g, '\\frac{$1}{')
    .replace(/\\frac\s*(\{[^{}]*\})\s*(\d)/g, '\\frac$1{$2}')
    .replace(/\\sqrt\s*(\d+)/g, '\\sqrt{$1}');
}

/**
 * Removes whitespace except between two letters, where it separates a command from its argument
 * (`\cos x`) or two symbols (`a b`): `2 \sqrt{3}` and `2\sqrt{3}` become the same string.
 */
function compactSpaces(s: string): string {
  return s
    .replace(/\s+/g, ' ')
    .replace(/ (?![a-zA-Z])|(?<![a-zA-Z]) /g, '')
    .trim();
}

/** A left-hand side that only names the answer: `x`, `x_1`, `\theta`, `f(x)`, `AB`, `M`. */
const NAMING_LHS = /^(?:[a-zA-Z]{1,2}|\\[a-zA-Z]+)(?:_\{?[a-zA-Z0-9]+\}?)?(?:\([a-zA-Z](?:,[a-zA-Z])*\))?'*$/;

/**
 * Drops a prefix that only names the answer: `x=5` → `5`, `f(x)=\frac{1}{x}` → `\frac{1}{x}`,
 * `x\in[-2,7]` → `[-2,7]`. Equations whose left side is an expression (`5x-7y+11z+4=0`) are kept.
 */
export function stripVariablePrefix(s: string): string {
  const inMatch = /^(?:[a-zA-Z]|\\[a-zA-Z]+)\s*\\in(?![a-zA-Z])\s*/.exec(s);
  if (inMatch !== null && s.length > inMatch[0].length) return s.slice(inMatch[0].length);
  const eq = s.replace(/\\approx(?![a-zA-Z])/g, '=');
  const parts = splitTopLevel(eq, '=');
  if (parts.length === 2 && NAMING_LHS.test(parts[0].trim()) && parts[1].trim() !== '') return parts[1].trim();
  return s;
}

/** True when `s` is a relation at top level (an equation or inequality) rather than a value. */
export function isRelation(s: string): boolean {
  return ['=', '<', '>', '\\le', '\\ge', '\\ne'].some((op) => indexOfTopLevel(s, op) >= 0);
}
