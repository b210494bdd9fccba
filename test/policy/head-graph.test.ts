/**
 * The head's forward graph in ONNX Runtime against the plain TypeScript forward, and the stop-gradient
 * that keeps the head's gradients out of the LLM when the head is appended onto the LLM's graph.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { GraphBuilder, createSession, grad } from '../../src/onnx/index.js';
import {
  HEAD_PARAM_NAMES,
  TemperatureHead,
  appendTemperatureHead,
  declareHeadParams,
  headLayers,
  headOutputName,
  temperatureHeadGraph,
} from '../../src/policy/head/index.js';
import { streamFor } from '../../src/util/rng.js';

const H = 12;
const ROWS = 7;

function randomRows(rows: number, width: number, seed: number, scale = 2): Float32Array {
  const rng = streamFor(seed);
  return Float32Array.from({ length: rows * width }, () => scale * rng.normal());
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(
      Math.abs((actual[i] as number) - (expected[i] as number)) <= tol * (1 + Math.abs(expected[i] as number)),
      `${what}[${i}]: ${actual[i]} vs ${expected[i]}`,
    );
  }
}

for (const kind of ['grid', 'lognormal'] as const) {
  test(`${kind} head: the ONNX forward graph matches the TypeScript forward`, async () => {
    const head = TemperatureHead.create({ kind, inputSize: H, hiddenSize: 16, outputInitStd: 1, seed: 2 });
    const hidden = randomRows(ROWS, H, 4);
    const expected = head.forward(hidden, ROWS);
    assert.equal(expected.length, ROWS * head.outputWidth);

    const withInitializers = await createSession(temperatureHeadGraph(head.config, { params: head.params }));
    assert.deepEqual(withInitializers.inputNames, ['hidden']);
    assert.deepEqual(withInitializers.outputNames, [kind === 'grid' ? 'temperature_logits' : 'temperature_params']);
    const r = await withInitializers.run({ hidden: new ort.Tensor('float32', hidden, [ROWS, H]) });
    assertClose(r[headOutputName(head.config)]?.data as Float32Array, expected, 1e-5, 'initializer graph');
    await withInitializers.release();

    assertClose(await head.logits(hidden, ROWS), expected, 1e-5, 'head.logits (parameters as inputs)');
    await head.dispose();
  });
}

test('head.logits sees parameter updates without rebuilding its session', async () => {
  const head = TemperatureHead.create({ inputSize: H, hiddenSize: 8, outputInitStd: 1, seed: 3 });
  const hidden = randomRows(ROWS, H, 5);
  const before = await head.logits(hidden, ROWS);
  const w2 = head.params.get('fc2.weight') as Float32Array;
  for (let i = 0; i < w2.length; i++) w2[i] = (w2[i] as number) * 2 + 0.1; // an in-place optimiser step
  const after = await head.logits(hidden, ROWS);
  assertClose(after, head.forward(hidden, ROWS), 1e-5, 'after an in-place update');
  assert.ok(
    after.some((x, i) => Math.abs(x - (before[i] as number)) > 1e-3),
    'the update changed the output',
  );

  const replaced = new Map([...head.params].map(([k, v]) => [k, v.map((x) => -x)]));
  head.setParams(replaced);
  assertClose(await head.logits(hidden, ROWS), head.forward(hidden, ROWS), 1e-5, 'after setParams');
  await head.dispose();
});

test('exportOnnx writes temperature_head.onnx that ONNX Runtime loads and that computes the head', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'head-onnx-'));
  try {
    const head = TemperatureHead.create({ inputSize: H, hiddenSize: 8, outputInitStd: 1, seed: 4 });
    const [path] = head.exportOnnx(dir);
    assert.equal(path, join(dir, 'temperature_head.onnx'));
    const session = await createSession(path as string);
    const hidden = randomRows(ROWS, H, 6);
    const r = await session.run({ hidden: new ort.Tensor('float32', hidden, [ROWS, H]) });
    assertClose(r.temperature_logits?.data as Float32Array, head.forward(hidden, ROWS), 1e-5, 'exported graph');
    await session.release();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * A stand-in for the LLM: hidden [B, T, H] = tanh(x [B, T, 3] @ llm.weight [3, H]), with the head on
 * top and a loss on the head's output. Returns grad.llm.weight and the head's gradients.
 */
async function fusedGradients(useStopGradient: boolean) {
  const head = TemperatureHead.create({ inputSize: H, hiddenSize: 8, outputInitStd: 1, seed: 5 });
  const g = new GraphBuilder('llm_and_head');
  const x = g.input('x', 'float32', ['B', 'T', 3]);
  const llmWeight = g.initializer('llm.weight', randomRows(3, H, 7, 0.5), [3, H]);
  const hidden = g.tanh(g.matmul(x, llmWeight)); // [B, T, H]
  const p = declareHeadParams(g, head.config, { as: 'initializers', params: head.params }, { prefix: 'temperature_head.' });
  const out = useStopGradient ? appendTemperatureHead(g, hidden, p, head.config) : headLayers(g, hidden, p); // [B, T, K]
  g.output(out, 'temperature_logits');
  g.output(
    g.reduceSum(
      g.mul(
        g.logSoftmax(out, { axis: -1 }),
        g.constant(
          Array.from({ length: 8 }, (_, k) => k - 3),
          'float32',
        ),
      ),
      { keepdims: false },
    ),
    'loss',
  );
  const wrt = ['llm.weight', ...HEAD_PARAM_NAMES.map((n) => `temperature_head.${n}`)];
  const session = await createSession(grad(g.build(), 'loss', wrt, { keepOutputs: ['temperature_logits'] }));
  const xData = randomRows(2 * 4, 3, 8);
  const r = await session.run({ x: new ort.Tensor('float32', xData, [2, 4, 3]) });
  await session.release();
  // the head's output on the same hidden states, computed here
  const w = randomRows(3, H, 7, 0.5);
  const hiddenRows = new Float32Array(8 * H);
  for (let n = 0; n < 8; n++) {
    for (let h = 0; h < H; h++) {
      let z = 0;
      for (let i = 0; i < 3; i++) z += (xData[n * 3 + i] as number) * (w[i * H + h] as number);
      hiddenRows[n * H + h] = Math.tanh(z);
    }
  }
  const data = (name: string) => r[name]?.data as Float32Array;
  return {
    llm: data('grad.llm.weight'),
    head: HEAD_PARAM_NAMES.map((n) => data(`grad.temperature_head.${n}`)),
    logits: data('temperature_logits'),
    expected: head.forward(hiddenRows, 8),
  };
}

test('appendTemperatureHead: no gradient reaches the upstream graph; the head still trains', async () => {
  const stopped = await fusedGradients(true);
  assertClose(stopped.logits, stopped.expected, 1e-5, 'the stop-gradient does not change the forward values');
  assert.ok(
    stopped.llm.every((v) => v === 0),
    'grad.llm.weight is all zeros behind the stop-gradient',
  );
  for (const gHead of stopped.head)
    assert.ok(
      gHead.some((v) => Math.abs(v) > 1e-4),
      "the head's parameters get gradient",
    );

  // Control: the same graph without the stop-gradient does send gradient into the upstream weight,
  // so the zeros above come from the stop-gradient, not from a loss that ignores it.
  const open = await fusedGradients(false);
  assert.ok(
    open.llm.some((v) => Math.abs(v) > 1e-4),
    'without the stop-gradient, grad.llm.weight is non-zero',
  );
  open.head.forEach((gHead, i) => assertClose(stopped.head[i] as Float32Array, gHead, 1e-5, `head gradient ${HEAD_PARAM_NAMES[i]}`));
});
