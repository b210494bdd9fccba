/**
 * `npm run bench:profile-train`: where an update's time goes, operator by operator, in introspect
 * (ONNX Runtime's own profiler on the training graph that `introspect bench train` runs) and in the
 * PyTorch eager reference (torch.profiler around `torch_train.py`'s step), on the same random-weight
 * model, so the gap in `npm run bench:scale`'s update column can be located. Both sides: one warm-up
 * step, then one profiled step (forward + backward; AdamW and gradient clipping timed separately on
 * the introspect side, inside the step on PyTorch's). Operators are grouped into the same
 * categories on both sides (CATEGORIES).
 *
 * Options: --model bench|h512|qwen05 (shapes of bench:scale)  --batch 4  --seqLen 256  --threads 2
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import * as ort from 'onnxruntime-node';
import { BENCH_ADAMW, feedTrainableWeights, syntheticPolicyFeeds } from '../../src/api/bench.js';
import { packageRoot } from '../../src/config/index.js';
import { loadCheckpoint } from '../../src/model/checkpoint.js';
import { cachedGraphPath, folderSource } from '../../src/model/graph-cache.js';
import { AdamW } from '../../src/rl/optimizer.js';
import { trainSessionMemory } from '../../src/rl/token-update.js';
import { floatOutput } from '../../src/onnx/index.js';
import { collectGarbage } from '../../src/util/gc.js';
import { streamFor } from '../../src/util/rng.js';
import { BENCH_SHAPES, benchModel, ortProfileEvents, parseArgs, report, torchPython } from './common.js';

const args = parseArgs({ model: 'h512', batch: 4, seqLen: 256, threads: 2 });

/**
 * Operator categories, matched in order against ONNX op types and PyTorch's `aten::` names: the
 * matrix products (where BLAS/MLAS speed decides), softmax-like reductions, elementwise arithmetic,
 * data movement (copies, layout, indexing) and the rest.
 */
const CATEGORIES: [string, RegExp][] = [
  ['matmul', /^(MatMul|Gemm|FusedMatMul|FusedGemm|QuickGelu)$|^aten::(mm|addmm|bmm|matmul|linear|baddbmm|addmv|mv|dot)$/],
  [
    'softmax / log-softmax',
    /^(Softmax|LogSoftmax|SoftmaxGrad.*|LogSoftmaxGrad.*)$|^aten::(_?softmax|_?log_softmax|_softmax_backward_data|_log_softmax_backward_data)$/,
  ],
  ['reductions', /^Reduce|^aten::(sum|mean|norm|linalg_vector_norm|max|amax|logsumexp|_foreach_norm)$/],
  [
    'elementwise',
    /^(Add|Sub|Mul|Div|Neg|Exp|Log|Pow|Sqrt|Reciprocal|Sigmoid|Tanh|Relu|Abs|Min|Max|Clip|Where|Equal|Less|Greater|Not|And|Or|Erf|Cos|Sin|Softplus|SimplifiedLayerNormalization|SkipSimplifiedLayerNormalization|BiasGelu|FastGelu)$|^aten::(add|add_|sub|mul|mul_|div|div_|neg|exp|log|pow|sqrt|rsqrt|reciprocal|sigmoid|silu|tanh|relu|abs|minimum|maximum|clamp|clamp_min|where|eq|lt|gt|lerp_|addcmul_|addcdiv_|sqrt_|_foreach_.*|silu_backward|sigmoid_backward|threshold_backward|rsub|masked_fill|masked_fill_|exp_|sub_|le|ge|ne|logical_not)$/,
  ],
  [
    'data movement',
    /^(Transpose|Reshape|Concat|Slice|Gather|GatherElements|ScatterElements|ScatterND|Expand|Unsqueeze|Squeeze|Cast|Identity|Shape|Split|Tile|Pad|Range|Flatten|ConstantOfShape|MemcpyToHost|MemcpyFromHost)$|^aten::(copy_|to|_to_copy|contiguous|clone|cat|index|index_select|gather|scatter_add_|embedding|embedding_backward|embedding_dense_backward|transpose|permute|view|reshape|expand|slice|select|narrow|zero_|zeros|zeros_like|ones|ones_like|empty|empty_like|fill_|new_zeros|new_empty|t|unsqueeze|squeeze|stack|split|chunk|repeat|_unsafe_view|as_strided|index_put_|scatter|_reshape_alias|detach|alias|arange|full)$/,
  ],
];
const categoryOf = (op: string): string => CATEGORIES.find(([, re]) => re.test(op))?.[0] ?? 'other';

type Json = Record<string, unknown>;

