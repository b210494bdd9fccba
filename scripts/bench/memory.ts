/**
 * `npm run bench:memory`: where an update's memory goes over time. One training session of a
 * bench:scale shape (random weights, made on the fly), a warm-up step and a measured one, taken
 * exactly as `introspect bench train` takes them (gradientStep: forward + backward, clipping, AdamW),
 * with the process's RSS sampled every --everyMs ms by a worker thread (onnxruntime-node runs a
 * session on the main thread, which a timer there could not interrupt) and marks at each phase: weights loaded, session created, and per
 * step its start (after collecting the last step's gradient copies), the run's return (the gradients
 * copied to JavaScript) and AdamW's end. Prints each mark's RSS and the peak of each phase, and writes
 * them with the timeline. RSS is read from the kernel: what the machine has to provide, whoever holds
 * it (JavaScript buffers, ONNX Runtime, or memory the allocator keeps after a free).
 *
 * Options: --model bench|h512|qwen05 (default qwen05)  --batch 4  --seqLen 256  --everyMs 50
 *   --threads 2  --name X (the result file is memory-<model>-X: a variant, such as a malloc setting
 *   in the environment; the report records glibc's malloc variables)
 */
import { rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { BENCH_ADAMW, feedTrainableWeights, syntheticPolicyFeeds } from '../../src/api/bench.js';
import { loadCheckpoint } from '../../src/model/checkpoint.js';
import { cachedGraphPath, folderSource } from '../../src/model/graph-cache.js';
import { configureSessions, createSession } from '../../src/onnx/index.js';
import { AdamW } from '../../src/rl/optimizer.js';
import { gradientStep, trainSessionMemory } from '../../src/rl/token-update.js';
import { collectGarbage } from '../../src/util/gc.js';
import { streamFor } from '../../src/util/rng.js';
import { BENCH_SHAPES, benchModel, parseArgs, report } from './common.js';

const args = parseArgs({ model: 'qwen05', batch: 4, seqLen: 256, everyMs: 50, threads: 2, name: '' });
const shape = BENCH_SHAPES[String(args.model)];
if (!shape) throw new Error(`unknown --model ${String(args.model)}; choose from ${Object.keys(BENCH_SHAPES).join(', ')}`);

const MiB = 2 ** 20;
/** Milliseconds since the epoch, comparable between threads (each has its own timeOrigin). */
const now = () => performance.timeOrigin + performance.now();
const started = now();
const marks: { mark: string; t_s: number; rss_mib: number }[] = [];
const mark = (what: string) => {
  const [t, rss] = [(now() - started) / 1000, process.memoryUsage.rss() / MiB];
  marks.push({ mark: what, t_s: t, rss_mib: rss });
  console.log(`${t.toFixed(1).padStart(6)} s ${rss.toFixed(0).padStart(7)} MiB  ${what}`);
};

// The sampler: a worker that writes (time, RSS) pairs into shared memory, 2^16 of them at most.
const CAPACITY = 2 ** 16;
const samples = new Float64Array(new SharedArrayBuffer(2 * CAPACITY * 8));
const count = new Int32Array(new SharedArrayBuffer(4));
const sampler = new Worker(
  `const { workerData: { samples, count, everyMs, capacity } } = require('node:worker_threads');
  const { performance } = require('node:perf_hooks');
  setInterval(() => {
    const i = Atomics.load(count, 0);
    if (i >= capacity) return;
    samples[2 * i] = performance.timeOrigin + performance.now();
    samples[2 * i + 1] = process.memoryUsage.rss();
    Atomics.store(count, 0, i + 1);
  }, everyMs);`,
  { eval: true, workerData: { samples, count, everyMs: Number(args.everyMs), capacity: CAPACITY } },
);
const timelineSoFar = (): [number, number][] =>
  Array.from({ length: Atomics.load(count, 0) }, (_, i) => [(samples[2 * i]! - started) / 1000, samples[2 * i + 1]! / MiB]);

const dir = benchModel(shape);
try {
  configureSessions({ intraOpNumThreads: Number(args.threads) });
  mark('start (model folder written)');
  const model = loadCheckpoint(dir);
  mark('weights loaded');
  const { path } = cachedGraphPath(
    { ...folderSource(dir), load: () => model },
    { kind: 'policy' as const, options: { trainable: 'all' as const } },
  );
  mark('training graph built or found in the cache');
  const session = await createSession(path, trainSessionMemory(model.config));
  mark('session created');
  const [B, T] = [Number(args.batch), Number(args.seqLen)];
  const feeds = syntheticPolicyFeeds(
    Array.from({ length: B * T }, (_, i) => (i * 7919 + 7) % model.config.vocabSize),
    B,
    T,
    streamFor(1, 0x74726169),
  );
  const optimizer = new AdamW(feedTrainableWeights(model.params, session.inputNames, feeds), {
    ...BENCH_ADAMW,
    threads: Number(args.threads),
  });
  for (const name of ['warm-up step', 'measured step']) {
    // gradientStep collects the last step's gradient copies first (a large model's); do it before the
    // mark, so the mark shows what the run starts from.
    collectGarbage();
    mark(`${name}: start`);
    // Marks from inside the step: the run has returned its gradients (copied out), AdamW is done.
    await gradientStep(session, feeds, optimizer, BENCH_ADAMW.lr, (phase) =>
      mark(phase === 'run returned' ? '  run returned, gradients copied' : '  AdamW done'),
    );
  }
  await session.release();
  const timeline = [...timelineSoFar(), ...marks.map((m) => [m.t_s, m.rss_mib] as [number, number])].sort((a, b) => a[0] - b[0]);

  // The peak between consecutive marks: which phase needs the memory.
  const phases = marks.slice(1).map((end, i) => {
    const begin = marks[i]!;
    const inside = timeline.filter(([t]) => t >= begin.t_s && t <= end.t_s).map(([, r]) => r);
    return { from: begin.mark.trim(), to: end.mark.trim(), seconds: end.t_s - begin.t_s, peak_rss_mib: Math.max(begin.rss_mib, ...inside) };
  });
  const peak = Math.max(...timeline.map(([, r]) => r));
  report(`memory-${String(args.model)}${args.name ? `-${String(args.name)}` : ''}`, {
    benchmark: 'memory',
    settings: args,
    malloc_env: Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('MALLOC_') || k === 'GLIBC_TUNABLES')),
    parameters: [...model.params.values()].reduce((n, p) => n + p.data.length, 0),
    sampled_peak_rss_mib: peak,
    // getrusage's high-water mark: the true peak, which sampling every few ms can only approach
    max_rss_mib: (process.resourceUsage().maxRSS * 1024) / MiB,
    marks,
    phases,
    timeline: timeline.map(([t, r]) => [Math.round(t * 100) / 100, Math.round(r)]),
  });
  console.log(
    `\n${String(args.model)}, batch ${B} x ${T}: peak RSS by phase (MiB, sampled every ${String(args.everyMs)} ms; high-water mark ${((process.resourceUsage().maxRSS * 1024) / MiB).toFixed(0)} MiB)`,
  );
  console.log('| from | to | seconds | peak RSS |\n| --- | --- | --- | --- |');
  for (const p of phases) console.log(`| ${p.from} | ${p.to} | ${p.seconds.toFixed(1)} | ${p.peak_rss_mib.toFixed(0)} |`);
} finally {
  await sampler.terminate();
  rmSync(dir, { recursive: true, force: true });
}
