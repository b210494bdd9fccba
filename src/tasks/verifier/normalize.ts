import { readBraceGroup, splitTopLevel } from './latex-scan.js';
import { stripTrailingUnits } from './units.js';

/**
 * Canonical text of an answer: the same value written the ways models and datasets write it
 * (`$\dfrac{1}{2}$`, `\left( 3, \frac{\pi}{2} \right)`, `10,\!080`, `90^\circ`, `5.4 \text{ cents}`,
 * `x \geq 5`, `x >= 5`) maps to one string, so most comparisons end with a string match and never
 * reach the CAS. Percent signs are kept (as `%`) because they change the value (see numbers.ts).
 *
 * Every rewrite is a single regex pass or a bounded loop, linear in the length of the text; callers
 * cap the text before it gets here (equivalence.ts).
 */
export function normalizeAnswer(raw: string): string {
  let s = raw.replace(/\s+/g, ' ').trim(); // one space per run: later patterns never rescan a run
  s = s.replace(/\\\$/g, ''); // a dollar sign before a money amount
  s = s.replace(/\$/g, ''); // math-mode delimiters, including olympiadbench's per-item `$a$,$b$`
  // A doubled backslash before a command name is an escaping slip (`\\frac`), not a row break.
  s = s.replace(/(?<!\\)\\\\(?=[a-zA-Z]{2})/g, '\\');
  s = s.replace(/\\[[\]()]/g, ' '); // \[ \] \( \) delimiters
  s = replaceUnicode(s);
  s = s.replace(/\\(?:displaystyle|textstyle|scriptstyle)(?![a-zA-Z])/g, '');
  s = s.replace(/\\[dtc]frac(?![a-zA-Z])/g, '\\frac').replace(/\\[dt]binom(?![a-zA-Z])/g, '\\binom');
  s = s.replace(/\\(?:left|right)\.|\\(?:left|right|bigl|bigr|Bigl|Bigr|biggl|biggr|big|Big|bigg|Bigg)(?![a-zA-Z])/g, '');
  s = s.replace(/\\lbrace(?![a-zA-Z])/g, '\\{').replace(/\\rbrace(?![a-zA-Z])/g, '\\}');
  // Thousands-separator markup: `10,\!080` and `14{,}916` (also garbled as `14 {, }916`).
  s = s.replace(/,\\!\s*/g, ',').replace(/(\d)\s*\{\s*,\s*\}\s*(?=\d)/g, '$1,');
  // Spacing commands become spaces; a matrix row break `\\` (two backslashes) is kept.
  s = s.replace(/\\\\|\\[,!;:> ]|\\q?quad(?![a-zA-Z])|~/g, (m) => (m === '\\\\' ? m : ' '));
  s = s.replace(/\^\s*\{\s*\\circ\s*\}|\^\s*\\circ(?![a-zA-Z])|\\circ(?![a-zA-Z])|\\degree(?![a-zA-Z])/g, '');
  s = s.replace(/\\%/g, '%').replace(/(\d)\s*(?:percent(?:age)?|pct)(?![a-zA-Z])/g, '$1%');
  s = normalizeRelations(s);
  s = s.replace(/(^|[,([])\s*\+\s*\\infty/g, '$1\\infty');
  s = s.replace(/\*\*/g, '^').replace(/\*/g, '\\cdot ');
  s = s.replace(/;/g, ','); // `(0;-2;6)` and `-12;-11` separate items as commas do
  s = stripTrailingUnits(stripTrailingPunctuation(s));
  s = stripTrailingUnits(unwrapTextCommands(s)); // `\text{10 dollars}` hides its unit until unwrapped
  s = fixShorthand(s);
  s = wordJoinedSet(stripTrailingPunctuation(s));
  return joinThousands(compactSpaces(s));
}

/** Unicode math that models emit in place of LaTeX. */
const UNICODE: Record<string, string> = {
  '≤': '\\le ',
  '⩽': '\\le ',
  '≥': '\\ge ',
  '⩾': '\\ge ',
  '≠': '\\ne ',
  '×': '\\times ',
  '·': '\\cdot ',
  '⋅': '\\cdot ',
  '−': '-',
  '–': '-',
  '√': '\\sqrt',
  π: '\\pi ',
  '∞': '\\infty ',
  '°': '',
  '²': '^2',
  '³': '^3',
  '€': '',
  '£': '',
  '¥': '',
  '∪': '\\cup ',
  '∈': '\\in ',
  '±': '\\pm ',
  '≈': '\\approx ',
  '\u00a0': ' ',
  '\u2009': ' ',
  '\u202f': ' ',
};
const UNICODE_RE = new RegExp(`[${Object.keys(UNICODE).join('')}]`, 'g');

function replaceUnicode(s: string): string {
  return s.replace(UNICODE_RE, (c) => UNICODE[c] ?? c);
}

/** Every spelling of a relation symbol becomes one: `\ge`, `\le`, `\ne`, `<`, `>`. */
export function normalizeRelations(s: string): string {
  return s
    .replace(/\\(?:geqslant|geq|ge)(?![a-zA-Z])|>=/g, '\\ge ')
    .replace(/\\(?:leqslant|leq|le)(?![a-zA-Z])|<=/g, '\\le ')
    .replace(/\\(?:neq|ne)(?![a-zA-Z])|!=/g, '\\ne ')
    .replace(/\\lt(?![a-zA-Z])/g, '<')
    .replace(/\\gt(?![a-zA-Z])/g, '>');
}

/**
 * Answers joined by words (`12 \text{ and } 13`, `x=2 \text{ or } x=3`, `(5,8) and (8,5)`) are a set
 * of answers: they become `\{12, 13\}`. A comma list stays a list (ordered); only the gold decides
 * whether order matters (see equivalence.ts).
 */
function wordJoinedSet(s: string): string {
  const JOIN = '\u0001';
  const marked = s
    .replace(/\\(?:text|textrm|mbox|mathrm)\s*\{\s*(?:and|or)\s*\}/g, JOIN)
    .replace(/(?<=[\w})\]'])\s*(?<![a-zA-Z])(?:and|or)(?![a-zA-Z])\s*(?=[\w(\\[{+-])|\s+(?:and|or)\s+/g, JOIN);
  if (!marked.includes(JOIN)) return s;
  const top = splitTopLevel(marked, JOIN);
  if (top.length < 2) return marked.replaceAll(JOIN, ', ');
  const items = top.flatMap((part) => splitTopLevel(part, ',')).map((p) => p.replaceAll(JOIN, ', ').trim());
  return `\\{${items.filter((p) => p !== '').join(', ')}\\}`;
}

/**
 * `1,000` → `1000` when the whole text is one number with strict thousands separators (groups of
 * three, no spaces). Inside a list (`32, 349`, `(2,12) \cup (12,102)`) a comma separates values.
 */
export function joinThousands(s: string): string {
  return /^[+-]?[1-9]\d{0,2}(?:,\d{3})+(?:\.\d+)?%?$/.test(s) ? s.replace(/,/g, '') : s;
}

const TRAILING = new Set([' ', '\t', '\n', '\r', '.', ',', ';', ':', '\\']);

/**
 * Trailing sentence punctuation and stray backslashes (`42.`, `185\`); a loop from the end rather
 * than /[\s.,;:]+$/, which backtracks quadratically on a long run of spaces that does not end the text.
 * A matrix row break `\\` at the end is also dropped (it ends no row).
 */
function stripTrailingPunctuation(s: string): string {
  let end = s.length;
  while (end > 0 && TRAILING.has(s.charAt(end - 1))) end--;
  let start = 0;
  while (start < end && /\s/.test(s.charAt(start))) start++;
  return s.slice(start, end);
}

/** `\text{Evelyn}` → `Evelyn`, `\textbf{(113) }` → `(113)`; text markup never changes a value. */
function unwrapTextCommands(s: string): string {
  const command =
    /\\(?:text|textbf|textit|textrm|textnormal|textsf|texttt|mathrm|mathbf|mathit|mathsf|mathtt|mbox|rm|bf|operatorname)\s*(?=\{)/g;
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
    .replace(/\\frac\s*(\{[^{}]*\})\s*([a-zA-Z])(?![a-zA-Z])/g, '\\frac$1{$2}')
    .replace(/\\sqrt\s*(\d+)/g, '\\sqrt{$1}')
    .replace(/\\sqrt\s*([a-zA-Z])(?![a-zA-Z])/g, '\\sqrt{$1}');
}

/**
 * Removes whitespace except between two letters, where it separates a command from its argument
 * (`\cos x`) or two symbols (`a b`), and after a comma, where it tells a list (`32, 349`) from a
 * thousands separator (`32,349`): `2 \sqrt{3}` and `2\sqrt{3}` become the same string.
 */
function compactSpaces(s: string): string {
  return s
    .replace(/\s+/g, ' ')
    .replace(/(?<!,) (?![a-zA-Z])|(?<![a-zA-Z,]) /g, '')
    .trim();
}
