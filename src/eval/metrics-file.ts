import { existsSync, readFileSync } from 'node:fs';

/**
 * One numeric column of a metrics.csv written by the trainer (plain numbers and names, no quoted
 * commas), in row order; empty when the file does not exist.
 */
export function readMetricsColumn(path: string, column: string): number[] {
  if (!existsSync(path)) return [];
  const [header, ...rows] = readFileSync(path, 'utf8').trim().split('\n');
  const index = header!.split(',').indexOf(column);
  if (index < 0) return [];
  return rows.map((r) => Number(r.split(',')[index]));
}
