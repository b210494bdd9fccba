/**
 * `npm run bench:gemm`: the matrix products of one update step alone, in ONNX Runtime (MLAS's
 * SGEMM, CPU provider) and in PyTorch eager (torch.mm on OpenBLAS, scripts/bench/torch_gemm.py),
 * shape by shape, to show how much of `npm run bench:profile-train`'s matmul gap is the GEMM
 * kernel itself.
 *
 * The products are those of the training graph's linear layers (src/model/graphs/layers.ts,
 * vocab-terms.ts; their gradients from gemmGrad in src/onnx/gradients.ts): for y[M, N] = x[M, K]
 * W[N, K]^T, the forward x·Wᵀ (Gemm transB), the input gradient dY·W (no transpose) and the weight
 * gradient dYᵀ·x (transA). Per layer q, k, v, o, gate, up, down, with M = batch * seqLen rows;
 * and the output projection: its forward product per row slice (the vocabulary terms' chunk:
 * ceil(batch * (seqLen - 1) / chunks) rows, `defaultVocabChunks`; twice per chunk when the logits
 * are recomputed, `recomputeLogits`, off by default), its input and weight gradients once over all
 * batch * (seqLen - 1) rows. Left out: biases (q/k/v's are O(M N)) and attention's batched
 * MatMuls.
 *
 * Each distinct (M, N, K, layout) is a one-node graph built with GraphBuilder, run in a session
 * with intraOpNumThreads t and spinning off (the product's default) and ONNX Runtime's profiler
 * on: the ratio compares the Gemm kernel's time (`onnxruntime`) with torch.mm's; session.run's wall
 * time (`onnxruntime_run`) is beside it. The PyTorch side times torch.mm into a preallocated
 * output, OMP_WAIT_POLICY=PASSIVE (cpu_setup.py). Per round and thread count both engines measure
 * every product (one warm-up, then --repeats timed runs), the engine going first alternating by
 * round. Medians are over all rounds' timed runs. The step total weights each product by how
 * often one step runs it (per layer x layers, per chunk x chunks): sum of count * 2MNK over sum of
 * count * median seconds, i.e. the GFLOP/s of one step's linear-layer products end to end.
 *
 * Options: --model bench|h512|qwen05 (BENCH_SHAPES; default qwen05)  --batch 4  --seqLen 256
 * --threads 1,2  --rounds 3  --repeats 5
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import * as ort from 'onnxruntime-node';
import { DEFAULT_RECOMPUTE_LOGITS, defaultVocabChunks } from '../../src/model/graphs/train-graphs.js';
import type { ModelConfig } from '../../src/model/types.js';
import { type GemmOptions, GraphBuilder, toModelBytes } from '../../src/onnx/index.js';
import { collectGarbage } from '../../src/util/gc.js';
import { streamFor } from '../../src/util/rng.js';
import { BENCH_SHAPES, benchConfig, median, ortProfileEvents, parseArgs, report, runTorchReference, torchPython } from './common.js';

const args = parseArgs({ model: 'qwen05', batch: 4, seqLen: 256, threads: '1,2', rounds: 3, repeats: 5 });
const shape = BENCH_SHAPES[String(args.model)];
if (!shape) throw new Error(`unknown --model ${String(args.model)}; choose from ${Object.keys(BENCH_SHAPES).join(', ')}`);
if (!torchPython()) throw new Error("bench:gemm needs Debian's python3-torch (and libopenblas0-openmp): see scripts/bench/README.md");
const threadCounts = String(args.threads).split(',').map(Number);

type Layout = 'forward' | 'input-grad' | 'weight-grad';
const LAYOUTS: readonly Layout[] = ['forward', 'input-grad', 'weight-grad'];

/** One distinct product shape of a linear layer y[m, n] = x[m, k] W[n, k]^T and how often a step runs each layout. */
interface Product {
  linears: string[];
  m: number;
  n: number;
  k: number;
  perStep: Record<Layout, number>;
}

