/** Lays tokens out on a grid of monospace character cells: explicit newlines, and wrapping at a width. */

/** A run of a token's characters on one line (a token may wrap or hold newlines, giving several pieces). */
export interface TokenPiece {
  tokenIndex: number;
  line: number;
  /** First column of the piece, in characters. */
  column: number;
  text: string;
}

/** Tabs as 4 spaces: a monospace grid has no tab stops. */
const TAB = '    ';

/**
 * Places each token after the previous one, breaking the line at every "\n" and when a line reaches
 * `columns` characters (a token moves whole to the next line when it fits there, else it is split).
 * Characters are counted as code points, so astral characters take one cell.
 * @returns the pieces and the number of lines used
 */
export function layoutTokens(tokens: readonly string[], columns: number): { pieces: TokenPiece[]; lines: number } {
  if (!Number.isInteger(columns) || columns < 1) throw new RangeError(`columns must be a positive integer, got ${columns}`);
  const pieces: TokenPiece[] = [];
  let line = 0;
  let column = 0;
  tokens.forEach((token, tokenIndex) => {
    token
      .replace(/\t/g, TAB)
      .split(/\r?\n/)
      .forEach((segment, s) => {
        if (s > 0) [line, column] = [line + 1, 0]; // the token's own newline
        let chars = [...segment];
        if (chars.length > 0 && column > 0 && column + chars.length > columns && chars.length <= columns) [line, column] = [line + 1, 0];
        while (chars.length > 0) {
          if (column >= columns) [line, column] = [line + 1, 0];
          const take = chars.slice(0, columns - column);
          pieces.push({ tokenIndex, line, column, text: take.join('') });
          column += take.length;
          chars = chars.slice(take.length);
        }
      });
  });
  return { pieces, lines: tokens.length === 0 ? 0 : line + 1 };
}
