/**
 * `npm run bench:rollout`: rollout throughput (generated tokens/s) of introspect's engine (ONNX
 * Runtime, KV cache, per-token temperature policy) against a PyTorch eager decode loop of the same
 * model and settings, in one run on the same machine. Options: --batch 16 --newTokens 128
 * --promptLen 16 --threads 2 --repeats 3 --hidden 256 --layers 4 ...
 */
import { DecodeSession } from '../../src/model/decode-session.js';
import { createPolicy } from '../../src/policy/index.js';
import { generateRollouts } from '../../src/rollout/engine.js';
import { streamFor } from '../../src/util/rng.js';
import { BENCH_SHAPES, benchModel, median, parseArgs, report, runTorchReference } from './common.js';

const args = parseArgs({ batch: 16, newTokens: 128, promptLen: 16, threads: 2, repeats: 3, ...BENCH_SHAPES.bench! });
const modelDir = benchModel(args);
const session = await DecodeSession.load(modelDir, { intraOpNumThreads: args.threads, cache: false });
const rng = streamFor(0, 1);
const prompts = Array.from({ length: args.batch }, () =>
  Array.from({ length: args.promptLen }, () => 3 + Math.floor(rng.uniform() * (args.vocab - 3))),
);
const run = async () => {
  const started = performance.now();
  const rollouts = await generateRollouts(session, {
    prompts,
    groupSize: 1,
    policy: createPolicy('fixed:1.0'),
    maxNewTokens: args.newTokens,
    eosTokenIds: [],
    decodeText: () => '',
    seed: 0,
    batchSize: args.batch,
  });
  const tokens = rollouts.reduce((n, r) => n + r.tokens.length, 0);
  return { tokens, seconds: (performance.now() - started) / 1000 };
};
await run(); // warm-up: session initialisation and first-run allocations
const times: number[] = [];
let tokens = 0;
for (let i = 0; i < args.repeats; i++) {
  const r = await run();
  times.push(r.seconds);
  tokens = r.tokens;
}
const seconds = median(times);
const introspect = { impl: 'introspect (onnxruntime-node, cpu)', tokens_per_s: tokens / seconds, seconds, tokens };
const torchArgs = [
  '--model',
  modelDir,
  '--batch',
  String(args.batch),
  '--prompt-len',
  String(args.promptLen),
  '--new-tokens',
  String(args.newTokens),
  '--threads',
  String(args.threads),
  '--repeats',
  String(args.repeats),
];
// Two eager references: transformers' default growing cache, and a preallocated (static) cache.
const torch = runTorchReference('torch_rollout.py', torchArgs);
const torchStatic = runTorchReference('torch_rollout.py', [...torchArgs, '--cache', 'static']);
const rate = (r: Record<string, unknown>) => ('tokens_per_s' in r ? Number(r.tokens_per_s) : NaN);
const ratio = (r: Record<string, unknown>) => (Number.isFinite(rate(r)) ? introspect.tokens_per_s / rate(r) : null);
report('rollout', {
  benchmark: 'rollout',
  settings: args,
  introspect,
  pytorch: torch,
  pytorch_static_cache: torchStatic,
  speedup: ratio(torch),
  speedup_vs_static_cache: ratio(torchStatic),
});
await session.release();
