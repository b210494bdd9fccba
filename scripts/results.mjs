#!/usr/bin/env node
// `npm run results [-- <part> ...]`: regenerates everything under results/ from this checkout, one
// folder per part, each with PROVENANCE.json (commit, dirty tree or not, the exact commands, the
// machine, the wall time), so every figure the README quotes can be traced to a command and re-run.
// Parts: arith-tiny-eval (the embedded model's accuracy, minutes), default-run (configs/default.yaml, then analyze: about half an hour on 2 cores) and
// compare-default (whatever configs/compare.yaml holds: hours). No part named: all of them.
// Samples are kept (the analysis reads them), so an analysis can always be regenerated.
import { spawnSync } from 'node:child_process';
import { cpus, totalmem, platform, release } from 'node:os';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin', 'run.js');

/** Each part: its folder under results/ and the introspect commands that fill it, in order. */
const parts = {
  // The embedded model's held-out accuracy (models/arith-tiny/README.md): a few minutes.
  'arith-tiny-eval': [['eval', 'synthetic-arith', '--policy', 'greedy', '--k', '1', '--out', 'results/arith-tiny-eval']],
  'default-run': [
    ['train', 'configs/default.yaml', '--out', 'results/default-run'],
    ['analyze', 'results/default-run'],
  ],
  'compare-default': [['compare', 'baselines', '--config', 'configs/compare.yaml', '--out', 'results/compare-default']],
};

const git = (...args) => spawnSync('git', args, { cwd: root, encoding: 'utf8' }).stdout.trim();
const wanted = process.argv.slice(2);
for (const name of wanted) {
  if (!(name in parts)) {
    console.error(`results: unknown part "${name}"; parts: ${Object.keys(parts).join(', ')}`);
    process.exit(1);
  }
}

const build = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

for (const [name, commands] of Object.entries(parts)) {
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  const dir = join(root, 'results', name);
  // From scratch: a folder left by an older version of the code must not mix with this one.
  if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  const started = new Date();
  const steps = [];
  for (const args of commands) {
    const t0 = performance.now();
    console.error(`results/${name}: introspect ${args.join(' ')}`);
    const run = spawnSync(process.execPath, [bin, ...args], { cwd: root, stdio: 'inherit' });
    steps.push({ command: `npx introspect ${args.join(' ')}`, exitCode: run.status, seconds: Math.round((performance.now() - t0) / 100) / 10 });
    if (run.status !== 0) {
      console.error(`results/${name}: \`introspect ${args.join(' ')}\` failed (exit ${run.status})`);
      process.exit(run.status ?? 1);
    }
  }
  mkdirSync(dir, { recursive: true });
  const provenance = {
    commit: git('rev-parse', 'HEAD'),
    dirty: git('status', '--porcelain').length > 0,
    started: started.toISOString(),
    steps,
    machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), os: `${platform()} ${release()}`, node: process.version },
  };
  writeFileSync(join(dir, 'PROVENANCE.json'), JSON.stringify(provenance, null, 2) + '\n');
  console.error(`results/${name}: done (${steps.reduce((s, x) => s + x.seconds, 0).toFixed(0)} s); see ${join('results', name, 'PROVENANCE.json')}`);
}
