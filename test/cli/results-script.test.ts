/**
 * `npm run results` (scripts/results.mjs): which parts run by default (the long comparison only
 * when asked), and that a part is regenerated from scratch with a PROVENANCE.json naming the
 * commit, the exact commands and the machine (one cheap part, with --quick limits, into a scratch root).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../src/config/index.js';

const script = join(packageRoot, 'scripts', 'results.mjs');
const results = (...args: string[]) =>
  spawnSync(process.execPath, [script, ...args], { cwd: packageRoot, encoding: 'utf8', env: { ...process.env, CI: '1' } });
const partsOf = (stdout: string) => [
  ...new Set(
    stdout
      .trim()
      .split('\n')
      .map((l) => l.split(':')[0]!.split('/').at(-1)!),
  ),
];

test('results: the default parts are the short ones; --long or a name adds the comparison; an unknown part is one line', () => {
  const plain = results('--dry-run');
  assert.equal(plain.status, 0, plain.stderr);
  assert.deepEqual(partsOf(plain.stdout), ['arith-tiny-eval', 'countdown-tiny-eval', 'default-run']);
  assert.match(
    plain.stdout,
    /^results\/countdown-tiny-eval: introspect eval countdown --model models\/countdown-tiny --policy fixed:0\.6 --k 16 --max-new-tokens 40 --out results\/countdown-tiny-eval\/fixed-0\.6$/m,
  );
  assert.match(plain.stdout, /^results\/default-run: introspect train configs\/default\.yaml --out results\/default-run$/m);
  assert.match(plain.stdout, /^results\/default-run: introspect analyze results\/default-run$/m);
  const long = results('--dry-run', '--long').stdout;
  assert.deepEqual(partsOf(long), [
    'arith-tiny-eval',
    'countdown-tiny-eval',
    'default-run',
    'benchmarks',
    'benchmarks-0.5b',
    'profile-train',
    'memory-train',
    'compare-countdown',
  ]);
  assert.match(long, /^results\/profile-train: node dist\/scripts\/bench\/profile-train\.js --model qwen05$/m);
  assert.match(long, /^results\/memory-train: node dist\/scripts\/bench\/memory\.js --model qwen05$/m);
  assert.match(long, /^results\/benchmarks: node dist\/scripts\/bench\/scale\.js --models bench,h512 --rounds 1 --repeats 2 --busy 1$/m);
  const one = results('--dry-run', 'compare-countdown');
  assert.match(
    one.stdout,
    /^results\/compare-countdown: introspect compare baselines --config configs\/compare\.yaml --out results\/compare-countdown$/m,
  );
  const bad = results('nope');
  assert.equal(bad.status, 1);
  assert.equal(
    bad.stderr,
    'results: unknown part "nope"; parts: arith-tiny-eval, countdown-tiny-eval, default-run, benchmarks, benchmarks-0.5b, profile-train, memory-train, compare-countdown\n',
  );
});

test('results: a part is made from scratch under --root, with PROVENANCE.json (commit, commands, machine)', () => {
  const root = mkdtempSync(join(tmpdir(), 'introspect-results-'));
  try {
    const dir = join(root, 'arith-tiny-eval');
    mkdirSync(dir);
    writeFileSync(join(dir, 'stale.txt'), 'from an older version');
    const r = results('arith-tiny-eval', '--quick', '--no-build', '--root', root);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(!existsSync(join(dir, 'stale.txt')), 'the old folder is replaced');
    for (const file of ['summary.csv', 'report.md', 'samples.jsonl', 'config.yaml']) assert.ok(existsSync(join(dir, file)), file);
    const p = JSON.parse(readFileSync(join(dir, 'PROVENANCE.json'), 'utf8')) as {
      commit: string;
      codeTree: string;
      dirty: boolean;
      loadAverage: { start: number; end: number };
      quick?: string;
      steps: { command: string; exitCode: number; seconds: number }[];
      machine: { cores: number; node: string };
    };
    const head = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: packageRoot, encoding: 'utf8' });
    if (head.status === 0) assert.equal(p.commit, head.stdout.trim());
    const src = spawnSync('git', ['rev-parse', 'HEAD:src'], { cwd: packageRoot, encoding: 'utf8' });
    if (src.status === 0) assert.equal(p.codeTree, src.stdout.trim(), 'the tree of src/, to match a later commit against');
    assert.equal(typeof p.loadAverage.start, 'number');
    assert.equal(typeof p.dirty, 'boolean');
    assert.match(p.quick ?? '', /--quick/, 'a quick folder says so');
    assert.deepEqual(
      p.steps.map((s) => [s.command, s.exitCode]),
      [[`npx introspect eval synthetic-arith --policy greedy --k 1 --out ${dir} --limit 4 --max-new-tokens 16`, 0]],
    );
    assert.ok(p.steps[0]!.seconds > 0);
    assert.deepEqual([p.machine.cores, p.machine.node], [cpus().length, process.version]);
    // the part's own output says it ran with the limits: 4 problems
    assert.equal(readFileSync(join(dir, 'samples.jsonl'), 'utf8').trim().split('\n').length, 4);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('results: a benchmark writes its result file under INTROSPECT_BENCH_OUT by its bare name (the benchmarks part)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'introspect-bench-out-'));
  try {
    const r = spawnSync(
      process.execPath,
      [join(packageRoot, 'dist', 'scripts', 'bench', 'gather-grad.js'), '--repeats', '1', '--batch', '8'],
      {
        cwd: packageRoot,
        encoding: 'utf8',
        env: { ...process.env, INTROSPECT_BENCH_OUT: dir },
      },
    );
    assert.equal(r.status, 0, r.stderr);
    const written = JSON.parse(readFileSync(join(dir, 'gather-grad.json'), 'utf8')) as Record<string, unknown>;
    assert.ok(Object.keys(written).length > 0);
    assert.ok(r.stdout.includes(`written to ${join(dir, 'gather-grad.json')}`), r.stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
