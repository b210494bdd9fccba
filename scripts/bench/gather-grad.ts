/**
 * `npm run bench:gather-grad`: what deterministic embedding gradients cost. Gather's gradient
 * adds rows with ScatterElements (serial in ONNX Runtime, so bit-reproducible); the rule it
 * replaced used ScatterND 'add', which ONNX Runtime runs on parallel threads and which races on
 * repeated token ids (microsoft/onnxruntime#23396). Both rules build the same token-policy
 * training graph of the default job's model (models/arith-tiny, all parameters trainable) at
 * the default job's batch shape; the two sessions are timed interleaved, `--repeats` rounds,
 * at the default thread count (`--threads 0`). Prints the median step times and their ratio.
 */
import * as ort from 'onnxruntime-node';
import { resolve } from 'node:path';
import { packageRoot } from '../../src/config/index.js';
import { loadCheckpoint } from '../../src/model/checkpoint.js';
import { gradientRules, type GradientContext, type Value } from '../../src/onnx/index.js';
import { invertPerm } from '../../src/onnx/grad-utils.js';
import { attrInt, normAxis } from '../../src/onnx/shape-inference.js';
import { openTrainSession } from '../../src/rl/token-update.js';
import { streamFor } from '../../src/util/rng.js';
import { syntheticPolicyFeeds } from '../../src/api/bench.js';
import { median, parseArgs, report } from './common.js';

const args = parseArgs({ batch: 128, seqLen: 56, threads: 0, repeats: 7 });
const model = loadCheckpoint(resolve(packageRoot, 'models', 'arith-tiny'));
const vocab = model.config.vocabSize;

const deterministic = gradientRules.Gather!;
const open = () => openTrainSession(model, 'policy', { trainable: 'all' }, { executionProvider: 'cpu', threads: args.threads });
const scatterElements = await open();
gradientRules.Gather = scatterNdGatherGrad;
const scatterNd = await open();
gradientRules.Gather = deterministic;

const [B, T] = [args.batch, args.seqLen];
const rng = streamFor(0, 3);
// token ids first, then the rest: the same random stream order as before
const ids = Array.from({ length: B * T }, () => 3 + Math.floor(rng.uniform() * (vocab - 3)));
const feeds: Record<string, ort.Tensor> = syntheticPolicyFeeds(ids, B, T, rng);
for (const [name, p] of model.params) feeds[name] = new ort.Tensor('float32', p.data, p.dims);
feeds.old_logprobs = new ort.Tensor('float32', (await scatterElements.run(feeds)).logprobs!.data as Float32Array, [B, T]);

const times = { scatterElements: [] as number[], scatterNd: [] as number[] };
const distinct = { scatterElements: new Set<string>(), scatterNd: new Set<string>() };
for (let round = 0; round < args.repeats; round++) {
  for (const [name, session] of [
    ['scatterElements', scatterElements],
    ['scatterNd', scatterNd],
  ] as const) {
    const started = performance.now();
    const out = await session.run(feeds);
    times[name].push((performance.now() - started) / 1000);
    distinct[name].add(checksum(out['grad.model.embed_tokens.weight']!.data as Float32Array));
  }
}
const summary = (name: keyof typeof times) => ({ median_s: median(times[name]), distinct_embedding_gradients: distinct[name].size });
report('gather-grad', {
  benchmark: 'gather-grad',
  settings: args,
  deterministic_scatter_elements: summary('scatterElements'),
  racy_scatter_nd: summary('scatterNd'),
  ratio_deterministic_over_racy: median(times.scatterElements) / median(times.scatterNd),
});
await scatterElements.release();
await scatterNd.release();

function checksum(data: Float32Array): string {
  const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
  let h = 0;
  for (let i = 0; i < bits.length; i++) h = (Math.imul(h, 31) + bits[i]!) | 0;
  return String(h);
}

/** The rule before: ScatterND with reduction 'add' (kept here only to measure it). */
function scatterNdGatherGrad(c: GradientContext): (Value | null)[] {
  if (!c.needs[0]) return [null, null];
  const { g } = c;
  const [x, idx] = [c.inputs[0]!, c.inputs[1]!];
  const axis = normAxis(attrInt(c.node.attrs, 'axis', 0), x.shape.length);
  let [I, G] = [idx, c.gy];
  if (idx.shape.length === 0) [I, G] = [g.unsqueeze(idx, { axes: [0] }), g.unsqueeze(G, { axes: [axis] })];
  const q = I.shape.length;
  const permX = [axis, ...[...Array(x.shape.length).keys()].filter((i) => i !== axis)];
  const permG = [...Array(q).keys()].map((i) => axis + i);
  for (let i = 0; i < G.shape.length; i++) if (i < axis || i >= axis + q) permG.push(i);
  const zeros = g.constantOfShape(g.gather(g.shape(x), g.constant(permX, 'int64')), { dtype: x.dtype });
  const scattered = g.scatterND(zeros, g.unsqueeze(I, { axes: [-1] }), g.transpose(G, { perm: permG }), { reduction: 'add' });
  return [g.transpose(scattered, { perm: invertPerm(permX) }), null];
}
