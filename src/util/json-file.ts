/**
 * Reading JSON files that users point at. JSON.parse's messages quote the text around the fault
 * (`Unexpected token 'r', "root:x:0:0:"... is not valid JSON`), so a path that is, or links to,
 * some other file would echo its first bytes into the terminal and the run's log. These messages
 * say what is wrong and where, never what the file holds.
 */
import { readFileSync } from 'node:fs';
import { describeFsError } from './fs-errors.js';
import { UserError } from './errors.js';

/** Why `JSON.parse` or the read before it failed, without quoting the text. */
export function jsonErrorReason(error: unknown): string {
  const fs = describeFsError(error);
  if (fs !== undefined) return fs;
  if (error instanceof SyntaxError) {
    const at = /position (\d+)/.exec(error.message);
    if (/end of JSON input/.test(error.message)) return 'not valid JSON (it ends early)';
    return `not valid JSON${at ? ` (at character ${at[1]})` : ''}`;
  }
  return (error as Error).message;
}

/** Parses a JSON file; a failure is one UserError naming the path and the reason, never the content. */
export function readJsonFile(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new UserError(`cannot read ${path}: ${jsonErrorReason(error)}`, { cause: error });
  }
}
