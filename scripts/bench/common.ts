/**
 * Shared pieces of the benchmarks (`npm run bench:rollout`, `npm run bench:train`): the benchmark
 * model, the PyTorch eager reference (system python3 with Debian's python3-torch), and result files.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { saveCheckpoint } from '../../src/model/checkpoint.js';
import { initParameters, newModelConfig } from '../../src/model/init.js';
import { packageRoot } from '../../src/config/index.js';

export interface BenchArgs {
  [key: string]: number | string;
}

/** `--key value` pairs over defaults; numbers stay numbers. */
export function parseArgs<T extends BenchArgs>(defaults: T): T {
  const out: BenchArgs = { ...defaults };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i]!.replace(/^--/, '');
    if (!(key in defaults))
      throw new Error(
        `unknown option --${key}; options: ${Object.keys(defaults)
          .map((k) => `--${k}`)
          .join(' ')}`,
      );
    out[key] = typeof defaults[key] === 'number' ? Number(argv[i + 1]) : String(argv[i + 1]);
  }
  return out as T;
}

/** bench:scale's three model shapes (scripts/bench/scale.ts), as {@link benchModel} options. */
export const BENCH_SHAPES: Record<string, Parameters<typeof benchModel>[0]> = {
  bench: { hidden: 256, layers: 4, heads: 8, kvHeads: 4, intermediate: 768, vocab: 512 },
  h512: { hidden: 512, layers: 8, heads: 8, kvHeads: 4, intermediate: 1536, vocab: 32000 },
  qwen05: { hidden: 896, layers: 24, heads: 14, kvHeads: 2, intermediate: 4864, vocab: 151936 },
};

/** The qwen2 config of a benchmark shape (no weights). */
export function benchConfig(opts: Parameters<typeof benchModel>[0]) {
  return newModelConfig({
    arch: 'qwen2',
    vocabSize: opts.vocab,
    hiddenSize: opts.hidden,
    layers: opts.layers,
    heads: opts.heads,
    kvHeads: opts.kvHeads,
    intermediateSize: opts.intermediate,
    maxPositions: 4096,
    bosTokenId: 1,
    eosTokenId: 2,
    padTokenId: 0,
  });
}

/** A randomly initialised qwen2 model folder of benchmark size (the same files for both engines). */
export function benchModel(opts: {
  hidden: number;
  layers: number;
  heads: number;
  kvHeads: number;
  intermediate: number;
  vocab: number;
}): string {
  const dir = mkdtempSync(join(tmpdir(), 'introspect-bench-model-'));
  const config = benchConfig(opts);
  saveCheckpoint(dir, config, initParameters(config, 0));
  return dir;
}

/** The system Python that has torch (Debian's python3-torch), or undefined. */
export function torchPython(): string | undefined {
  for (const python of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
    if (r.status === 0) return python;
  }
  return undefined;
}

/** Runs a PyTorch reference script from scripts/bench/ and parses its JSON line. */
export function runTorchReference(script: string, args: string[]): Record<string, unknown> | { skipped: string } {
  const python = torchPython();
  if (!python) return { skipped: "no python3 with torch here: install Debian's python3-torch (apt-get install python3-torch) to compare" };
  const path = resolve(packageRoot, 'scripts', 'bench', script);
  const r = spawnSync(python, [path, ...args, '--json'], { encoding: 'utf8', env: { ...process.env } });
  if (r.status !== 0) return { skipped: `${script} failed: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ')}` };
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
}

/**
 * Where results go: runs/bench/ with a timestamp in each name, or, when INTROSPECT_BENCH_OUT names a
 * folder (`npm run results -- benchmarks` does), that folder with the bare name, so the folder a
 * results part regenerates holds one file per benchmark and the README can cite it.
 */
export function benchResultFile(name: string): string {
  const chosen = process.env.INTROSPECT_BENCH_OUT;
  const dir = chosen ? resolve(chosen) : resolve('runs', 'bench');
  mkdirSync(dir, { recursive: true });
  return join(dir, chosen ? `${name}.json` : `${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
}

/** Writes the result to benchResultFile(name) and prints it. */
export function report(name: string, result: Record<string, unknown>): void {
  const file = benchResultFile(name);
  writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  console.log(JSON.stringify(result, null, 2));
  console.log(`written to ${file}`);
}

/** One event of an ONNX Runtime profile (Chrome trace format; `dur` and `ts` in microseconds). */
export interface OrtProfileEvent {
  cat: string;
  name: string;
  ts: number;
  dur: number;
  args?: { op_name?: string };
}

/**
 * The events of the profile a session with `enableProfiling` wrote (after `session.endProfiling()`),
 * its `profileFilePrefix` being `<dir>/<prefix>`.
 */
export function ortProfileEvents(dir: string, prefix: string): OrtProfileEvent[] {
  const file = readdirSync(dir).find((f) => f.startsWith(prefix) && f.endsWith('.json'));
  if (!file) throw new Error(`ONNX Runtime wrote no profile under ${dir}`);
  return JSON.parse(readFileSync(join(dir, file), 'utf8')) as OrtProfileEvent[];
}

export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
export { existsSync };
