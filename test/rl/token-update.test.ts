/**
 * The host update step (gradientStep) against the graph's own gradients put through the
 * TypeScript AdamW by hand, and the training sessions' arena choice (trainSessionArena).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { GraphBuilder, configureSessions, createSession, grad, sessionDefaults } from '../../src/onnx/index.js';
import { newModelConfig } from '../../src/model/init.js';
import { AdamW } from '../../src/rl/optimizer.js';
import { gradientStep, lowMemoryBackward, trainSessionArena, trainSessionMemory } from '../../src/rl/token-update.js';
import { defaultLowMemoryBackward } from '../../src/model/graphs/train-graphs.js';
import { LARGE_MODEL_PARAMETERS } from '../../src/model/parameters.js';

/** loss = sum((x W^T - y)^2) with W [3, 4] and b [3] as inputs: a tiny stand-in for a training graph. */
async function tinyTrainSession(): Promise<ort.InferenceSession> {
  const g = new GraphBuilder('tiny');
  const x = g.input('x', 'float32', [2, 4]);
  const w = g.input('w', 'float32', [3, 4]);
  const b = g.input('b', 'float32', [3]);
  const y = g.input('y', 'float32', [2, 3]);
  const d = g.sub(g.gemm(x, w, b, { transB: true }), y);
  g.output(g.reduceSum(g.mul(d, d), { keepdims: false }), 'loss');
  g.output(d, 'residual');
  return createSession(grad(g.build(), 'loss', ['w', 'b'], { keepOutputs: ['residual'] }));
}

const values = (n: number, seed: number): Float32Array => Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 7.1 + i * 1.3));

test("gradientStep applies AdamW to the graph's gradients as a hand-run step does, and returns only the other outputs", async () => {
  const session = await tinyTrainSession();
  const fresh = () =>
    new Map([
      ['w', values(12, 1)],
      ['b', values(3, 2)],
    ]);
  const options = { lr: 0.05, weightDecay: 0.01, maxGradNorm: 0.5 };
  const mine = fresh();
  const theirs = fresh();
  const stepper = new AdamW(mine, options);
  const reference = new AdamW(theirs, options);
  const inputs = { x: new ort.Tensor('float32', values(8, 3), [2, 4]), y: new ort.Tensor('float32', values(6, 4), [2, 3]) };
  for (let step = 0; step < 3; step++) {
    const feeds = { ...inputs, w: new ort.Tensor('float32', mine.get('w')!, [3, 4]), b: new ort.Tensor('float32', mine.get('b')!, [3]) };
    const phases: string[] = [];
    const { out, result } = await gradientStep(session, feeds, stepper, 0.05, (phase) =>
      phases.push(`${phase} at step ${stepper.stepCount}`),
    );
    // the run's phase comes before AdamW's step, the optimiser's after it
    assert.deepEqual(phases, [`run returned at step ${step}`, `optimizer done at step ${step + 1}`]);
    assert.deepEqual(Object.keys(out).sort(), ['loss', 'residual']);
    assert.equal(result.applied, true);
    const raw = await session.run({
      ...inputs,
      w: new ort.Tensor('float32', theirs.get('w')!, [3, 4]),
      b: new ort.Tensor('float32', theirs.get('b')!, [3]),
    });
    const expected = reference.step(
      new Map([
        ['w', raw['grad.w']!.data as Float32Array],
        ['b', raw['grad.b']!.data as Float32Array],
      ]),
      0.05,
    );
    assert.equal(result.gradNorm, expected.gradNorm);
    assert.deepEqual(mine, theirs); // bit for bit
  }
  await session.release();
});

test('gradientStep skips the optimiser on a non-finite loss', async () => {
  const session = await tinyTrainSession();
  const params = new Map([
    ['w', values(12, 1)],
    ['b', values(3, 2)],
  ]);
  const before = new Map([...params].map(([k, v]) => [k, v.slice()]));
  const optimizer = new AdamW(params, { lr: 0.1 });
  const x = values(8, 3);
  x[0] = NaN;
  const feeds = {
    x: new ort.Tensor('float32', x, [2, 4]),
    y: new ort.Tensor('float32', values(6, 4), [2, 3]),
    w: new ort.Tensor('float32', params.get('w')!, [3, 4]),
    b: new ort.Tensor('float32', params.get('b')!, [3]),
  };
  const phases: string[] = [];
  const { result } = await gradientStep(session, feeds, optimizer, 0.1, (phase) => phases.push(`${phase} at step ${optimizer.stepCount}`));
  assert.equal(result.applied, false);
  assert.deepEqual(phases, ['run returned at step 0', 'optimizer done at step 0'], 'both phases are marked, a skipped step too');
  assert.equal(optimizer.stepCount, 0);
  assert.deepEqual(params, before);
  await session.release();
});

test('training sessions: an explicit arena choice wins; auto turns the arena off and the low-memory backward on from LARGE_MODEL_PARAMETERS on; no memory pattern', () => {
  const saved = sessionDefaults();
  const config = (hidden: number, layers: number, vocab: number) =>
    newModelConfig({
      arch: 'qwen2',
      vocabSize: vocab,
      hiddenSize: hidden,
      layers,
      heads: 8,
      kvHeads: 4,
      intermediateSize: 3 * hidden,
      maxPositions: 256,
      bosTokenId: 1,
      eosTokenId: 2,
      padTokenId: 0,
    });
  const small = config(256, 4, 512); // 3.3M parameters, the bench model
  const large = config(512, 8, 32000); // 41.6M
  try {
    configureSessions({});
    assert.equal(trainSessionArena(small), undefined); // ONNX Runtime's default: on
    assert.equal(trainSessionArena(large), false);
    // never the memory pattern; the arena as chosen
    assert.deepEqual(trainSessionMemory(small), { enableMemPattern: false });
    assert.deepEqual(trainSessionMemory(large), { cpuMemArena: false, enableMemPattern: false });
    // the training graph's low-memory backward follows the same line
    assert.equal(defaultLowMemoryBackward(small), false);
    assert.equal(defaultLowMemoryBackward(large), true);
    configureSessions({ cpuMemArena: true });
    assert.equal(trainSessionArena(large), true);
    assert.deepEqual(trainSessionMemory(large), { cpuMemArena: true, enableMemPattern: false });
    configureSessions({ cpuMemArena: false });
    assert.equal(trainSessionArena(small), false);
    assert.deepEqual(trainSessionMemory(small), { cpuMemArena: false, enableMemPattern: false });
    assert.ok(LARGE_MODEL_PARAMETERS > 3.3e6 && LARGE_MODEL_PARAMETERS < 41.6e6);
    // a job's explicit choice reaches the graph; auto leaves the graph's default
    assert.deepEqual(lowMemoryBackward({ model: { lowMemoryBackward: 'auto' } }), {});
    assert.deepEqual(lowMemoryBackward({ model: { lowMemoryBackward: false } }), { lowMemoryBackward: false });
  } finally {
    configureSessions(saved);
  }
});
