/**
 * An append-only CSV file with fixed columns (metrics.csv, eval.csv, results.csv), written with
 * csv-stringify. Rows are appended and flushed one at a time, so a run cut short keeps every row it
 * finished; reopening an existing file (resume) appends without a second header, and rows past a
 * resume point are dropped first so a resumed run does not duplicate them.
 */
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';

export type CsvValue = string | number | boolean | null | undefined;

export class CsvLog<Row extends Record<string, CsvValue>> {
  constructor(
    readonly path: string,
    readonly columns: readonly (keyof Row & string)[],
  ) {
    if (!existsSync(path)) writeFileSync(path, stringify([columns as string[]]));
  }

  append(row: Row): void {
    appendFileSync(this.path, stringify([this.columns.map((c) => formatCell(row[c]))]));
  }

  /**
   * Keeps the header and the rows for which `keep(row)` is true (e.g. iteration <= the checkpoint's),
   * so a resumed run rewrites the rows it is about to redo.
   */
  truncate(keep: (row: Record<string, string>) => boolean): void {
    const [header = [...this.columns], ...rows] = parse(readFileSync(this.path, 'utf8'), { relaxColumnCount: true }) as string[][];
    const kept = rows.filter((cells) => keep(Object.fromEntries(header.map((h, i) => [h, cells[i] ?? '']))));
    writeFileSync(this.path, stringify([header, ...kept]));
  }
}

/** The rows of a CSV file as objects keyed by its header (quoted cells, commas and newlines in them included). */
export function readCsv(path: string): Record<string, string>[] {
  return parse(readFileSync(path, 'utf8'), { columns: true, relaxColumnCount: true }) as Record<string, string>[];
}

/**
 * Numbers at full precision: JavaScript's shortest round-trip form, so integers (weight checksums,
 * token counts) stay exact and a float reads back as the same double.
 */
function formatCell(v: CsvValue): string | number {
  if (v === undefined || v === null) return '';
  if (typeof v === 'number') return String(v);
  return typeof v === 'boolean' ? (v ? 1 : 0) : v;
}
