import { matchBraces } from './latex-scan.js';

/** How a final answer is pulled out of a free-form response. */
export interface ExtractOptions {
  /**
   * When no marked answer (\boxed, ####, "the answer is") is found, take the last number in the
   * text. Right for plain-text tasks (gsm8k, synthetic-arith) whose models may skip the marker;
   * wrong for LaTeX tasks, where the last number is usually an intermediate value.
   */
  lastNumberFallback: boolean;
}

export const defaultExtractOptions: ExtractOptions = { lastNumberFallback: false };

/** The commands that box a final answer; \fbox and \framebox occur in AoPS-style solutions. */
const BOX_COMMAND = /\\(?:boxed|fbox|framebox)(?![a-zA-Z])/g;

/**
 * The content of the last \boxed{...} (or \fbox, \framebox), with nested braces; `\boxed 5`
 * (no braces) gives `5`. Null when there is none or its braces never close.
 */
export function lastBoxed(text: string): string | null {
  const starts = [...text.matchAll(BOX_COMMAND)].map((m) => (m.index ?? 0) + m[0].length);
  if (starts.length === 0) return null;
  const closeOf = matchBraces(text);
  for (let k = starts.length - 1; k >= 0; k--) {
    let i = starts[k];
    while (text[i] === ' ') i++;
    if (text[i] === '{') {
      if (closeOf[i] >= 0) return text.slice(i + 1, closeOf[i]).trim();
      continue; // truncated: an earlier complete box is the answer
    }
    const bare = /^[^\s$]+/.exec(text.slice(i, i + 100));
    if (bare !== null && i > starts[k]) return bare[0];
  }
  return null;
}

/** The text after the last `####` marker (GSM8K's convention), up to the end of its line. */
export function afterHashes(text: string): string | null {
  const at = text.lastIndexOf('####');
  if (at < 0) return null;
  const rest = text.slice(at + 4).split('\n')[0].trim();
  return rest === '' ? null : rest;
}

/**
 * The answer stated in the last "the answer is ..." / "final answer: ..." phrase: the rest of its
 * sentence, which may hold several `$...$` spans ("The final answer is $69$, $84$.").
 */
export function afterAnswerPhrase(text: string): string | null {
  const phrases = [...text.matchAll(/answer\s*(?:is|:)\s*:?/gi)];
  if (phrases.length === 0) return null;
  const last = phrases[phrases.length - 1];
  const rest = text.slice((last.index ?? 0) + last[0].length).split('\n')[0];
  const sentence = rest.slice(0, sentenceEnd(rest)).trim();
  return sentence === '' ? null : sentence;
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
    else if (ch === '.' && !inMath && (i + 1 === text.length || /\s/.test(text[i + 1]))) return i;
  }
  return text.length;
}

/** The last number in plain text (thousands separators and a sign kept, e.g. `-1,250.5`). */
export function lastNumber(text: string): string | null {
  const numbers = text.match(/-?\d[\d,]*(?:\.\d+)?/g);
  if (numbers === null) return null;
  return numbers[numbers.length - 1].replace(/,$/, '');
}

/**
 * The final answer of a response, trying the markers from most to least explicit: the last
 * \boxed{...}, then `#### N`, then "the answer is ...", then (if configured) the last number.
 * @returns the raw answer text (not yet normalised), or null when the response states none.
 */
export function extractAnswer(response: string, options: Partial<ExtractOptions> = {}): string | null {
  const { lastNumberFallback } = { ...defaultExtractOptions, ...options };
  const marked = lastBoxed(response) ?? afterHashes(response) ?? afterAnswerPhrase(response);
  if (marked !== null && marked !== '') return marked;
  return lastNumberFallback ? lastNumber(response) : null;
}
