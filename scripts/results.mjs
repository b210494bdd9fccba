#!/usr/bin/env node
// `npm run results [-- [part ...] [--long] [--root DIR] [--quick] [--resume] [--no-build]]`:
// regenerates the folders under results/ from this checkout, one folder per part, each with
// PROVENANCE.json (commit, dirty tree or not, the exact commands, the machine, the wall time), so
// every figure the README quotes can be traced to a command and re-run.
//
// Parts: arith-tiny-eval (the embedded arithmetic model's accuracy, about a minute),
// countdown-tiny-eval (the embedded countdown model's card: under a minute), default-run
// (configs/default.yaml, then `introspect analyze`), and the long ones: benchmarks (every
// `npm run bench:*` the README quotes, each result file and printout kept: minutes on a quiet machine, needs
// Debian's python3-torch; run it on a quiet machine), benchmarks-0.5b (bench:scale at the
// Qwen2.5-0.5B shape, ~15 GB), profile-train (an update's time by operator in both engines, at
// hidden 512 and the 0.5B shape, the optimiser step alone, and the 0.5B shape's matrix products alone), memory-train (an update's RSS over
// time at hidden 512 and the 0.5B shape, default and fixed-threshold malloc: about 8 minutes, ~16 GB) and compare-countdown
// (configs/compare.yaml: about an hour).
// No part named: every part but the long ones; --long adds them.
//   --root DIR   write the folders under DIR instead of results/ (a scratch copy)
//   --quick      append each part's small limits (seconds, not hours): checks the script, not results
//   --resume     keep a reusable part's folder (compare reuses its finished cells) instead of starting over
//   --no-build   skip `npm run build` (dist/ is already current)
//   --dry-run    print the commands each chosen part would run, and run nothing
// Samples are kept (the analysis reads them), so an analysis can always be regenerated.
import { spawnSync } from 'node:child_process';
import { cpus, loadavg, totalmem, platform, release } from 'node:os';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin', 'run.js');

const set = (...keys) => keys.flatMap((k) => ['--set', k]);
const QUICK_TRAIN = set(
  'train.iterations=2',
  'train.promptsPerIteration=2',
  'train.groupSize=2',
  'train.miniBatchSize=4',
  'train.evalEvery=1',
  'train.evalProblems=2',
  'train.evalK=1',
  'rollout.maxNewTokens=16',
);

/** A command of a part: `introspect <args>`. */
const introspect = (...args) => ({ name: args[0], shown: 'introspect', file: bin, args });
/**
 * A command of a part: the built benchmark `name` (scripts/bench/<name>.ts). Its result file goes
 * into the part's folder (INTROSPECT_BENCH_OUT, scripts/bench/common.ts) and its printout beside
 * it as `<label>.txt`, since some benchmarks report only there.
 */
const bench = (name, label, ...args) => ({
  name,
  label,
  shown: `node dist/scripts/bench/${name}.js`,
  file: join(root, 'dist', 'scripts', 'bench', `${name}.js`),
  args,
});

/**
 * The same command under glibc's malloc with a fixed 128 KiB mmap threshold (MALLOC_MMAP_THRESHOLD_):
 * every larger block is its own mapping, returned to the system when freed, instead of the default
 * threshold that grows with the blocks freed and leaves them in the heap (README, "Update memory").
 */
const withMallocMmapThreshold = (command) => ({
  ...command,
  env: { MALLOC_MMAP_THRESHOLD_: '131072' },
  shown: `MALLOC_MMAP_THRESHOLD_=131072 ${command.shown}`,
});

/** `introspect eval countdown` of the embedded model at fixed temperature `t`, k = 16, into out/fixed-<t>. */
const countdownTinyEval = (out, t, ...extra) =>
  introspect(
    'eval',
    'countdown',
    '--model',
    'models/countdown-tiny',
    '--policy',
    `fixed:${t}`,
    '--k',
    '16',
    ...extra,
    '--max-new-tokens',
    '40',
    '--out',
    join(out, `fixed-${t}`),
  );

/**
 * Each part: the commands that fill its folder (`out` is the folder), in order; `quick` are the
 * arguments appended to a command (by its name) under --quick; `long` parts run only when named or
 * with --long; a `reusable` part's folder may be kept with --resume.
 */
