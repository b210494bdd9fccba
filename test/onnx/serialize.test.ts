// Serialisation: graphs load in ONNX Runtime with optimisations on and off, read back into the
// same IR, and large weights go to an external data file that ORT reads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Graph,
  type Value,
  GraphBuilder,
  createSession,
  fromModelBytes,
  grad,
  loadModel,
  saveModel,
  toModelBytes,
} from '../../src/onnx/index.js';
import { ModelProto } from '../../src/onnx/proto.js';
import { type Feeds, normal, rng, runSession, tensor } from './helpers.js';
import { decoderInputs, tinyTransformer, weightShapes } from './tiny-transformer.js';

/** A 1-layer decoder training graph (float32 weights as initializers) and feeds for it. */
function decoderGraphs(): { forward: Graph; training: Graph; feeds: Feeds } {
  const c = { layers: 1, hidden: 16, heads: 4, kvHeads: 2, ffn: 32, vocab: 11 };
  const rand = rng(5);
  const g = new GraphBuilder('decoder');
  const io = decoderInputs(g);
  const w = new Map<string, Value>();
  for (const [name, shape] of Object.entries(weightShapes(c))) {
    w.set(
      name,
      g.initializer(
        name,
        Float32Array.from(
          normal(
            rand,
            shape.reduce((a, b) => a * b, 1),
          ),
          (z) => z * 0.3,
        ),
        shape,
      ),
    );
  }
  const { loss, logprobs } = tinyTransformer(g, c, (n) => w.get(n) as Value, io, 'float32');
  g.output(loss, 'loss');
  g.output(logprobs, 'logprobs');
  const forward = g.build();
  const training = grad(forward, 'loss', [...w.keys()], { keepOutputs: ['logprobs'] });
  const feeds: Feeds = {
    ids: tensor('int64', [1, 4, 2, 9, 0, 3, 3, 10], [2, 4]),
    targets: tensor('int64', [4, 2, 9, 0, 3, 3, 10, 5], [2, 4]),
    old: tensor('float32', new Array<number>(8).fill(-2.4), [2, 4]),
    adv: tensor('float32', [1, -0.5], [2, 1]),
  };
  return { forward, training, feeds };
}

/** A structural description of a graph, for equality checks. */
function describe(graph: Graph) {
  const info = (v: Value) => `${v.name}:${v.dtype}[${v.shape.join(',')}]`;
  return {
    name: graph.name,
    inputs: graph.inputs.map(info),
    outputs: graph.outputs.map(info),
    initializers: graph.initializers.map((i) => ({
      name: i.value.name,
      dtype: i.data.dtype,
      dims: i.data.dims,
      data: Array.from(i.data.data as ArrayLike<number>),
    })),
    nodes: graph.nodes.map((n) => ({
      op: n.op,
      name: n.name,
      tag: n.tag,
      inputs: n.inputs.map((v) => v?.name ?? ''),
      outputs: n.outputs.map(info),
      attrs: JSON.stringify(n.attrs, (_, v) =>
        typeof v === 'bigint' ? String(v) : ArrayBuffer.isView(v) ? Array.from(v as unknown as ArrayLike<number>, String) : v,
      ),
    })),
  };
}

test('forward and training graphs load and agree in ORT with graph optimisations disabled and enabled', async () => {
  const { forward, training, feeds } = decoderGraphs();
  for (const graph of [forward, training]) {
    const results = [];
    for (const level of ['disabled', 'basic', 'extended', 'all'] as const)
      results.push(await runSession(await createSession(graph, { graphOptimizationLevel: level }), feeds));
    const [base, ...rest] = results;
    for (const other of rest) {
      for (const [name, t] of Object.entries(base ?? {})) {
        const o = other[name]?.values ?? [];
        t.values.forEach((v, i) =>
          assert.ok(Math.abs(v - (o[i] as number)) <= 1e-4 * Math.max(1, Math.abs(v)), `${graph.name}.${name}[${i}]: ${v} vs ${o[i]}`),
        );
      }
    }
  }
});

test('round trip: toModelBytes -> fromModelBytes gives the same graph', async () => {
  const { forward, training, feeds } = decoderGraphs();
  const g = new GraphBuilder('tagged');
  const x = g.input('x', 'float32', [2, 'n']);
  g.output(g.mul(x, g.stopGradient(g.exp(x))), 'y');
  for (const graph of [forward, training, g.build()]) {
    const bytes = toModelBytes(graph);
    const back = fromModelBytes(bytes);
    assert.deepEqual(describe(back), describe(graph));
    assert.deepEqual(toModelBytes(back), bytes);
  }
  // The read-back graph is a working graph: it can be differentiated again and run.
  const again = grad(fromModelBytes(toModelBytes(forward)), 'loss', ['l0.wq']);
  const out = await runSession(await createSession(again), feeds);
  const ref = await runSession(await createSession(training), feeds);
  assert.deepEqual(out['grad.l0.wq']?.values, ref['grad.l0.wq']?.values);
});

test('saveModel writes weights to <file>.data (4 KiB aligned) that ORT and loadModel read', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'introspect-onnx-'));
  try {
    const { training, feeds } = decoderGraphs();
    const path = join(dir, 'train.onnx');
    const files = saveModel(training, path, { externalData: true, externalMinBytes: 256 });
    assert.deepEqual(files, [path, `${path}.data`]);
    const big = training.initializers.filter((i) => i.data.data.byteLength >= 256);
    const bigBytes = big.reduce((s, i) => s + i.data.data.byteLength, 0);
    assert.ok(statSync(`${path}.data`).size >= bigBytes);
    // Each external tensor costs its location/offset/length entries (well under 100 bytes) instead of its data.
    assert.ok(
      statSync(path).size <= toModelBytes(training).byteLength - bigBytes + 100 * big.length,
      'the .onnx file no longer holds those weights',
    );
    const model = ModelProto.toObject(ModelProto.decode(readFileSync(path)), { longs: Number }) as {
      graph: { initializer: { name: string; externalData?: { key: string; value: string }[] }[] };
    };
    const external = model.graph.initializer.filter((t) => t.externalData?.length);
    assert.deepEqual(external.map((t) => t.name).sort(), big.map((i) => i.value.name).sort());
    for (const t of external) {
      const entry = Object.fromEntries((t.externalData ?? []).map((e) => [e.key, e.value]));
      assert.equal(entry.location, 'train.onnx.data');
      assert.equal(Number(entry.offset) % 4096, 0, `${t.name} offset ${entry.offset} is 4 KiB aligned`);
    }
    const fromFile = await runSession(await createSession(path), feeds);
    const inMemory = await runSession(await createSession(training), feeds);
    assert.deepEqual(fromFile, inMemory);
    assert.deepEqual(describe(loadModel(path)), describe(training));

    const small = join(dir, 'small.onnx');
    assert.deepEqual(saveModel(training, small), [small], 'auto mode embeds weights that fit one protobuf');
    assert.equal(existsSync(`${small}.data`), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('toModelBytes refuses weights beyond the 2 GiB protobuf limit and points to saveModel', () => {
  const g = new GraphBuilder('huge');
  const x = g.input('x', 'float32', [1]);
  const w = g.initializer('w', new Float32Array(1), [1]);
  g.output(g.add(x, w), 'y');
  const graph = g.build();
  // Pretend the weight is 2 GiB without allocating it: only the byte count is consulted first.
  (graph.initializers[0] as { data: { data: unknown } }).data.data = { byteLength: 2 ** 31, length: 2 ** 29 };
  assert.throws(() => toModelBytes(graph), /saveModel/);
});
