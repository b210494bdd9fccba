// Autodiff on a transformer-shaped graph: finite differences through a small float64 decoder
// (RoPE, GQA, causal softmax attention, RMSNorm, SiLU MLP, clipped policy loss), and the build-time
// budget on a 24-layer stack. When src/model/ has the real decode/training graphs, a test there
// should differentiate the real 24-layer model the same way (time grad() and load it in ORT).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type Value, GraphBuilder, createSession, grad, toModelBytes } from '../../src/onnx/index.js';
import { type Feeds, gradCheck, normal, rng, runSession, tensor } from './helpers.js';
import { type TinyConfig, decoderInputs, tinyTransformer, weightShapes } from './tiny-transformer.js';

const B = 2;
const T = 3;

function ioFeeds(c: TinyConfig, rand: () => number, dtype: 'float32' | 'float64' = 'float64'): Feeds {
  const ids = Array.from({ length: B * T }, () => Math.floor(rand() * c.vocab));
  const targets = Array.from({ length: B * T }, () => Math.floor(rand() * c.vocab));
  const old = normal(rand, B * T).map((z) => -Math.log(c.vocab) + 0.3 * z);
  return {
    ids: tensor('int64', ids, [B, T]),
    targets: tensor('int64', targets, [B, T]),
    old: tensor(dtype, old, [B, T]),
    adv: tensor(dtype, [1.5, -0.7], [B, 1]),
  };
}

test('gradient of a 2-layer GQA decoder with a clipped policy loss matches finite differences', async () => {
  const c: TinyConfig = { layers: 2, hidden: 8, heads: 2, kvHeads: 1, ffn: 8, vocab: 7 };
  const shapes = weightShapes(c);
  const rand = rng(7);
  const fixed = ioFeeds(c, rand);
  const { errors } = await gradCheck({
    op: 'decoder',
    case: '2 layers',
    inputs: {
      ids: { shape: [B, T], declared: ['batch', 'seq'], dtype: 'int64', values: Array.from(fixed.ids!.data, Number) },
      targets: { shape: [B, T], declared: ['batch', 'seq'], dtype: 'int64', values: Array.from(fixed.targets!.data, Number) },
      old: { shape: [B, T], declared: ['batch', 'seq'], values: Array.from(fixed.old!.data as Float64Array) },
      adv: { shape: [B, 1], declared: ['batch', 1], values: [1.5, -0.7] },
      ...Object.fromEntries(Object.entries(shapes).map(([n, s]) => [n, { shape: s }])),
    },
    wrt: Object.keys(shapes),
    f: (g, x) =>
      tinyTransformer(g, c, (n) => x[n] as Value, { ids: x.ids!, targets: x.targets!, oldLogprobs: x.old!, advantages: x.adv! }, 'float64')
        .loss,
    maxEntries: 8,
  });
  for (const [name, err] of Object.entries(errors)) assert.ok(err <= 1e-6, `d loss / d ${name}: relative error ${err.toExponential(2)}`);
});

// float32, as in training: onnxruntime's QuickGelu fusion (optimisation level 'extended' and up)
// turns x * sigmoid(x) into a kernel that exists for float32 only, so float64 SiLU graphs fail to
// load at those levels.
test('differentiating a 24-layer pre-norm decoder takes under 2 s, and ORT runs the result', async () => {
  const c: TinyConfig = { layers: 24, hidden: 64, heads: 4, kvHeads: 2, ffn: 128, vocab: 128 };
  const rand = rng(3);
  const g = new GraphBuilder('decoder24');
  const io = decoderInputs(g);
  const weights = new Map<string, Value>();
  for (const [name, shape] of Object.entries(weightShapes(c))) {
    const n = shape.reduce((a, b) => a * b, 1);
    const scale = shape.length === 1 ? 0 : 1 / Math.sqrt(shape[0] as number);
    weights.set(
      name,
      g.initializer(
        name,
        Float32Array.from(normal(rand, n), (z) => (shape.length === 1 ? 1 : z * scale)),
        shape,
      ),
    );
  }
  const { logprobs, loss } = tinyTransformer(g, c, (n) => weights.get(n) as Value, io, 'float32');
  g.output(loss, 'loss');
  g.output(logprobs, 'logprobs');
  const forward = g.build();

  // Best of two builds, timed in CPU time of this process (grad() is synchronous JS), so that a busy
  // machine (other processes on the same cores) does not decide the result.
  let seconds = Infinity;
  let training = forward;
  for (let i = 0; i < 2; i++) {
    const start = process.cpuUsage();
    training = grad(forward, 'loss', [...weights.keys()], { keepOutputs: ['logprobs'] });
    const used = process.cpuUsage(start);
    seconds = Math.min(seconds, (used.user + used.system) / 1e6);
  }
  assert.ok(seconds < 2, `grad() took ${seconds.toFixed(2)} s of CPU time for ${forward.nodes.length} forward nodes`);
  assert.ok(
    training.nodes.length < 3 * forward.nodes.length,
    `backward graph is lean: ${training.nodes.length} nodes for ${forward.nodes.length} forward nodes`,
  );

  // The training graph computes the same loss and log-probs as the forward graph, and finite gradients.
  const feeds = ioFeeds(c, rand, 'float32');
  const fwd = await runSession(await createSession(forward, { intraOpNumThreads: 1 }), feeds);
  const bwd = await runSession(await createSession(toModelBytes(training), { intraOpNumThreads: 1 }), feeds);
  // Same math; ORT may fuse the two graphs differently, so allow float32 rounding.
  assert.ok(Math.abs((bwd.loss?.values[0] as number) - (fwd.loss?.values[0] as number)) < 1e-5);
  (fwd.logprobs?.values ?? []).forEach((v, i) => assert.ok(Math.abs(v - (bwd.logprobs?.values[i] as number)) < 1e-4));
  for (const name of weights.keys()) {
    const gv = bwd[`grad.${name}`];
    assert.ok(gv && gv.values.every(Number.isFinite), `grad.${name} is finite`);
  }
  // Every layer's weights receive gradient (nothing silently cut off).
  assert.ok((bwd['grad.l0.wq']?.values ?? []).some((v) => v !== 0));
});
