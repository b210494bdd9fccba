/**
 * `npm run bench:sampling`: rollout throughput with the token drawn in the sampler graph
 * (`rollout.sampler: graph`) against the host sampler (JavaScript over the [B, V] logits), on a
 * random-weight model whose vocabulary dominates (default vocab 151,936 as Qwen2.5, hidden 64,
 * 2 layers), same prompts and seeds, the two runs interleaved and repeated. Also reports the
 * bytes of logits and hidden states the host path takes out of ONNX Runtime per step and what the
 * graph path takes instead. Options: --batch 16 --newTokens 32 --promptLen 16 --threads 2
 * --repeats 3 --vocab 151936 --hidden 64 --layers 2 --policy fixed:1.0
 */
import { rmSync } from 'node:fs';
import { DecodeSession } from '../../src/model/decode-session.js';
import { createPolicy } from '../../src/policy/index.js';
import { generateRollouts } from '../../src/rollout/engine.js';
import { streamFor } from '../../src/util/rng.js';
import { benchModel, median, parseArgs, report } from './common.js';

const args = parseArgs({ batch: 16, newTokens: 32, promptLen: 16, threads: 2, repeats: 3, hidden: 64, layers: 2, heads: 4, kvHeads: 2, intermediate: 128, vocab: 151936, policy: 'fixed:1.0' });
const modelDir = benchModel(args);
const rng = streamFor(0, 2);
const prompts = Array.from({ length: args.batch }, () => Array.from({ length: args.promptLen }, () => 3 + Math.floor(rng.uniform() * (args.vocab - 3))));
const sessions = {
  host: await DecodeSession.load(modelDir, { intraOpNumThreads: args.threads, cache: false }),
  graph: await DecodeSession.load(modelDir, { intraOpNumThreads: args.threads, cache: false, sampling: 'graph' }),
};
const run = async (which: keyof typeof sessions) => {
  const started = performance.now();
  const rollouts = await generateRollouts(sessions[which], {
    prompts, groupSize: 1, policy: createPolicy(String(args.policy)), maxNewTokens: args.newTokens, eosTokenIds: [],
    decodeText: () => '', seed: 0, batchSize: args.batch,
  });
  return { tokens: rollouts.reduce((n, r) => n + r.tokens.length, 0), seconds: (performance.now() - started) / 1000, rollouts };
};
await run('host'); // warm-up both
await run('graph');
const times = { host: [] as number[], graph: [] as number[] };
let tokens = 0;
let sameTokens = true;
for (let i = 0; i < args.repeats; i++) {
  // Interleaved, alternating which goes first, so load on the machine hits both alike.
  const order: (keyof typeof sessions)[] = i % 2 === 0 ? ['host', 'graph'] : ['graph', 'host'];
  const results: Partial<Record<keyof typeof sessions, Awaited<ReturnType<typeof run>>>> = {};
  for (const which of order) {
    results[which] = await run(which);
    times[which].push(results[which]!.seconds);
  }
  tokens = results.host!.tokens;
  sameTokens &&= results.host!.rollouts.every((r, j) => r.tokens.join() === results.graph!.rollouts[j]!.tokens.join());
}
await Promise.all([sessions.host.release(), sessions.graph.release()]);
rmSync(modelDir, { recursive: true, force: true });
const host = median(times.host);
const graph = median(times.graph);
const B = args.batch;
report('sampling', {
  settings: { ...args },
  host: { tokens_per_s: tokens / host, seconds: host, repeat_seconds: times.host },
  graph: { tokens_per_s: tokens / graph, seconds: graph, repeat_seconds: times.graph },
  graph_over_host: host / graph,
  same_tokens: sameTokens,
  // What each decode step takes out of ONNX Runtime for the draw (on a GPU: across the bus).
  bytes_per_step: { host: 4 * B * (args.vocab + args.hidden + 1), graph_on_device: 4 * B * 3 },
});
