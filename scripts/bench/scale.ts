/**
 * `npm run bench:scale`: `introspect bench rollout|train` against the PyTorch eager reference
 * (scripts/bench/torch_*.py) on three random-weight qwen2 models: the bench model, a hidden-512
 * model and a Qwen2.5-0.5B-shaped one (made on the fly in a temp folder, never committed). Every
 * run is its own process (so peak RSS is that run's), engines alternate within each round, and
 * the ratios of each round are reported. Writes runs/bench/scale-*.json and the table between the
 * `bench:scale` markers of README.md.
 *
 * Options: --models bench,h512,qwen05  --rounds 2  --repeats 2  --threads 2  --busy 0|1 (a
 * CPU-bound process beside every run)  --readme 1|0
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { packageRoot } from '../../src/config/index.js';
import { BENCH_SHAPES, benchResultFile, parseArgs, torchPython } from './common.js';

const args = parseArgs({ models: 'bench,h512,qwen05', rounds: 2, repeats: 2, threads: 2, busy: 0, readme: 1 });

const LABELS: Record<string, string> = {
  bench: 'bench model (hidden 256, 4 layers, vocab 512)',
  h512: 'hidden 512, 8 layers, vocab 32,000',
  qwen05: 'Qwen2.5-0.5B shape (hidden 896, 24 layers, vocab 151,936)',
};
/** Each model's label and make_bench_model.py flags, from the one table of shapes (common.ts). */
const MODELS: Record<string, { label: string; shape: string[] }> = Object.fromEntries(
  Object.entries(BENCH_SHAPES).map(([key, s]) => [
    key,
    {
      label: LABELS[key] ?? key,
      shape: [
        ...['--hidden', s.hidden, '--layers', s.layers, '--heads', s.heads, '--kv-heads', s.kvHeads],
        ...['--intermediate', s.intermediate, '--vocab', s.vocab],
      ].map(String),
    },
  ]),
);
const ROLLOUT = { batch: 8, promptLen: 64, newTokens: 64 };
const TRAIN = { batch: 4, seqLen: 256 };

type Json = Record<string, unknown>;

const python = torchPython();
if (!python) throw new Error("bench:scale needs Debian's python3-torch (and libopenblas0-openmp): see scripts/bench/README.md");

/** Runs a command, returning the JSON object it prints. */
function runJson(command: string, argv: string[], env: NodeJS.ProcessEnv = {}): Json {
  const r = spawnSync(command, argv, { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 2 ** 26 });
  if (r.status !== 0)
    throw new Error(
      `${command} ${argv.join(' ')} failed (${r.status}): ${(r.stderr || r.stdout).trim().split('\n').slice(-5).join(' | ')}`,
    );
  // `introspect bench --json` prints one (multi-line) object; the Python scripts end with a one-line one.
  const out = r.stdout.trim();
  return JSON.parse(out.startsWith('{') ? out : out.split('\n').pop()!) as Json;
}

/** A PyTorch reference script run in-process by a wrapper that adds the process's peak RSS. */
function torchRun(script: string, argv: string[]): Json {
  const path = resolve(packageRoot, 'scripts', 'bench', script);
  const wrapper = [
    'import json, resource, runpy, sys, io, contextlib',
    `sys.argv = ${JSON.stringify([path, ...argv, '--json'])}`,
    `sys.path.insert(0, ${JSON.stringify(resolve(packageRoot, 'scripts', 'bench'))})`,
    'out = io.StringIO()',
    'with contextlib.redirect_stdout(out): runpy.run_path(sys.argv[0], run_name="__main__")',
    'r = json.loads(out.getvalue().strip().splitlines()[-1])',
    'r["peak_rss_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024',
    'print(json.dumps(r))',
  ].join('\n');
  return runJson(python!, ['-c', wrapper]);
}

function introspect(cacheDir: string, argv: string[]): Json {
  return runJson(
    process.execPath,
    [
      resolve(packageRoot, 'bin', 'run.js'),
      'bench',
      ...argv,
      '--threads',
      String(args.threads),
      '--repeats',
      String(args.repeats),
      '--json',
    ],
    { INTROSPECT_CACHE_DIR: cacheDir },
  );
}

