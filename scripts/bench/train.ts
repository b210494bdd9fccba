/**
 * `npm run bench:train`: update throughput (tokens/s through the `policy` training graph: forward
 * and backward over every parameter) against PyTorch eager autograd of the same model and loss, in
 * one run on the same machine. Options: --batch 8 --seqLen 128 --threads 2 --repeats 3 ...
 */
import * as ort from 'onnxruntime-node';
import { loadCheckpoint } from '../../src/model/checkpoint.js';
import { openTrainSession } from '../../src/rl/token-update.js';
import { streamFor } from '../../src/util/rng.js';
import { syntheticPolicyFeeds } from '../../src/api/bench.js';
import { BENCH_SHAPES, benchModel, median, parseArgs, report, runTorchReference } from './common.js';

const args = parseArgs({ batch: 8, seqLen: 128, threads: 2, repeats: 3, ...BENCH_SHAPES.bench! });
const modelDir = benchModel(args);
const model = loadCheckpoint(modelDir);
const session = await openTrainSession(model, 'policy', { trainable: 'all' }, { executionProvider: 'cpu', threads: args.threads });
const [B, T] = [args.batch, args.seqLen];
const rng = streamFor(0, 2);
// Token ids first, then (in syntheticPolicyFeeds) temperatures and advantages, from one stream.
const ids = Array.from({ length: B * T }, () => 3 + Math.floor(rng.uniform() * (args.vocab - 3)));
const feeds = syntheticPolicyFeeds(ids, B, T, rng);
for (const [name, p] of model.params) feeds[name] = new ort.Tensor('float32', p.data, p.dims);
// Ratio 1, as in the reference: old log-probs are the graph's own.
feeds.old_logprobs = new ort.Tensor('float32', (await session.run(feeds)).logprobs!.data as Float32Array, [B, T]);
const times: number[] = [];
for (let i = 0; i < args.repeats; i++) {
  const started = performance.now();
  await session.run(feeds);
  times.push((performance.now() - started) / 1000);
}
const seconds = median(times);
const introspect = { impl: 'introspect (onnxruntime-node, cpu)', tokens_per_s: (B * T) / seconds, seconds };
const torch = runTorchReference('torch_train.py', [
  '--model',
  modelDir,
  '--batch',
  String(B),
  '--seq-len',
  String(T),
  '--threads',
  String(args.threads),
  '--repeats',
  String(args.repeats),
]);
const torchRate = 'tokens_per_s' in torch ? Number(torch.tokens_per_s) : NaN;
report('train', {
  benchmark: 'train',
  settings: args,
  introspect,
  pytorch: torch,
  ratio: Number.isFinite(torchRate) ? introspect.tokens_per_s / torchRate : null,
});
await session.release();
