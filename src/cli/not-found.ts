/**
 * oclif's `command_not_found` hook: a mistyped command (`introspect trian`) fails with one line
 * that names the closest command, in scripts as at a terminal (oclif's not-found plugin only
 * suggests through an interactive prompt).
 */
import type { Hook } from '@oclif/core';
import { at } from '../util/must.js';

/** Levenshtein distance (insertions, deletions, substitutions). */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = at(prev, j - 1, 'edit row') + (a[i - 1] === b[j - 1] ? 0 : 1);
      row.push(Math.min(at(prev, j, 'edit row') + 1, at(row, j - 1, 'edit row') + 1, substitution));
    }
    prev = row;
  }
  return at(prev, b.length, 'edit row');
}

const hook: Hook.CommandNotFound = async function (opts) {
  const typed = opts.id.replaceAll(':', ' ');
  const ids = opts.config.commands.filter((c) => !c.hidden).map((c) => c.id.replaceAll(':', ' '));
  const [closest] = ids.map((id) => ({ id, d: editDistance(typed, id) })).sort((x, y) => x.d - y.d);
  const suggestion =
    closest && closest.d <= Math.max(2, Math.floor(typed.length / 3)) ? `; did you mean \`${opts.config.bin} ${closest.id}\`?` : '';
  process.stderr.write(`Error: ${typed} is not an ${opts.config.bin} command${suggestion} (\`${opts.config.bin} --help\` lists them)\n`);
  process.exit(127);
};

export default hook;