/** The linear layers' products of one update step of `config`, identical shapes merged. */
function stepProducts(config: ModelConfig, batch: number, seqLen: number): Product[] {
  const rows = batch * seqLen;
  const [H, q, kv, I] = [config.hiddenSize, config.numHeads * config.headDim, config.numKvHeads * config.headDim, config.intermediateSize];
  const each = (count: number): Record<Layout, number> => ({ forward: count, 'input-grad': count, 'weight-grad': count });
  const L = config.numLayers;
  const chunks = defaultVocabChunks(config);
  const linears: (Omit<Product, 'linears'> & { name: string })[] = [
    { name: 'q_proj', m: rows, n: q, k: H, perStep: each(L) },
    { name: 'k_proj', m: rows, n: kv, k: H, perStep: each(L) },
    { name: 'v_proj', m: rows, n: kv, k: H, perStep: each(L) },
    { name: 'o_proj', m: rows, n: H, k: q, perStep: each(L) },
    { name: 'gate_proj', m: rows, n: I, k: H, perStep: each(L) },
    { name: 'up_proj', m: rows, n: I, k: H, perStep: each(L) },
    { name: 'down_proj', m: rows, n: H, k: I, perStep: each(L) },
    // The vocabulary terms (vocab-terms.ts): the logits slice by slice, dh and dW over all rows.
    {
      name: `lm_head (1 of ${chunks} row slices)`,
      m: Math.ceil((batch * (seqLen - 1)) / chunks),
      n: config.vocabSize,
      k: H,
      perStep: { forward: chunks * (DEFAULT_RECOMPUTE_LOGITS ? 2 : 1), 'input-grad': 0, 'weight-grad': 0 },
    },
    {
      name: 'lm_head (all rows)',
      m: batch * (seqLen - 1),
      n: config.vocabSize,
      k: H,
      perStep: { forward: 0, 'input-grad': 1, 'weight-grad': 1 },
    },
  ];
  const products = new Map<string, Product>();
  for (const { name, m, n, k, perStep } of linears) {
    const key = `${m}x${n}x${k}`;
    const seen = products.get(key);
    if (!seen) products.set(key, { linears: [name], m, n, k, perStep: { ...perStep } });
    else {
      seen.linears.push(name);
      for (const layout of LAYOUTS) seen.perStep[layout] += perStep[layout];
    }
  }
  return [...products.values()];
}

/** The Gemm of a layout: its operands (of x [m, k], w [n, k], dy [m, n]) and attributes. */
function gemmOf(layout: Layout): { a: 'x' | 'dy'; b: 'w' | 'x'; opts: GemmOptions } {
  if (layout === 'forward') return { a: 'x', b: 'w', opts: { transB: true } }; // x·Wᵀ: [m, n]
  if (layout === 'input-grad') return { a: 'dy', b: 'w', opts: {} }; // dY·W: [m, k]
  return { a: 'dy', b: 'x', opts: { transA: true } }; // dYᵀ·x: [n, k]
}

const products = stepProducts(benchConfig(shape), Number(args.batch), Number(args.seqLen));
const cases = products.flatMap((p) => LAYOUTS.filter((layout) => p.perStep[layout] > 0).map((layout) => ({ p, layout })));
const caseKey = (p: Product, layout: Layout): string => `${p.m}x${p.n}x${p.k}:${layout}`;
const rng = streamFor(7, 0x67656d6d);
const random = (dims: number[]): ort.Tensor =>
  new ort.Tensor(
    'float32',
    Float32Array.from({ length: dims[0]! * dims[1]! }, () => rng.uniform() * 2 - 1),
    dims,
  );
const operands = new Map(products.map((p) => [p, { x: random([p.m, p.k]), w: random([p.n, p.k]), dy: random([p.m, p.n]) }] as const));

/**
 * Seconds of each product in ONNX Runtime at `threads`, by caseKey: `run`, session.run's wall time,
 * and `kernel`, the Gemm kernel's own time from ONNX Runtime's profiler. They differ by
 * onnxruntime-node's handling of the output: it copies every output into a new buffer (a
 * preallocated one too), ~0.35 s for lm_head's [V, H] weight gradient at the 0.5B shape. The
 * training graph keeps these products' outputs inside the graph, so `kernel` is what the step pays.
 */
