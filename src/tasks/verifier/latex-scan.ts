/**
 * Small scanners over LaTeX answer text: balanced brace groups and splitting at top level
 * (outside every (), [], {} and \{ \} pair). They treat `\{`/`\}` and `\left(`-style delimiters as
 * brackets too, so `\{1,2\}` splits into `1` and `2` only after its outer braces are removed.
 */

const OPENERS = new Set(['(', '[', '{']);
const CLOSERS = new Set([')', ']', '}']);

/**
 * Reads the brace group that starts at `text[start] === '{'`.
 * @returns the content between the braces and the index just past the closing brace, or null when
 *   the braces never balance (a truncated response).
 */
export function readBraceGroup(text: string, start: number): { content: string; end: number } | null {
  if (text[start] !== '{') return null;
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const ch = text.charAt(i);
    if (ch === '\\') {
      i++; // an escaped brace (`\{`) does not open or close a group
      continue;
    }
    if (ch === '{') depth++;
    else if (ch === '}') {
      depth--;
      if (depth === 0) return { content: text.slice(start + 1, i), end: i + 1 };
    }
  }
  return null;
}

/**
 * For every `{` in `text`, the index of its matching `}` (-1 when it never closes), in one pass:
 * finding the last complete \boxed{} of a long truncated response stays linear.
 */
export function matchBraces(text: string): Int32Array {
  const closeOf = new Int32Array(text.length).fill(-1);
  const open: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const ch = text.charAt(i);
    if (ch === '\\')
      i++; // an escaped brace (`\{`) does not open or close a group
    else if (ch === '{') open.push(i);
    else if (ch === '}') {
      const start = open.pop();
      if (start !== undefined) closeOf[start] = i;
    }
  }
  return closeOf;
}

/** ASCII letter test without a regex: this runs once per character of every scanned text. */
function isLetter(ch: string | undefined): boolean {
  if (ch === undefined) return false;
  const c = ch.charCodeAt(0) | 0x20;
  return c >= 97 && c <= 122;
}

/** Bracket depth at every character, counting (, [, { and their escaped forms alike. */
function forEachTopLevel(text: string, visit: (i: number) => boolean | void): void {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    let ch = text.charAt(i);
    if (ch === '\\' && (text[i + 1] === '{' || text[i + 1] === '}')) {
      ch = text.charAt(i + 1);
      i++;
    } else if (ch === '\\') {
      // A command (\frac, \cup, or a symbol command such as \, or \%): skip its name so its
      // characters are never mistaken for separators, but let the caller match the command itself.
      let j = i + 1;
      while (j < text.length && isLetter(text[j])) j++;
      if (j === i + 1) j = i + 2;
      if (depth === 0 && visit(i) === true) return;
      i = j - 1;
      continue;
    }
    if (OPENERS.has(ch)) depth++;
    else if (CLOSERS.has(ch)) depth = Math.max(0, depth - 1);
    else if (depth === 0 && visit(i) === true) return;
  }
}

/** Splits `text` at every top-level occurrence of `separator` (a character or a command such as `\cup`). */
export function splitTopLevel(text: string, separator: string): string[] {
  const parts: string[] = [];
  let last = 0;
  const commandSeparator = /^\\[a-zA-Z]+$/.test(separator);
  forEachTopLevel(text, (i) => {
    if (text.startsWith(separator, i)) {
      // A command separator must not be the prefix of a longer command (\cup vs \cupdot).
      const after = text[i + separator.length];
      if (commandSeparator && isLetter(after)) return;
      parts.push(text.slice(last, i));
      last = i + separator.length;
    }
  });
  parts.push(text.slice(last));
  return parts;
}

/** Index of the first top-level occurrence of `needle`, or -1. */
export function indexOfTopLevel(text: string, needle: string): number {
  let found = -1;
  forEachTopLevel(text, (i) => {
    if (text.startsWith(needle, i)) {
      found = i;
      return true;
    }
  });
  return found;
}

/**
 * When the whole text is one bracketed group — `(..)`, `[..]`, `(..]` or `[..)` (intervals mix
 * them) — returns its brackets and content; `(a)(b)` is not one group.
 */
export function outerBrackets(text: string): { open: '(' | '['; close: ')' | ']'; inner: string } | null {
  const open = text[0];
  const close = text[text.length - 1];
  if ((open !== '(' && open !== '[') || (close !== ')' && close !== ']')) return null;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charAt(i);
    if (ch === '\\') {
      i++;
      continue;
    }
    if (OPENERS.has(ch)) depth++;
    else if (CLOSERS.has(ch)) {
      depth--;
      if (depth === 0 && i !== text.length - 1) return null;
    }
  }
  if (depth !== 0) return null;
  return { open, close, inner: text.slice(1, -1) };
}
