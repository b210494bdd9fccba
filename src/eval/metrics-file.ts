import { existsSync } from 'node:fs';
import { readCsv } from '../util/csv-log.js';

/**
 * One numeric column of a metrics.csv written by the trainer, in row order (empty cells are NaN);
 * empty when the file or the column does not exist.
 */
export function readMetricsColumn(path: string, column: string): number[] {
  if (!existsSync(path)) return [];
  const rows = readCsv(path);
  const [first] = rows;
  if (first === undefined || !(column in first)) return [];
  return rows.map((r) => (r[column] === '' ? NaN : Number(r[column])));
}
