/**
 * `npm run bench:sampling`: rollout throughput with the token drawn in the sampler graph
 * (`rollout.sampler: graph`: float64 on CPU as the session opens it, and the float32 graph that
 * devices run) against the host sampler (JavaScript over the [B, V] logits), on a
 * random-weight model whose vocabulary dominates (default vocab 151,936 as Qwen2.5, hidden 64,
 * 2 layers), same prompts and seeds, the runs interleaved and repeated, with the share of tokens
 * each draws as the host sampler does. Also reports the
 * bytes of logits and hidden states the host path takes out of ONNX Runtime per step and what the
 * graph path takes instead. Options: --batch 16 --newTokens 32 --promptLen 16 --threads 2
 * --repeats 3 --vocab 151936 --hidden 64 --layers 2 --policy fixed:1.0
 */
import { rmSync } from 'node:fs';
import { DecodeSession } from '../../src/model/decode-session.js';
import { GraphSampler } from '../../src/model/graph-sampler.js';
import { createPolicy } from '../../src/policy/index.js';
import { generateRollouts } from '../../src/rollout/engine.js';
import type { BatchDecoder } from '../../src/rollout/types.js';
import { streamFor } from '../../src/util/rng.js';
import { benchModel, median, parseArgs, report } from './common.js';

const args = parseArgs({
  batch: 16,
  newTokens: 32,
  promptLen: 16,
  threads: 2,
  repeats: 3,
  hidden: 64,
  layers: 2,
  heads: 4,
  kvHeads: 2,
  intermediate: 128,
  vocab: 151936,
  policy: 'fixed:1.0',
});
const modelDir = benchModel(args);
const rng = streamFor(0, 2);
const prompts = Array.from({ length: args.batch }, () =>
  Array.from({ length: args.promptLen }, () => 3 + Math.floor(rng.uniform() * (args.vocab - 3))),
);
const hostSession = await DecodeSession.load(modelDir, { intraOpNumThreads: args.threads, cache: false });
const graphSession = await DecodeSession.load(modelDir, { intraOpNumThreads: args.threads, cache: false, sampling: 'graph' });
// The session's own sampler is float64 on CPU (draws as the host); float32 is what devices run (blocked sum).
const float32 = await GraphSampler.open(graphSession.config, 'cpu', null, 'float32');
const decoders: Record<string, BatchDecoder> = {
  host: hostSession,
  graph_float64: graphSession,
  graph_float32: {
    prefill: (p) => graphSession.prefill(p),
    step: (t) => graphSession.step(t),
    keepRows: (r) => graphSession.keepRows(r),
    sampler: float32,
  },
};
const modes = Object.keys(decoders);
const run = async (which: string) => {
  const started = performance.now();
  const rollouts = await generateRollouts(decoders[which]!, {
    prompts,
    groupSize: 1,
    policy: createPolicy(String(args.policy)),
    maxNewTokens: args.newTokens,
    eosTokenIds: [],
    decodeText: () => '',
    seed: 0,
    batchSize: args.batch,
  });
  return { tokens: rollouts.reduce((n, r) => n + r.tokens.length, 0), seconds: (performance.now() - started) / 1000, rollouts };
};
for (const which of modes) await run(which); // warm-up each
const times: Record<string, number[]> = Object.fromEntries(modes.map((m) => [m, []]));
const sameTokens: Record<string, number> = Object.fromEntries(modes.map((m) => [m, 0]));
let tokens = 0;
for (let i = 0; i < args.repeats; i++) {
  // Interleaved, rotating which goes first, so load on the machine hits every mode alike.
  const order = modes.map((_, j) => modes[(i + j) % modes.length]!);
  const results: Record<string, Awaited<ReturnType<typeof run>>> = {};
  for (const which of order) {
    results[which] = await run(which);
    times[which]!.push(results[which]!.seconds);
  }
  tokens = results.host!.tokens;
  // Tokens equal to the host sampler's, position by position (a sequence diverges after its first difference).
  for (const m of modes)
    sameTokens[m] =
      results.host!.rollouts.reduce((n, r, j) => n + r.tokens.filter((t, k) => t === results[m]!.rollouts[j]!.tokens[k]).length, 0) /
      tokens;
}
await Promise.all([hostSession.release(), graphSession.release(), float32.release()]);
rmSync(modelDir, { recursive: true, force: true });
const B = args.batch;
const seconds = Object.fromEntries(modes.map((m) => [m, median(times[m]!)]));
report('sampling', {
  settings: { ...args },
  ...Object.fromEntries(
    modes.map((m) => [
      m,
      { tokens_per_s: tokens / seconds[m]!, seconds: seconds[m], repeat_seconds: times[m], share_of_tokens_as_host: sameTokens[m] },
    ]),
  ),
  ratio_to_host: Object.fromEntries(modes.map((m) => [m, seconds.host! / seconds[m]!])),
  // What each decode step takes out of ONNX Runtime for the draw (on a GPU: across the bus).
  bytes_per_step: { host: 4 * B * (args.vocab + args.hidden + 1), graph_on_device: 4 * B * 3 },
});
