/**
 * A paired contrast between any two methods of a finished comparison, beyond the one results.md
 * gives (each method against the best baseline): e.g. the learned head against the fixed
 * temperature it started from.
 *
 *   npx tsx scripts/compare-contrast.ts <compare-out> <method> <reference> [column] [split]
 *
 * column: the evaluation column of results.csv (own, greedy, fixed:0.6, ...; default own);
 * split: test (default) or validation. Reads <compare-out>/cells/<method>/seed-N/result.json (the
 * cells stay on the machine that ran the comparison; rerun `compare baselines` to make them) and
 * prints the mean paired difference of avg@k over seeds x problems with the same two-stage
 * bootstrap 95% interval as results.md (eval/paired.ts).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pairedBootstrap, pairedDifferences, type ProblemScores } from '../src/eval/paired.js';
import type { CellResult } from '../src/eval/compare-results.js';

function scoresOf(dir: string, method: string, column: string, split: string): Map<number, ProblemScores> {
  const methodDir = join(dir, 'cells', method);
  if (!existsSync(methodDir)) throw new Error(`no cells for method ${method} in ${dir}/cells`);
  const out = new Map<number, ProblemScores>();
  for (const seedDir of readdirSync(methodDir)) {
    const file = join(methodDir, seedDir, 'result.json');
    if (!existsSync(file)) continue;
    const cell = JSON.parse(readFileSync(file, 'utf8')) as CellResult;
    const evaluation = cell.evaluations.find((e) => e.column === column && e.split === split);
    if (evaluation) out.set(cell.seed, { samples: evaluation.samples, correct: evaluation.correct });
  }
  if (out.size === 0) throw new Error(`method ${method} has no finished cell with column ${column} on ${split}`);
  return out;
}

const [dir, method, reference, column = 'own', split = 'test'] = process.argv.slice(2);
if (dir === undefined || method === undefined || reference === undefined) {
  console.error('usage: npx tsx scripts/compare-contrast.ts <compare-out> <method> <reference> [column] [split]');
  process.exit(2);
}
const diff = pairedBootstrap(pairedDifferences(scoresOf(dir, method, column, split), scoresOf(dir, reference, column, split)), { seed: 0 });
const f = (x: number) => (x >= 0 ? '+' : '') + x.toFixed(3);
console.log(
  `${method} - ${reference} (${column}, ${split}): ${f(diff.mean)} [${f(diff.low)}, ${f(diff.high)}] over ${diff.seeds} seeds x ${diff.problems} problems`,
);
