// Shared by the reliability tests: the real CLI as a child process, small job files, and
// byte-for-byte comparison of checkpoints.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { stringify } from 'yaml';
import { packageRoot } from '../../src/config/index.js';
import { writeTinyCharModel } from '../eval/tiny-char-model.js';

export const bin = resolve(packageRoot, 'bin', 'run.js');
export const defaultJob = resolve(packageRoot, 'configs', 'default.yaml');
export const newDir = (prefix = 'introspect-rel-') => mkdtempSync(join(tmpdir(), prefix));

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts the CLI; `done` resolves when it exits. */
export function startCli(
  args: string[],
  env: Record<string, string> = {},
): { child: ChildProcess; done: Promise<Finished>; stderr: () => string } {
  const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, CI: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<Finished>((resolveDone) => child.on('close', (code, signal) => resolveDone({ code, signal, stdout, stderr })));
  return { child, done, stderr: () => stderr };
}

/** stderr without the JSON log lines: what the user is told. */
export const told = (stderr: string): string[] => stderr.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('{'));

export const runCli = (args: string[], env: Record<string, string> = {}): Promise<Finished> => startCli(args, env).done;

/** Resolves once `text` matches the child's stderr so far. */
export async function waitForStderr(started: ReturnType<typeof startCli>, pattern: RegExp, timeoutMs = 120_000): Promise<void> {
  const t0 = Date.now();
  while (!pattern.test(started.stderr())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${pattern} in:\n${started.stderr()}`);
    if (started.child.exitCode !== null) throw new Error(`exited before ${pattern}:\n${started.stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A CPU-bound process beside the runs under test (the load that once changed their results). */
export function busyProcess(): ChildProcess {
  return spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
}

let tinyModel: string | undefined;
/** A job file for the tiny character model: a few seconds per run, checkpoints every 2 iterations. */
export function tinyJobFile(extra: Record<string, unknown> = {}): string {
  tinyModel ??= writeTinyCharModel({ seed: 3 });
  const job = {
    run: { seed: 5 },
    model: { path: tinyModel },
    policy: 'learned',
    task: { name: 'synthetic-arith', synthetic: { trainSize: 50, testSize: 10 } },
    rollout: { maxNewTokens: 12, batchSize: 8 },
    train: {
      iterations: 6,
      promptsPerIteration: 2,
      groupSize: 4,
      miniBatchSize: 4,
      evalEvery: 0,
      checkpointEvery: 2,
      keepCheckpoints: 0,
      schedule: { name: 'joint' },
      advantage: { dropUniformGroups: false },
      loss: { entropyCoef: 0.05, headEntropyCoef: 0.05 },
      tokenOptimizer: { lr: 1e-3 },
      temperatureOptimizer: { lr: 1e-2 },
      ...extra,
    },
  };
  const file = join(newDir('introspect-job-'), 'job.yaml');
  writeFileSync(file, stringify(job));
  return file;
}

/** Every file of a checkpoint folder with its bytes, by relative path. */
export function checkpointFiles(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else files.set(relative(dir, p), readFileSync(p));
    }
  };
  walk(dir);
  return files;
}

/** Names of the files whose bytes differ between two checkpoints (or exist in one only). */
export function differingFiles(a: string, b: string): string[] {
  const fa = checkpointFiles(a);
  const fb = checkpointFiles(b);
  const names = new Set([...fa.keys(), ...fb.keys()]);
  return [...names].filter((n) => !fa.get(n) || !fb.get(n) || !fa.get(n)!.equals(fb.get(n)!)).sort();
}
