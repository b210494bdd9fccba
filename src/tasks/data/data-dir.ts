import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** Environment variable naming the dataset folder when no explicit folder is given. */
export const DATA_DIR_ENV = 'INTROSPECT_DATA_DIR';

/**
 * The folder that holds the benchmark files (`<task>/<split>.jsonl`): the explicit `dataDir`
 * (the CLI's --data-dir), else $INTROSPECT_DATA_DIR, else the user cache ~/.cache/introspect/datasets.
 */
export function resolveDataDir(dataDir?: string): string {
  if (dataDir !== undefined && dataDir !== '') return resolve(dataDir);
  const fromEnv = process.env[DATA_DIR_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return resolve(fromEnv);
  return join(homedir(), '.cache', 'introspect', 'datasets');
}