const parts = {
  // The embedded model's held-out accuracy (models/arith-tiny/README.md).
  'arith-tiny-eval': {
    commands: (out) => [introspect('eval', 'synthetic-arith', '--policy', 'greedy', '--k', '1', '--out', out)],
    quick: () => ['--limit', '4', '--max-new-tokens', '16'],
  },
  // The countdown model's card (models/countdown-tiny/README.md, README "The tasks").
  'countdown-tiny-eval': {
    commands: (out) => [countdownTinyEval(out, '1.0', '--greedy'), countdownTinyEval(out, '0.6')],
    quick: () => ['--limit', '4'],
  },
  // The default job, then its analysis (README, "The default job").
  'default-run': {
    commands: (out) => [introspect('train', 'configs/default.yaml', '--out', out), introspect('analyze', out)],
    quick: (command) => (command === 'train' ? QUICK_TRAIN : []),
  },
  // The README's performance figures (README, "Performance"); bench:scale also writes its tables
  // into the README between its markers (the 0.5B shape is the next part).
  benchmarks: {
    commands: () => [
      bench('rollout', 'rollout'),
      bench('train', 'train'),
      bench('sampling', 'sampling'),
      bench('gather-grad', 'gather-grad'),
      bench('grade', 'grade'),
      bench('tokenize', 'tokenize'),
      bench('scale', 'scale', '--models', 'bench,h512', '--rounds', '2', '--repeats', '2'),
      bench('scale', 'scale-busy', '--models', 'bench,h512', '--rounds', '1', '--repeats', '2', '--busy', '1'),
    ],
    quick: (command) =>
      ({
        rollout: ['--repeats', '1', '--newTokens', '8'],
        train: ['--repeats', '1'],
        sampling: ['--repeats', '1', '--newTokens', '2', '--vocab', '4096'],
        'gather-grad': ['--repeats', '1'],
        grade: ['--repeats', '1'],
        tokenize: ['--repeats', '1', '--countdown', '50', '--gsm8k', '20'],
        scale: ['--rounds', '1', '--repeats', '1', '--readme', '0', '--models', 'bench'],
      })[command] ?? [],
    long: true,
  },
  // bench:scale's Qwen2.5-0.5B-shape row (README, "At real sizes"): ~15 GB of memory, minutes of
  // building and an update of about a minute per engine, so it is a part of its own.
  'benchmarks-0.5b': {
    commands: () => [bench('scale', 'scale', '--models', 'qwen05', '--rounds', '1', '--repeats', '1')],
    quick: () => ['--readme', '0', '--models', 'bench'],
    long: true,
  },
  // Where an update's time goes, operator by operator, in both engines, and the optimiser step
  // alone in TypeScript, as an ONNX graph and in PyTorch (README, "At real sizes").
  'profile-train': {
    commands: () => [
      bench('profile-train', 'profile-train-h512', '--model', 'h512'),
      bench('profile-train', 'profile-train-qwen05', '--model', 'qwen05'),
      bench('adamw', 'adamw-h512', '--model', 'h512'),
      bench('gemm', 'gemm-qwen05', '--model', 'qwen05'),
    ],
    quick: (command) =>
      command === 'adamw'
        ? ['--model', 'bench', '--repeats', '1']
        : command === 'gemm'
          ? ['--model', 'bench', '--rounds', '1', '--repeats', '1']
          : ['--model', 'bench', '--seqLen', '16'],
    long: true,
  },
  // An update's RSS over time, by phase (README, "Update memory"): memory, not speed, so it may run
  // beside other work.
  'memory-train': {
    commands: () => [
      bench('memory', 'memory-h512', '--model', 'h512'),
      withMallocMmapThreshold(bench('memory', 'memory-h512-mmap128k', '--model', 'h512', '--name', 'mmap128k')),
      bench('memory', 'memory-qwen05', '--model', 'qwen05'),
      withMallocMmapThreshold(bench('memory', 'memory-qwen05-mmap128k', '--model', 'qwen05', '--name', 'mmap128k')),
    ],
    quick: () => ['--model', 'bench', '--seqLen', '16'],
    long: true,
  },
  // The committed comparison (README, "Learned vs fixed and heuristic temperatures").
  'compare-countdown': {
    commands: (out) => [introspect('compare', 'baselines', '--config', 'configs/compare.yaml', '--out', out)],
    quick: () => [
      ...QUICK_TRAIN,
      ...set(
        'train.iterations=1',
        'compare.seeds=[0]',
        'compare.fixedTemperatures=[1.0]',
        'eval.limit=2',
        'eval.k=2',
        'compare.passK=[1,2]',
      ),
    ],
    long: true,
    reusable: true,
  },
};

