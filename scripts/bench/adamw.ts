/**
 * `npm run bench:adamw`: the optimiser step alone, at a model's parameter count. The CPU path's
 * AdamW is a TypeScript loop (src/rl/optimizer.ts: float64 arithmetic rounded to float32 per
 * element), timed on one thread and on --threads threads (src/rl/adamw-threads.ts, which must give
 * the same bits: the bench checks it); the device path's is an ONNX graph (src/rl/adamw-graph.ts, GraphAdamW),
 * which ONNX Runtime's CPU provider can run too, on its thread pool. Both step from the same
 * parameters with the same gradients (clipping to norm 1, weight decay 0.01, lr 1e-6); prints the
 * median step time of each, interleaved, and how far apart the parameters they produce are, and
 * PyTorch eager's own step (clip_grad_norm_ + torch.optim.AdamW) on the same shapes as the yardstick
 * (scripts/bench/torch_adamw.py).
 * `npm run bench:profile-train` found the TypeScript step to be 18-23% of an update.
 *
 * Options: --model bench|h512 (bench:scale's shapes; the 0.5B shape's three optimisers and their
 * copies would need about 35 GB)  --repeats 3  --threads 2 (PyTorch's and the threaded TypeScript
 * step's; the graph's session uses ONNX Runtime's default pool, all cores, as GraphAdamW does on a
 * device)
 */
import { performance } from 'node:perf_hooks';
import * as ort from 'onnxruntime-node';
import { BENCH_ADAMW } from '../../src/api/bench.js';
import { initParameters } from '../../src/model/init.js';
import { GraphAdamW } from '../../src/rl/adamw-graph.js';
import { AdamW, globalGradNorm } from '../../src/rl/optimizer.js';
import { collectGarbage } from '../../src/util/gc.js';
import { streamFor } from '../../src/util/rng.js';
import { BENCH_SHAPES, benchConfig, median, parseArgs, report, runTorchReference } from './common.js';

const args = parseArgs({ model: 'h512', repeats: 3, threads: 2 });
const shape = BENCH_SHAPES[String(args.model)];
if (!shape) throw new Error(`unknown --model ${String(args.model)}; choose from ${Object.keys(BENCH_SHAPES).join(', ')}`);

const config = benchConfig(shape);
const params = initParameters(config, 0);
const rng = streamFor(3, 0x61646d77);
const grads = new Map<string, Float32Array>();
for (const [name, p] of params)
  grads.set(
    name,
    Float32Array.from({ length: p.data.length }, () => rng.normal() * 1e-3),
  );
const options = BENCH_ADAMW;

// PyTorch first, while this process holds only the weights and gradients.
const pytorch = runTorchReference('torch_adamw.py', [
  '--shapes',
  JSON.stringify([...params.values()].map((p) => p.dims)),
  '--threads',
  String(args.threads),
  '--repeats',
  String(args.repeats),
]);
// The host optimiser updates its arrays in place: give it copies, so both start from the same weights.
const hostParams = new Map([...params].map(([n, p]) => [n, p.data.slice()] as const));
const host = new AdamW(hostParams, options);
const threadedParams = new Map([...params].map(([n, p]) => [n, p.data.slice()] as const));
const threaded = new AdamW(threadedParams, { ...options, threads: Number(args.threads) });
const device = await GraphAdamW.create(params, { step: 0, tensors: new Map() }, options, 'cpu', null);
const gradTensors = new Map([...params].map(([n, p]) => [n, new ort.Tensor('float32', grads.get(n)!, p.dims)] as const));

const times = { typescript: [] as number[], threaded: [] as number[], gradNorm: [] as number[], graph: [] as number[] };
let maxAbsDiff = 0;
let maxRelDiff = 0;
for (let round = 0; round < Number(args.repeats); round++) {
  collectGarbage(); // the graph's last outputs
  // The norm pass alone (it reads every gradient once before the update pass), then the whole step.
  let t0 = performance.now();
  globalGradNorm(grads);
  times.gradNorm.push((performance.now() - t0) / 1000);
  t0 = performance.now();
  host.step(grads, options.lr);
  times.typescript.push((performance.now() - t0) / 1000);
  // The first threaded step also starts the helper threads; the median leaves that out at 3 repeats.
  t0 = performance.now();
  threaded.step(grads, options.lr);
  times.threaded.push((performance.now() - t0) / 1000);
  collectGarbage();
  t0 = performance.now();
  await device.step(gradTensors, options.lr);
  times.graph.push((performance.now() - t0) / 1000);
}
// Same start, same gradients, same number of steps: how far apart the two are now.
const updated = await device.downloadParams();
for (const [name, p] of hostParams) {
  const q = updated.get(name)!;
  for (let i = 0; i < p.length; i++) {
    const d = Math.abs(p[i]! - q[i]!);
    maxAbsDiff = Math.max(maxAbsDiff, d);
    if (p[i] !== 0) maxRelDiff = Math.max(maxRelDiff, d / Math.abs(p[i]!));
  }
}
await device.release();
const threadedIdentical = [...hostParams].every(([name, p]) => Buffer.from(p.buffer).equals(Buffer.from(threadedParams.get(name)!.buffer)));
if (!threadedIdentical) throw new Error(`the ${String(args.threads)}-thread AdamW step gave other parameters than one thread`);
const parameters = [...params.values()].reduce((n, p) => n + p.data.length, 0);
report(`adamw-${String(args.model)}`, {
  benchmark: 'adamw',
  settings: args,
  parameters,
  typescript: {
    median_s: median(times.typescript),
    repeat_seconds: times.typescript,
    ns_per_parameter: (median(times.typescript) / parameters) * 1e9,
    grad_norm_median_s: median(times.gradNorm),
  },
  typescript_threads: {
    threads: Number(args.threads),
    median_s: median(times.threaded),
    repeat_seconds: times.threaded,
    ns_per_parameter: (median(times.threaded) / parameters) * 1e9,
    bits_identical_to_one_thread: threadedIdentical,
  },
  graph_cpu: { median_s: median(times.graph), repeat_seconds: times.graph, ns_per_parameter: (median(times.graph) / parameters) * 1e9 },
  pytorch,
  ratio_graph_over_typescript: median(times.graph) / median(times.typescript),
  after_steps: Number(args.repeats),
  max_abs_param_diff: maxAbsDiff,
  max_rel_param_diff: maxRelDiff,
});