async function measureOrt(threads: number): Promise<{ run: Map<string, number[]>; kernel: Map<string, number[]> }> {
  const out = { run: new Map<string, number[]>(), kernel: new Map<string, number[]>() };
  for (const { p, layout } of cases) {
    const gemm = gemmOf(layout);
    const g = new GraphBuilder(`gemm_${layout}`);
    const ops = operands.get(p)!;
    const a = g.input(gemm.a, 'float32', ops[gemm.a].dims);
    const b = g.input(gemm.b, 'float32', ops[gemm.b].dims);
    g.output(g.gemm(a, b, null, gemm.opts), 'y');
    // createSession's options, and the profiler it has no option for.
    const profileDir = mkdtempSync(join(tmpdir(), 'introspect-gemm-'));
    const session = await ort.InferenceSession.create(toModelBytes(g.build()), {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      intraOpNumThreads: threads,
      extra: { session: { intra_op: { allow_spinning: '0' } } },
      enableProfiling: true,
      profileFilePrefix: join(profileDir, 'ort'),
    });
    const feeds = { [gemm.a]: ops[gemm.a], [gemm.b]: ops[gemm.b] };
    await session.run(feeds);
    const times: number[] = [];
    for (let i = 0; i < Number(args.repeats); i++) {
      const t0 = performance.now();
      await session.run(feeds);
      times.push((performance.now() - t0) / 1000);
    }
    session.endProfiling();
    await session.release();
    const kernels = ortProfileEvents(profileDir, 'ort').filter((e) => e.cat === 'Node' && e.name.endsWith('_kernel_time'));
    rmSync(profileDir, { recursive: true, force: true });
    if (kernels.length !== times.length + 1)
      throw new Error(`the profile has ${kernels.length} kernel events for ${times.length + 1} runs`);
    collectGarbage(); // the returned copies (lm_head's weight gradient is [V, H])
    out.run.set(caseKey(p, layout), times);
    out.kernel.set(
      caseKey(p, layout),
      kernels.slice(1).map((e) => e.dur / 1e6),
    );
  }
  return out;
}

/** Timed seconds of each product in torch_gemm.py at `threads`, by caseKey, and its settings. */
function measureTorch(threads: number): { times: Map<string, number[]>; info: Record<string, unknown> } {
  const result = runTorchReference('torch_gemm.py', [
    '--products',
    JSON.stringify(cases.map(({ p, layout }) => [p.m, p.n, p.k, layout])),
    '--threads',
    String(threads),
    '--repeats',
    String(args.repeats),
  ]);
  if ('skipped' in result) throw new Error(String(result.skipped));
  // The settings without the per-run thread count (the table has it).
  const {
    products: timed,
    threads: _threads,
    ...info
  } = result as {
    products: { m: number; n: number; k: number; layout: Layout; repeat_seconds: number[] }[];
    threads: number;
  };
  return { times: new Map(timed.map((t) => [`${t.m}x${t.n}x${t.k}:${t.layout}`, t.repeat_seconds])), info };
}

/** The CPU's model name and the flags that decide which SGEMM kernels run. */
function cpuInfo(): Record<string, unknown> {
  const text = readFileSync('/proc/cpuinfo', 'utf8');
  const field = (name: string): string => new RegExp(`^${name}\\s*: (.*)$`, 'm').exec(text)?.[1] ?? '';
  const flags = new Set(field('flags').split(' '));
  return {
    model: field('model name'),
    cores: cpus().length,
    flags: Object.fromEntries(['avx2', 'fma', 'avx512f'].map((f) => [f, flags.has(f)])),
  };
}

// Timed runs by what was timed, thread count and caseKey, pooled over rounds; per-round medians beside.
type Timing = 'onnxruntime' | 'onnxruntime_run' | 'pytorch';
const timed = new Map<string, number[]>();
const roundMedians = new Map<string, number[]>();
const record = (timing: Timing, threads: number, times: Map<string, number[]>): void => {
  for (const [key, ts] of times) {
    const id = `${timing}:${threads}:${key}`;
    timed.set(id, [...(timed.get(id) ?? []), ...ts]);
    roundMedians.set(id, [...(roundMedians.get(id) ?? []), median(ts)]);
  }
};
let torchInfo: Record<string, unknown> = {};
const loads = [loadavg()[0]!];
for (let round = 0; round < Number(args.rounds); round++) {
  const order = round % 2 === 0 ? (['onnxruntime', 'pytorch'] as const) : (['pytorch', 'onnxruntime'] as const);
  for (const threads of threadCounts)
    for (const engine of order) {
      if (engine === 'onnxruntime') {
        const ortTimes = await measureOrt(threads);
        record('onnxruntime', threads, ortTimes.kernel);
        record('onnxruntime_run', threads, ortTimes.run);
      } else {
        const torch = measureTorch(threads);
        torchInfo = torch.info;
        record('pytorch', threads, torch.times);
      }
      loads.push(loadavg()[0]!);
    }
}

