import { at } from '../../util/must.js';
import { matchBraces } from './latex-scan.js';

/**
 * How a final answer is pulled out of a free-form response. Precedence: of the last complete
 * `\boxed{}` (also \fbox, \framebox), the last `#### N` (GSM8K) and the last final-answer statement
 * ("The answer is ...", "Final Answer: ...", "Answer $9$"), the one that comes LAST in the response
 * wins: a model that boxes a value and then states "The final answer is ..." has revised its answer.
 * A statement that yields nothing ("the answer is correct") never overrides a box.
 */
export interface ExtractOptions {
  /**
   * What to take when the response has no answer marker at all. `last` (default): the last math
   * span (`$...$`, `\[...\]`), else the whole response when it is short and not prose, else the last
   * number. `none`: no answer (reward -formatPenalty). `last` grades bare answers and models that
   * skip the marker; the trade-off is that an intermediate value which happens to be last can be
   * rewarded, so use `none` (with a formatPenalty) to train the answer format strictly.
   */
  fallback: 'last' | 'none';
}

export const defaultExtractOptions: ExtractOptions = { fallback: 'last' };

/** The commands that box a final answer; \fbox and \framebox occur in AoPS-style solutions. */
const BOX_COMMAND = /\\(?:boxed|fbox|framebox)(?![a-zA-Z])/g;

/** More boxes than this are not final answers; only the last ones are read. */
const MAX_BOXES = 64;

interface Boxed {
  at: number;
  end: number;
  content: string;
}

/** Every complete \boxed{...} (nested braces, `\boxed 5` without braces), in order, last MAX_BOXES. */
export function allBoxed(text: string): Boxed[] {
  const starts = [...text.matchAll(BOX_COMMAND)].map((m) => ({ at: m.index ?? 0, from: (m.index ?? 0) + m[0].length }));
  if (starts.length === 0) return [];
  const closeOf = matchBraces(text);
  const boxes: Boxed[] = [];
  for (const start of starts.reverse()) {
    if (boxes.length >= MAX_BOXES) break;
    let i = start.from;
    while (text[i] === ' ') i++;
    if (text[i] === '{') {
      const close = closeOf[i] ?? -1;
      if (close >= 0) boxes.push({ at: start.at, end: close + 1, content: text.slice(i + 1, close).trim() });
      continue; // truncated: an earlier complete box is the answer
    }
    const bare = /^[^\s$]+/.exec(text.slice(i, i + 100));
    if (bare !== null && i > start.from) boxes.push({ at: start.at, end: i + bare[0].length, content: bare[0] });
  }
  return boxes.reverse();
}

/**
 * Text between two boxes that joins them into one answer: only separators (`, `, `and`, `or`,
 * `\quad`, `\text{ and }`, math delimiters, the next part's name `y_2 =`); `\boxed{1} no no \boxed{2}` or `... so the pair is ...` is
 * two statements, not one answer.
 */
const JOINER =
  /^(?:\s|\$|\\[()[\]]|\\q?quad|\\text\s*\{\s*(?:and|or)\s*\}|\band\b|\bor\b|[,;.]|\\[,;!]|[a-zA-Z](?:_\{?[a-zA-Z0-9]+\}?)?\s*=)*$/;

/**
 * The last boxes of a text that state one answer together: consecutive boxes separated only by a
 * short joiner (a comma, "and", `\quad`); `\boxed{1} no no no \boxed{2}` is two attempts, not one.
 */
export function lastJoinedBoxes(text: string): string[] {
  const boxes = allBoxed(text);
  if (boxes.length === 0) return [];
  let first = boxes.length - 1;
  while (first > 0) {
    const between = text.slice(at(boxes, first - 1, 'box').end, at(boxes, first, 'box').at);
    if (between.length > 40 || !JOINER.test(between)) break;
    first--;
  }
  return boxes.slice(first).map((b) => b.content);
}

/** The content of the last complete \boxed{...}, or null. */
export function lastBoxed(text: string): string | null {
  return allBoxed(text).at(-1)?.content ?? null;
}

/** The text after the last `####` marker (GSM8K's convention), up to the end of its line. */
export function afterHashes(text: string): string | null {
  const found = hashesAt(text);
  return found?.answer ?? null;
}

function hashesAt(text: string): { at: number; answer: string } | null {
  const at = text.lastIndexOf('####');
  if (at < 0) return null;
  const end = text.indexOf('\n', at);
  const rest = text.slice(at + 4, end < 0 ? undefined : end).trim();
  return rest === '' ? null : { at, answer: rest };
}

