/**
 * Checked access for values the type system cannot prove present (`noUncheckedIndexedAccess` is on:
 * `xs[i]` is `T | undefined`). Where a value is missing only through a bug or a malformed input, these
 * throw one line that names what was missing, instead of a `!` that lets `undefined` flow on.
 * Hot numeric loops over typed arrays whose index is proven in range use a non-null assertion instead (a call per
 * element would cost there); each such loop says so in a comment.
 */

/** `value`, or an error naming `what` when it is undefined or null. */
export function must<T>(value: T | undefined | null, what: string): T {
  if (value === undefined || value === null) throw new Error(`internal: ${what} is missing`);
  return value;
}

/** `items[i]`, or an error naming `what` and the index when it is out of range. */
export function at<T>(items: ArrayLike<T>, i: number, what: string): T {
  const value = items[i];
  if (value === undefined) throw new RangeError(`internal: ${what}[${i}] is out of range (length ${items.length})`);
  return value;
}

/** The last element of `items`, or an error naming `what` when it is empty. */
export function last<T>(items: ArrayLike<T>, what: string): T {
  return at(items, items.length - 1, what);
}

/** Capture group `n` of a regex match, or an error when the group took no part in the match. */
export function group(match: RegExpMatchArray, n: number): string {
  const value = match[n];
  if (value === undefined) throw new Error(`internal: capture group ${n} is missing in the match of ${JSON.stringify(match[0])}`);
  return value;
}

/** Swaps `items[i]` and `items[j]` in place (a shuffle's step); both must be in range. */
export function swap<T>(items: T[], i: number, j: number): void {
  const a = at(items, i, 'swapped items');
  items[i] = at(items, j, 'swapped items');
  items[j] = a;
}