const rows = threadCounts.flatMap((threads) =>
  cases.map(({ p, layout }) => {
    const flop = 2 * p.m * p.n * p.k;
    const stat = (timing: Timing) => {
      const id = `${timing}:${threads}:${caseKey(p, layout)}`;
      const s = median(timed.get(id)!);
      return { median_s: s, gflop_s: flop / s / 1e9, round_medians_s: roundMedians.get(id)! };
    };
    const [onnxruntime, onnxruntimeRun, pytorch] = [stat('onnxruntime'), stat('onnxruntime_run'), stat('pytorch')];
    return {
      threads,
      linears: p.linears,
      m: p.m,
      n: p.n,
      k: p.k,
      layout,
      per_step: p.perStep[layout],
      onnxruntime,
      onnxruntime_run: onnxruntimeRun,
      pytorch,
      ratio_onnxruntime_over_pytorch: onnxruntime.gflop_s / pytorch.gflop_s,
    };
  }),
);
// One step's products: each product's median counted as often as the step runs it.
const totals = threadCounts.map((threads) => {
  const mine = rows.filter((r) => r.threads === threads);
  const flops = mine.reduce((s, r) => s + r.per_step * 2 * r.m * r.n * r.k, 0);
  const total = (timing: Timing) => {
    const seconds = mine.reduce((s, r) => s + r.per_step * r[timing].median_s, 0);
    return { seconds_per_step: seconds, gflop_s: flops / seconds / 1e9 };
  };
  const [onnxruntime, onnxruntimeRun, pytorch] = [total('onnxruntime'), total('onnxruntime_run'), total('pytorch')];
  return {
    threads,
    products_per_step: mine.reduce((s, r) => s + r.per_step, 0),
    gflop_per_step: flops / 1e9,
    onnxruntime,
    onnxruntime_run: onnxruntimeRun,
    pytorch,
    ratio_onnxruntime_over_pytorch: pytorch.seconds_per_step / onnxruntime.seconds_per_step,
  };
});

report(`gemm-${String(args.model)}`, {
  benchmark: 'gemm',
  settings: {
    ...args,
    cpu: cpuInfo(),
    onnxruntime_node: ort.env.versions.node,
    onnxruntime_session: { intra_op_spinning: false, graph_optimization_level: 'all' },
    pytorch: torchInfo,
    vocab_chunks: defaultVocabChunks(benchConfig(shape)),
    recompute_logits: DEFAULT_RECOMPUTE_LOGITS,
    load_average: { min: Math.min(...loads), max: Math.max(...loads) },
  },
  products: rows,
  step_totals: totals,
});

const time = (s: number): string => (s >= 1 ? `${s.toFixed(2)} s` : `${(s * 1e3).toFixed(s < 0.01 ? 2 : 1)} ms`);
console.log(
  `\n${args.model}, ${args.batch} x ${args.seqLen} rows, ${args.rounds} round(s) x ${args.repeats} timed runs, medians. ORT: the Gemm kernel (profiler); ORT run: session.run; ratio: ORT kernel / PyTorch GFLOP/s`,
);
console.log(
  '| threads | linear | M x N x K | product | per step | ORT kernel | ORT GFLOP/s | ORT run | PyTorch | PyTorch GFLOP/s | ratio |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of rows)
  console.log(
    `| ${r.threads} | ${r.linears.join(', ')} | ${r.m} x ${r.n} x ${r.k} | ${r.layout} | ${r.per_step} | ${time(r.onnxruntime.median_s)} | ${r.onnxruntime.gflop_s.toFixed(1)} | ${time(r.onnxruntime_run.median_s)} | ${time(r.pytorch.median_s)} | ${r.pytorch.gflop_s.toFixed(1)} | ${r.ratio_onnxruntime_over_pytorch.toFixed(2)}x |`,
  );
for (const t of totals)
  console.log(
    `| ${t.threads} | **one step, weighted** | ${t.gflop_per_step.toFixed(0)} GFLOP | all | ${t.products_per_step} | ${time(t.onnxruntime.seconds_per_step)} | ${t.onnxruntime.gflop_s.toFixed(1)} | ${time(t.onnxruntime_run.seconds_per_step)} | ${time(t.pytorch.seconds_per_step)} | ${t.pytorch.gflop_s.toFixed(1)} | **${t.ratio_onnxruntime_over_pytorch.toFixed(2)}x** |`,
  );