/** "answer is", "answer:", "answer =", and "Answer" directly before a value (`Answer $9$`). */
const ANSWER_PHRASE = /answer\s*(?:is|:|=|should be|would be|will be)\s*:?|\banswer\b(?=\s*(?:\$|\\\[|\\\(|-?\d))/gi;

/**
 * The answer stated in the last final-answer statement, reduced to its value: "The final answer
 * is $69$, $84$." → `$69$, $84$`; "Final Answer: The volume of $ABCDEFGH$ is 120." → `120`.
 * @returns the value text, '' when the statement states nothing readable, null when there is none
 */
export function afterAnswerPhrase(text: string): string | null {
  return phraseAt(text)?.answer ?? null;
}

function phraseAt(text: string): { at: number; answer: string; statement: string } | null {
  let last: RegExpExecArray | null = null;
  for (const m of text.matchAll(ANSWER_PHRASE)) last = m;
  if (last === null) return null;
  const from = (last.index ?? 0) + last[0].length;
  const statement = statementAt(text, from);
  return { at: last.index ?? 0, answer: reduceStatement(statement), statement };
}

/** A statement that states a value: it has math, a digit, or is one word ("Evelyn"), not "correct". */
function statesValue(answer: string): boolean {
  return /[\d$\\^=]/.test(answer);
}

/**
 * The statement starting at `from`: a display block (`\[...\]`, `$$...$$`) read to its end, else
 * the rest of the sentence on that line (a period outside math ends it; an inline `$` that does
 * not close on the line is not math).
 */
function statementAt(text: string, from: number): string {
  const rest = text.slice(from, from + 4000);
  const lead = rest.length - rest.trimStart().length;
  for (const [open, close] of [
    ['\\[', '\\]'],
    ['$$', '$$'],
  ] as const) {
    if (rest.startsWith(open, lead)) {
      const end = rest.indexOf(close, lead + open.length);
      return end < 0 ? '' : rest.slice(lead + open.length, end);
    }
  }
  const line = rest.split('\n', 1)[0] ?? '';
  return line.slice(0, sentenceEnd(line)).trim();
}

/**
 * Where the first sentence of `text` ends: at a period followed by a space or the end of the text,
 * outside `$...$` math, and never inside a decimal such as 3.5.
 */
function sentenceEnd(text: string): number {
  let inMath = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\\') {
      i++; // `\$` is a dollar sign, not a math delimiter
      continue;
    }
    if (ch === '$') inMath = !inMath;
    else if (ch === '.' && !inMath && (i + 1 === text.length || /\s/.test(text[i + 1] ?? ''))) return i;
  }
  return text.length;
}

/** `$...$` and `\(...\)` spans of one line, `$$...$$` and `\[...\]` anywhere; the last MAX_BOXES. */
const MATH_SPAN = /\$\$([^$]+?)\$\$|\\\[([\s\S]+?)\\\]|\\\(([^\n]+?)\\\)|(?<![\\$])\$((?:[^$\n\\]|\\.)+?)\$/g;

function mathSpans(text: string): string[] {
  return mathSpansAt(text).map((s) => s.content);
}

function mathSpansAt(text: string): Array<{ content: string; end: number }> {
  const spans: Array<{ content: string; end: number }> = [];
  for (const m of text.matchAll(MATH_SPAN)) {
    const content = (m[1] ?? m[2] ?? m[3] ?? m[4] ?? '').trim();
    if (content !== '') spans.push({ content, end: (m.index ?? 0) + m[0].length });
  }
  return spans;
}

/** Words that may stand beside a value without making it prose. */
const FILLER =
  /^(?:and|or|the|a|an|is|are|cm|m|km|mm|units?|square|cubic|degrees?|dollars?|cents?|inches|feet|meters?|hours?|minutes?|seconds?|days?|years?|percent|pct)$/i;

/** Text that reads as a sentence rather than a value: two or more words that are not fillers. */
export function isProse(text: string): boolean {
  const outside = text.replace(MATH_SPAN, ' ').replace(/\\[a-zA-Z]+(?:\{[^{}]*\})?/g, ' ');
  const words = outside.match(/[a-zA-Z]{2,}/g) ?? [];
  return words.filter((w) => !FILLER.test(w)).length >= 2;
}

/**
 * A final-answer statement reduced to its value: the part after its last "is"/"are"/"be" outside
 * math, quotes and emphasis dropped; a statement that is still prose gives its last math span, or
 * else its last number.
 */
function reduceStatement(statement: string): string {
  let s = statement.replace(/\*\*|"|“|”/g, ' ').trim();
  const verb = [...s.matchAll(/\s(?:is|are|be|equals|was)\s/g)].filter((m) => !insideMath(s, m.index ?? 0)).pop();
  if (verb !== undefined) s = s.slice((verb.index ?? 0) + verb[0].length).trim();
  if (!isProse(s)) return s;
  return mathSpans(s).at(-1) ?? lastNumber(s) ?? '';
}

function insideMath(text: string, at: number): boolean {
  let dollars = 0;
  for (let i = 0; i < at; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '$') dollars++;
  }
  return dollars % 2 === 1;
}