const options = { long: false, quick: false, resume: false, build: true, dryRun: false, root: join(root, 'results') };
const wanted = [];
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--long') options.long = true;
  else if (a === '--quick') options.quick = true;
  else if (a === '--resume') options.resume = true;
  else if (a === '--no-build') options.build = false;
  else if (a === '--dry-run') options.dryRun = true;
  else if (a === '--root' && argv[i + 1] !== undefined) options.root = resolve(argv[++i]);
  else if (a.startsWith('-')) fail(`results: unknown option "${a}"; options: --long, --root DIR, --quick, --resume, --no-build, --dry-run`);
  else if (!(a in parts)) fail(`results: unknown part "${a}"; parts: ${Object.keys(parts).join(', ')}`);
  else wanted.push(a);
}
const chosen = Object.keys(parts).filter((name) => (wanted.length > 0 ? wanted.includes(name) : options.long || !parts[name].long));

function fail(message) {
  console.error(message);
  process.exit(1);
}

if (options.build && !options.dryRun) {
  const build = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

// The code's state, taken before any folder is replaced, by the product's own rule
// (src/util/provenance.ts: results/ and the README are output, not code), so PROVENANCE.json and a
// comparison's results.md agree on dirty. `codeTree` is the git tree of src/: two commits with the
// same one ran the same product code, so a part made at an older commit still stands for a later one
// whose src/ is unchanged (`git rev-parse <commit>:src`). A dry run needs no build, nor this.
const provenanceModule = join(root, 'dist', 'src', 'util', 'provenance.js');
if (!options.dryRun && !existsSync(provenanceModule))
  fail(`npm run results: ${provenanceModule} is missing; run npm run build (or drop --no-build)`);
const revision = options.dryRun ? null : (await import(pathToFileURL(provenanceModule).href)).codeRevision(root);
if (!options.dryRun && !revision) fail(`npm run results: ${root} is not a git work tree; provenance needs one`);

for (const name of chosen) {
  const part = parts[name];
  const dir = join(options.root, name);
  // Paths as a reader of PROVENANCE.json would type them from the repository root.
  const inside = relative(root, dir);
  const out = inside.startsWith('..') || isAbsolute(inside) ? dir : inside;
  const commands = part.commands(out).map((command) => ({
    ...command,
    args: [...command.args, ...(options.quick ? part.quick(command.name) : [])],
  }));
  if (options.dryRun) {
    for (const c of commands) console.log(`${out}: ${c.shown} ${c.args.map(quote).join(' ')}`);
    continue;
  }
  // From scratch: a folder left by an older version of the code must not mix with this one.
  if (existsSync(dir) && !(options.resume && part.reusable)) rmSync(dir, { recursive: true, force: true });
  const started = new Date();
  const loadBefore = loadavg()[0];
  const steps = [];
  for (const c of commands) {
    const shown = `${c.shown} ${c.args.map(quote).join(' ')}`;
    const t0 = performance.now();
    console.error(`${out}: ${shown}`);
    let status;
    if (c.label === undefined) {
      status = spawnSync(process.execPath, [c.file, ...c.args], { cwd: root, stdio: 'inherit' }).status;
    } else {
      mkdirSync(dir, { recursive: true });
      const run = spawnSync(process.execPath, [c.file, ...c.args], {
        cwd: root,
        stdio: ['ignore', 'pipe', 'inherit'],
        encoding: 'utf8',
        maxBuffer: 2 ** 28,
        env: { ...process.env, ...(c.env ?? {}), INTROSPECT_BENCH_OUT: dir },
      });
      process.stdout.write(run.stdout ?? '');
      writeFileSync(join(dir, `${c.label}.txt`), run.stdout ?? '');
      status = run.status;
    }
    steps.push({
      command: c.label === undefined ? `npx ${shown}` : shown,
      exitCode: status,
      seconds: Math.round((performance.now() - t0) / 100) / 10,
    });
    if (status !== 0) fail(`${out}: \`${shown}\` failed (exit ${status})`);
  }
  mkdirSync(dir, { recursive: true });
  const provenance = {
    commit: revision.commit,
    codeTree: revision.codeTree,
    dirty: revision.dirty,
    started: started.toISOString(),
    ...(options.quick ? { quick: 'made with --quick: small limits that check the script, not results' } : {}),
    steps,
    // The 1-minute load average when the part started and ended: what else ran beside it.
    loadAverage: { start: Math.round(loadBefore * 10) / 10, end: Math.round(loadavg()[0] * 10) / 10 },
    machine: {
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      os: `${platform()} ${release()}`,
      node: process.version,
    },
  };
  writeFileSync(join(dir, 'PROVENANCE.json'), JSON.stringify(provenance, null, 2) + '\n');
  console.error(`${out}: done (${steps.reduce((s, x) => s + x.seconds, 0).toFixed(0)} s); see ${join(out, 'PROVENANCE.json')}`);
}

/** `text` as one shell word. */
function quote(text) {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}
