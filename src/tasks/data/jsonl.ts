import { readFile } from 'node:fs/promises';
import { UserError } from '../../util/errors.js';
import { jsonErrorReason } from '../../util/json-file.js';

/** One parsed line of a JSON-lines file, with its 1-based line number for error messages. */
export interface JsonlRow {
  line: number;
  value: unknown;
}

/** Reads a JSON-lines file, skipping blank lines; a malformed line is a UserError naming file and line. */
export async function readJsonl(path: string): Promise<JsonlRow[]> {
  const text = await readFile(path, 'utf8');
  const rows: JsonlRow[] = [];
  text.split('\n').forEach((raw, i) => {
    if (raw.trim() === '') return;
    try {
      rows.push({ line: i + 1, value: JSON.parse(raw) as unknown });
    } catch (err) {
      throw new UserError(`${path}:${i + 1}: ${jsonErrorReason(err)}`);
    }
  });
  return rows;
}