/** A number in plain text, not glued to a word (`AZYUK2A` holds none): sign, separators, `a/b`. */
const PLAIN_NUMBER = /(?<![a-zA-Z\d.,])-?\d+(?:,\d{3})*(?:[.,]\d+)?(?:\/\d+)?/g;

/** The last number in plain text: sign, strict thousands separators, decimals and `a/b` kept. */
export function lastNumber(text: string): string | null {
  return lastNumberAt(text)?.text ?? null;
}

function lastNumberAt(text: string): { text: string; end: number } | null {
  const from = Math.max(0, text.length - 4000);
  let last: { text: string; end: number } | null = null;
  for (const m of text.slice(from).matchAll(PLAIN_NUMBER)) last = { text: m[0], end: from + (m.index ?? 0) + m[0].length };
  return last;
}

/** Responses up to this long may be a bare answer (`x^2 + 2x + 1`, `17 \text{ cm}`). */
const SHORT_ANSWER_CHARS = 120;

/** Words of two or more letters outside LaTeX commands and \text{} groups, fillers left out. */
function contentWords(text: string): string[] {
  const outside = text.replace(/\\[a-zA-Z]+(?:\{[^{}]*\})?/g, ' ');
  return (outside.match(/[a-zA-Z]{2,}/g) ?? []).filter((w) => !FILLER.test(w));
}

/**
 * No answer marker: the whole response when it is short and reads as one value (`x^2 + 2x + 1`,
 * `17 \text{ cm}`, `Evelyn`), else the later of the last math span and the last plain number.
 */
function fallbackAnswer(response: string): string | null {
  const trimmed = response.trim();
  if (trimmed !== '' && trimmed.length <= SHORT_ANSWER_CHARS && !trimmed.includes('$')) {
    const words = contentWords(trimmed);
    if (words.length === 0 || (words.length === 1 && /^[a-zA-Z]+$/.test(trimmed))) return trimmed;
  }
  const tail = response.slice(-4000);
  const span = mathSpansAt(tail).at(-1) ?? null;
  const number = lastNumberAt(tail.replace(MATH_SPAN, (m) => ' '.repeat(m.length)));
  if (span !== null && (number === null || span.end >= number.end)) return span.content;
  return number?.text ?? null;
}

/**
 * The final answer of a response; the last boxes that state one answer together (to combine
 * parts); and the whole final-answer statement when it was reduced to a value (`$f(x)=ax+b$, where
 * b is any integer` reduces to its last span, but the gold may be the whole statement).
 */
export interface Extraction {
  answer: string | null;
  /** The answer is the last box (not a later statement or a fallback). */
  fromBox: boolean;
  boxes: string[];
  statement?: string;
}

/** The final answer of a response (see ExtractOptions for the precedence), with all its boxes. */
export function extractWithBoxes(response: string, options: Partial<ExtractOptions> = {}): Extraction {
  const { fallback } = { ...defaultExtractOptions, ...options };
  const boxes = allBoxed(response);
  const box = boxes.at(-1) ?? null;
  const contents = box === null ? [] : lastJoinedBoxes(response);
  const phrase = phraseAt(response);
  const marked = [hashesAt(response), phrase].filter((m) => m !== null && m.answer !== '') as Array<{
    at: number;
    answer: string;
    statement?: string;
  }>;
  const statement = marked.sort((a, b) => b.at - a.at)[0];
  // A later statement revises a boxed answer only when it states a value ("the answer is correct" does not).
  if (box !== null && (statement === undefined || statement.at < box.at || !statesValue(statement.answer))) {
    return { answer: box.content, fromBox: true, boxes: contents };
  }
  if (statement !== undefined) {
    const whole =
      statement.statement !== undefined && statement.statement.trim() !== statement.answer ? statement.statement.trim() : undefined;
    return { answer: statement.answer, fromBox: false, boxes: contents, ...(whole !== undefined ? { statement: whole } : {}) };
  }
  // A statement was made but states nothing readable ("Answer $\n 9 \n$"): no fallback either.
  if (phrase !== null || fallback === 'none') return { answer: null, fromBox: false, boxes: contents };
  return { answer: fallbackAnswer(response), fromBox: false, boxes: contents };
}

/**
 * The final answer of a response.
 * @returns the raw answer text (not yet normalised), or null when the response states none.
 */
export function extractAnswer(response: string, options: Partial<ExtractOptions> = {}): string | null {
  return extractWithBoxes(response, options).answer;
}