const busy = args.busy ? spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }) : null;
const results: Json[] = [];
/** the 1-minute load average after each round (the busy process and the neighbours included) */
const loads: number[] = [loadavg()[0]!];
const cacheDir = mkdtempSync(join(tmpdir(), 'introspect-scale-cache-'));
try {
  for (const key of String(args.models).split(',')) {
    const spec = MODELS[key];
    if (!spec) throw new Error(`unknown model ${key}; choose from ${Object.keys(MODELS).join(', ')}`);
    const dir = mkdtempSync(join(tmpdir(), `introspect-scale-${key}-`));
    const made = spawnSync(python, [resolve(packageRoot, 'scripts', 'bench', 'make_bench_model.py'), '--out', dir, ...spec.shape], {
      encoding: 'utf8',
    });
    if (made.status !== 0 || !existsSync(join(dir, 'model.safetensors')))
      throw new Error(`make_bench_model.py failed for ${key}: ${made.stderr.trim().split('\n').pop()}`);
    const rounds: Json[] = [];
    try {
      for (let round = 0; round < args.rounds; round++) {
        // The same flag names on both sides.
        const rolloutShape = ['--batch', ROLLOUT.batch, '--prompt-len', ROLLOUT.promptLen, '--new-tokens', ROLLOUT.newTokens].map(String);
        const rolloutArgs = ['rollout', dir, ...rolloutShape];
        const torchRollout = [
          '--model',
          dir,
          ...rolloutShape,
          '--threads',
          String(args.threads),
          '--repeats',
          String(args.repeats),
          '--cache',
          'static',
        ];
        const trainArgs = ['train', dir, '--batch', String(TRAIN.batch), '--seq-len', String(TRAIN.seqLen)];
        // The same whole update on both sides: forward + backward, clipping to norm 1, AdamW (lr 1e-6, decay 0.01), float32.
        const torchTrain = [
          '--model',
          dir,
          '--batch',
          String(TRAIN.batch),
          '--seq-len',
          String(TRAIN.seqLen),
          '--threads',
          String(args.threads),
          '--repeats',
          String(args.repeats),
          '--adamw',
        ];
        // Alternate which engine goes first, so drifting load hits both alike.
        const pair = (a: () => Json, b: () => Json): [Json, Json] =>
          round % 2 === 0 ? [a(), b()] : ((([y, x]) => [x, y])([b(), a()]) as [Json, Json]);
        const [ir, tr] = pair(
          () => introspect(cacheDir, rolloutArgs),
          () => torchRun('torch_rollout.py', torchRollout),
        );
        const [it, tt] = pair(
          () => introspect(cacheDir, trainArgs),
          () => torchRun('torch_train.py', torchTrain),
        );
        loads.push(loadavg()[0]!);
        const row = {
          round,
          rollout: { introspect: ir, pytorch: tr, ratio: Number(ir.tokens_per_s) / Number(tr.tokens_per_s) },
          train: { introspect: it, pytorch: tt, ratio: Number(it.tokens_per_s) / Number(tt.tokens_per_s) },
        };
        console.error(
          `${key} round ${round}: rollout ${row.rollout.ratio.toFixed(2)}x (${mib(ir.peak_rss_bytes)} vs ${mib(tr.peak_rss_bytes)}), update ${row.train.ratio.toFixed(2)}x (${mib(it.peak_rss_bytes)} vs ${mib(tt.peak_rss_bytes)})`,
        );
        rounds.push(row);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    results.push({ model: key, label: spec.label, rounds });
  }
} finally {
  busy?.kill();
  rmSync(cacheDir, { recursive: true, force: true });
}

function mib(bytes: unknown): string {
  return `${Math.round(Number(bytes) / 2 ** 20).toLocaleString('en-US')} MB`;
}

const range = (xs: number[]): string => {
  const [lo, hi] = [Math.min(...xs), Math.max(...xs)];
  return lo.toFixed(2) === hi.toFixed(2) ? `${lo.toFixed(2)}x` : `${lo.toFixed(2)}-${hi.toFixed(2)}x`;
};
const get = (r: Json, path: string[]): Json => path.reduce((o, k) => o[k] as Json, r);
const table = [
  `| model | rollout B=${ROLLOUT.batch}, prompt ${ROLLOUT.promptLen}, ${ROLLOUT.newTokens} new: introspect / PyTorch | rollout peak RSS, introspect vs PyTorch | first build (decode + training graph) | update B=${TRAIN.batch}, T=${TRAIN.seqLen} | update peak RSS, introspect vs PyTorch |`,
  '| --- | --- | --- | --- | --- | --- |',
  ...results.map((m) => {
    const rounds = m.rounds as Json[];
    const ratios = (which: string) => rounds.map((r) => Number(get(r, [which, 'ratio'])));
    const rss = (which: string) =>
      `${mib(Math.max(...rounds.map((r) => Number(get(r, [which, 'introspect', 'peak_rss_bytes'])))))} vs ${mib(Math.max(...rounds.map((r) => Number(get(r, [which, 'pytorch', 'peak_rss_bytes'])))))}`;
    const build =
      Number(get(rounds[0]!, ['rollout', 'introspect', 'graph_build_s'])) +
      Number(get(rounds[0]!, ['train', 'introspect', 'graph_build_s']));
    return `| ${m.label} | ${range(ratios('rollout'))} | ${rss('rollout')} | ${build.toFixed(1)} s | ${range(ratios('train'))} | ${rss('train')} |`;
  }),
].join('\n');
const loadRange = `${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)}`;
const note = `${String(args.models)}: ${args.rounds} round(s) x ${args.repeats} timed runs, ${args.threads} threads, PyTorch ${String(get((results[0]!.rounds as Json[])[0]!, ['rollout', 'pytorch', 'torch_version']))} eager (static KV cache, OpenBLAS), update = forward + backward + clipping + AdamW on both${args.busy ? ', one busy process beside every run' : ''}, load average ${loadRange}; \`npm run bench:scale -- --models ${String(args.models)} --rounds ${args.rounds} --repeats ${args.repeats}${args.busy ? ' --busy 1' : ''}\`, ${new Date().toISOString().slice(0, 10)}.`;
console.log(`${table}\n\n${note}`);
const file = benchResultFile(args.busy ? 'scale-busy' : 'scale');
writeFileSync(file, JSON.stringify({ settings: args, rollout: ROLLOUT, train: TRAIN, results }, null, 2) + '\n');
console.error(`written to ${file}`);
if (args.readme) {
  const readme = resolve(packageRoot, 'README.md');
  const marker = args.busy ? 'bench:scale:busy' : 'bench:scale';
  const text = readFileSync(readme, 'utf8');
  const start = `<!-- ${marker} -->`;
  const end = `<!-- /${marker} -->`;
  if (text.includes(start) && text.includes(end)) {
    writeFileSync(
      readme,
      text.slice(0, text.indexOf(start) + start.length) +
        `\n${mergeSection(text.slice(text.indexOf(start) + start.length, text.indexOf(end)), table, note)}\n` +
        text.slice(text.indexOf(end)),
    );
    console.error(`README.md table (${marker}) updated`);
  } else {
    console.error(`README.md has no ${start} ... ${end} markers; table not written`);
  }
}

/**
 * The README section with this run's rows in place of the same models' earlier rows (other models'
 * rows and the notes of the runs that measured them are kept), so the models can be measured in
 * separate invocations (the 0.5B shape alone takes most of an hour on 2 cores).
 */
function mergeSection(old: string, table: string, note: string): string {
  const [header, rule, ...rows] = table.split('\n');
  const label = (row: string): string => row.split('|')[1]!.trim();
  const fresh = new Set(rows.map(label));
  const kept = old
    .split('\n')
    .filter((l) => l.startsWith('| ') && !l.startsWith('| model') && !l.startsWith('| ---') && !fresh.has(label(l)));
  const order = Object.values(MODELS).map((m) => m.label);
  const merged = [...kept, ...rows].sort((a, b) => order.indexOf(label(a)) - order.indexOf(label(b)));
  // A note names the models it measured first ("bench,h512: ..."); notes whose models were all remeasured go.
  const notes = old
    .split('\n\n')
    .map((p) => p.trim())
    .filter(
      (p) =>
        /^[a-z0-9,]+: /.test(p) &&
        p
          .split(':')[0]!
          .split(',')
          .some((k) => ![...fresh].includes(MODELS[k]?.label ?? '')),
    );
  return [[header, rule, ...merged].join('\n'), ...notes, note].join('\n\n');
}