const python = torchPython();
if (!python) throw new Error("bench:profile-train needs Debian's python3-torch (and libopenblas0-openmp): see scripts/bench/README.md");
const shape = BENCH_SHAPES[String(args.model)];
if (!shape) throw new Error(`unknown --model ${String(args.model)}; choose from ${Object.keys(BENCH_SHAPES).join(', ')}`);
const dir = benchModel(shape);
const scratch = mkdtempSync(join(tmpdir(), 'introspect-profile-'));
try {
  const introspect = await profileIntrospect(dir, scratch);
  // Free the weights, moments and gradient copies before PyTorch loads its own (at the 0.5B shape
  // both sides together would not fit in 24 GB).
  collectGarbage();
  const pytorch = profilePytorch(dir);
  const categories = [...new Set([...CATEGORIES.map(([name]) => name), 'other'])];
  const rows = categories.map((c) => ({
    category: c,
    introspect_s: introspect.byCategory[c] ?? 0,
    pytorch_s: pytorch.byCategory[c] ?? 0,
  }));
  report(`profile-train-${String(args.model)}`, {
    benchmark: 'profile-train',
    settings: args,
    introspect: {
      forward_backward_s: introspect.runSeconds,
      adamw_s: introspect.adamwSeconds,
      profiled_ops_s: sum(Object.values(introspect.byCategory)),
      top_ops: introspect.top,
    },
    pytorch: {
      step_s: pytorch.stepSeconds,
      profiled_step_s: pytorch.profiledStepSeconds,
      profiled_ops_s: sum(Object.values(pytorch.byCategory)),
      top_ops: pytorch.top,
    },
    by_category: rows,
  });
  console.log(`\n${args.model}, batch ${args.batch} x ${args.seqLen}, ${args.threads} threads: seconds per step by category`);
  console.log('| category | introspect | PyTorch eager | introspect / PyTorch time |\n| --- | --- | --- | --- |');
  for (const r of rows)
    console.log(
      `| ${r.category} | ${r.introspect_s.toFixed(3)} | ${r.pytorch_s.toFixed(3)} | ${r.pytorch_s > 0 ? (r.introspect_s / r.pytorch_s).toFixed(2) + 'x' : ''} |`,
    );
  console.log(
    `| whole step, not profiled on PyTorch's side | ${(introspect.runSeconds + introspect.adamwSeconds).toFixed(3)} (AdamW + clipping ${introspect.adamwSeconds.toFixed(3)}) | ${pytorch.stepSeconds.toFixed(3)} (profiled: ${pytorch.profiledStepSeconds.toFixed(3)}) | ${((introspect.runSeconds + introspect.adamwSeconds) / pytorch.stepSeconds).toFixed(2)}x |`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
}

/** Seconds by operator, from ONNX Runtime's profile of the training graph's last run. */
async function profileIntrospect(modelDir: string, out: string) {
  const model = loadCheckpoint(modelDir);
  const { path } = cachedGraphPath(
    { ...folderSource(modelDir), load: () => model },
    { kind: 'policy' as const, options: { trainable: 'all' as const } },
  );
  const options: ort.InferenceSession.SessionOptions = {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: Number(args.threads),
    extra: { session: { intra_op: { allow_spinning: '0' } } },
    enableProfiling: true,
    profileFilePrefix: join(out, 'ort'),
  };
  const memory = trainSessionMemory(model.config);
  if (memory.cpuMemArena !== undefined) options.enableCpuMemArena = memory.cpuMemArena;
  options.enableMemPattern = memory.enableMemPattern;
  const session = await ort.InferenceSession.create(path, options);
  const [B, T] = [Number(args.batch), Number(args.seqLen)];
  const rng = streamFor(1, 0x74726169);
  const ids = Array.from({ length: B * T }, (_, i) => (i * 7919 + 7) % model.config.vocabSize);
  const feeds = syntheticPolicyFeeds(ids, B, T, rng);
  const optimizer = new AdamW(feedTrainableWeights(model.params, session.inputNames, feeds), {
    ...BENCH_ADAMW,
    threads: Number(args.threads),
  });
  let runSeconds = 0;
  let adamwSeconds = 0;
  for (let step = 0; step < 2; step++) {
    collectGarbage(); // the last step's gradient copies, as gradientStep does for a large model
    const t0 = performance.now();
    const all = await session.run(feeds);
    const t1 = performance.now();
    const grads = new Map<string, Float32Array>();
    for (const name of optimizer.params.keys()) grads.set(name, floatOutput(all, `grad.${name}`));
    optimizer.step(grads, BENCH_ADAMW.lr);
    [runSeconds, adamwSeconds] = [(t1 - t0) / 1000, (performance.now() - t1) / 1000];
  }
  session.endProfiling();
  await session.release();
  const events = ortProfileEvents(out, 'ort');
  // Only the last run (the first allocates and warms up): the node events inside its model_run span.
  const runs = events.filter((e) => e.cat === 'Session' && e.name === 'model_run');
  const last = runs.at(-1);
  if (!last) throw new Error('the ONNX Runtime profile has no model_run event');
  const byOp: Record<string, number> = {};
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time') || e.ts < last.ts || e.ts > last.ts + last.dur) continue;
    const op = e.args?.op_name ?? 'unknown';
    byOp[op] = (byOp[op] ?? 0) + e.dur / 1e6;
  }
  return { runSeconds, adamwSeconds, ...grouped(byOp) };
}

/** Seconds by operator, from torch.profiler's self CPU time of torch_train.py's profiled step. */
function profilePytorch(modelDir: string) {
  const script = resolve(packageRoot, 'scripts', 'bench', 'torch_train.py');
  const r = spawnSync(
    python!,
    [
      script,
      '--model',
      modelDir,
      '--batch',
      String(args.batch),
      '--seq-len',
      String(args.seqLen),
      '--threads',
      String(args.threads),
      '--warmup',
      '1',
      '--repeats',
      '1',
      '--adamw',
      '--profile',
      '--json',
    ],
    { encoding: 'utf8', maxBuffer: 2 ** 26 },
  );
  if (r.status !== 0)
    throw new Error(`torch_train.py --profile failed: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ')}`);
  const result = JSON.parse(r.stdout.trim().split('\n').pop()!) as Json & {
    profile: Record<string, number>;
    seconds: number;
    profiled_step_seconds: number;
  };
  return { stepSeconds: result.seconds, profiledStepSeconds: result.profiled_step_seconds, ...grouped(result.profile) };
}

function grouped(byOp: Record<string, number>) {
  const byCategory: Record<string, number> = {};
  for (const [op, s] of Object.entries(byOp)) byCategory[categoryOf(op)] = (byCategory[categoryOf(op)] ?? 0) + s;
  const top = Object.entries(byOp)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 12)
    .map(([op, s]) => ({ op, category: categoryOf(op), seconds: s }));
  return { byCategory, top };
}

function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}
