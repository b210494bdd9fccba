import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { stringify } from 'yaml';
import { runFiles } from '../util/run-layout.js';
import type { JobConfig } from './schema.js';

/** `runs/<command>-<timestamp>`: every result goes under a run directory, never into the source tree. */
export function defaultRunDir(command: string, now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/[:]/g, '-').replace(/\..+$/, '');
  return resolve('runs', `${command.replace(/\s+/g, '-')}-${stamp}`);
}

/** Creates the run directory (and parents); returns its absolute path. */
export function createRunDir(command: string, out?: string): string {
  const dir = out ? resolve(out) : defaultRunDir(command);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Writes the resolved job (defaults filled, paths absolute) beside the run's outputs, atomically. */
export function writeResolvedConfig(runDir: string, config: JobConfig): string {
  const path = runFiles.config(resolve(runDir));
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, `# resolved job: every default filled in, every path absolute\n${stringify(config)}`);
  renameSync(tmp, path);
  return path;
}
