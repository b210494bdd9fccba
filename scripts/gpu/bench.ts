/**
 * The GPU benchmark (scripts/gpu/README.md): decode tokens/s and update tokens/s of introspect's GPU
 * path (ONNX Runtime on WebGPU or CUDA, cache, weights and AdamW state on the device) against
 * PyTorch eager on CUDA, on a random-weight model of a named shape, in one run on one machine.
 *
 *   node dist/scripts/gpu/bench.js --shape 0.5b --ep webgpu --batch 64 --newTokens 512
 *
 * decode: one rollout of `batch` rows, `promptLen` random prompt tokens, `newTokens` sampled at
 * temperature 1 without early stops (prefill included), through the rollout engine; PyTorch:
 * scripts/bench/torch_rollout.py with a static cache. update: forward + backward of the policy
 * graph over trainBatch x seqLen tokens plus the AdamW graph (clipping at 1), weights, gradients
 * and moments on the device; PyTorch: torch_train.py --adamw. Decoding draws each token in the
 * sampler graph on the device (`--sampler graph`, the default on GPUs; `--sampler host` measures the
 * host sampler, which brings the last logits and hidden states down every step), and reports the
 * bytes that came back to the host per decode step, counted (DeviceTransfer's `returnedBytes`).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { loadCheckpoint, saveCheckpoint } from '../../src/model/checkpoint.js';
import { DecodeSession } from '../../src/model/decode-session.js';
import { initParameters, newModelConfig } from '../../src/model/init.js';
import { DeviceTransfer, onDevice } from '../../src/onnx/index.js';
import { createPolicy } from '../../src/policy/index.js';
import { GraphAdamW } from '../../src/rl/adamw-graph.js';
import { syntheticPolicyFeeds } from '../../src/api/bench.js';
import { openTrainSession } from '../../src/rl/token-update.js';
import { generateRollouts } from '../../src/rollout/engine.js';
import { streamFor } from '../../src/util/rng.js';
import { median, parseArgs, report, runTorchReference } from '../bench/common.js';

/** Qwen2.5 shapes (config.json of Qwen/Qwen2.5-0.5B and -1.5B), and a tiny one to check the script. */
const SHAPES = {
  tiny: { hidden: 64, layers: 2, heads: 4, kvHeads: 2, intermediate: 128, vocab: 512 },
  '0.5b': { hidden: 896, layers: 24, heads: 14, kvHeads: 2, intermediate: 4864, vocab: 151936 },
  '1.5b': { hidden: 1536, layers: 28, heads: 12, kvHeads: 2, intermediate: 8960, vocab: 151936 },
} as const;

const args = parseArgs({
  shape: 'tiny',
  ep: 'webgpu',
  batch: 64,
  newTokens: 512,
  promptLen: 32,
  trainBatch: 8,
  seqLen: 512,
  repeats: 2,
  torchDevice: 'cuda',
  torchThreads: 16,
  skip: '',
  sampler: 'graph',
});
const sampling = String(args.sampler) === 'host' ? 'host' : 'graph';
const shape = SHAPES[args.shape as keyof typeof SHAPES];
if (!shape) throw new Error(`--shape must be one of ${Object.keys(SHAPES).join(', ')}`);
const ep = String(args.ep);
const skip = new Set(String(args.skip).split(',').filter(Boolean)); // decode, update, torch

const modelDir = mkdtempSync(join(tmpdir(), `introspect-gpu-bench-${args.shape}-`));
const config = newModelConfig({
  arch: 'qwen2',
  vocabSize: shape.vocab,
  hiddenSize: shape.hidden,
  layers: shape.layers,
  heads: shape.heads,
  kvHeads: shape.kvHeads,
  intermediateSize: shape.intermediate,
  maxPositions: 32768,
  bosTokenId: 1,
  eosTokenId: 2,
  padTokenId: 0,
});
saveCheckpoint(modelDir, config, initParameters(config, 0));
const timed = async (fn: (warmup: boolean) => Promise<number>): Promise<{ seconds: number; units: number; repeat_seconds: number[] }> => {
  await fn(true); // warm-up: graph building, shader compilation, first allocations
  const times: number[] = [];
  let units = 0;
  for (let i = 0; i < Number(args.repeats); i++) {
    const started = performance.now();
    units = await fn(false);
    times.push((performance.now() - started) / 1000);
  }
  return { seconds: median(times), units, repeat_seconds: times };
};

const result: Record<string, unknown> = {
  benchmark: 'gpu',
  settings: args,
  parameters: [...loadCheckpoint(modelDir).params.values()].reduce((n, p) => n + p.data.length, 0),
};
const rng = streamFor(0, 3);
const randomIds = (n: number) => Array.from({ length: n }, () => 3 + Math.floor(rng.uniform() * (shape.vocab - 3)));

if (!skip.has('decode')) {
  const session = await DecodeSession.load(modelDir, { executionProvider: ep, sampling });
  const prompts = Array.from({ length: Number(args.batch) }, () => randomIds(Number(args.promptLen)));
  let returned = { bytes: 0, steps: 0 };
  const run = async (warmup: boolean): Promise<number> => {
    const before = session.device?.counters.returnedBytes ?? 0;
    const rollouts = await generateRollouts(session, {
      // a short warm-up rollout compiles every kernel a long one uses
      prompts,
      groupSize: 1,
      policy: createPolicy('fixed:1.0'),
      maxNewTokens: warmup ? 8 : Number(args.newTokens),
      eosTokenIds: [],
      decodeText: () => '',
      seed: 0,
      batchSize: Number(args.batch),
    });
    // Prefill and steps: what the decode, head and sampler runs returned to the host (device providers only).
    if (!warmup) returned = { bytes: (session.device?.counters.returnedBytes ?? 0) - before, steps: rollouts[0]!.tokens.length };
    return rollouts.reduce((n, r) => n + r.tokens.length, 0);
  };
  const decode = await timed(run);
  result.decode = {
    impl: `introspect (onnxruntime-node, ${ep}${session.device ? ', cache on the device' : ''}, ${sampling} sampler)`,
    tokens_per_s: decode.units / decode.seconds,
    ...decode,
    host_bytes_per_step: session.device ? returned.bytes / returned.steps : null,
  };
  await session.release();
}

if (!skip.has('update')) {
  const model = loadCheckpoint(modelDir);
  const transfer = await DeviceTransfer.open(ep);
  const names = [...model.params.keys()];
  const gradLocations = transfer ? Object.fromEntries(names.map((n) => [`grad.${n}`, 'gpu-buffer' as const])) : undefined;
  const session = await openTrainSession(
    model,
    'policy',
    { trainable: 'all' },
    { executionProvider: ep, threads: 0, ...(gradLocations ? { preferredOutputLocation: gradLocations } : {}) },
  );
  const options = { lr: 1e-6, maxGradNorm: 1 };
  const adamw = await GraphAdamW.create(model.params, { step: 0, tensors: new Map() }, options, ep, transfer);
  const [B, T] = [Number(args.trainBatch), Number(args.seqLen)];
  const feeds = syntheticPolicyFeeds(randomIds(B * T), B, T, rng);
  const run = async (): Promise<number> => {
    const out = await session.run({ ...feeds, ...Object.fromEntries(adamw.params) });
    const grads = new Map(names.map((n) => [n, out[`grad.${n}`] as ort.Tensor]));
    await adamw.step(grads, options.lr);
    for (const g of grads.values()) if (onDevice(g)) g.dispose();
    return B * T;
  };
  const update = await timed(run);
  result.update = {
    impl: `introspect (onnxruntime-node, ${ep}${transfer ? ', weights and AdamW state on the device' : ''})`,
    tokens_per_s: update.units / update.seconds,
    ...update,
  };
  await adamw.release();
  await session.release();
}

if (!skip.has('torch')) {
  const common = [
    '--model',
    modelDir,
    '--threads',
    String(args.torchThreads),
    '--repeats',
    String(args.repeats),
    '--device',
    String(args.torchDevice),
  ];
  if (!skip.has('decode')) {
    result.pytorch_decode = runTorchReference('torch_rollout.py', [
      ...common,
      '--batch',
      String(args.batch),
      '--prompt-len',
      String(args.promptLen),
      '--new-tokens',
      String(args.newTokens),
      '--cache',
      'static',
    ]);
  }
  if (!skip.has('update')) {
    result.pytorch_update = runTorchReference('torch_train.py', [
      ...common,
      '--batch',
      String(args.trainBatch),
      '--seq-len',
      String(args.seqLen),
      '--adamw',
    ]);
  }
  const ratio = (ours: unknown, theirs: unknown) => {
    const a = Number((ours as { tokens_per_s?: number } | undefined)?.tokens_per_s);
    const b = Number((theirs as { tokens_per_s?: number } | undefined)?.tokens_per_s);
    return Number.isFinite(a) && Number.isFinite(b) ? a / b : null;
  };
  result.decode_ratio_to_pytorch = ratio(result.decode, result.pytorch_decode);
  result.update_ratio_to_pytorch = ratio(result.update, result.pytorch_update);
}
report(`gpu-${args.shape}-${ep}`, result);
