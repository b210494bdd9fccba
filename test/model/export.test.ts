/**
 * `exportModel` writes graphs that ONNX Runtime loads, with a manifest that describes them;
 * the graph cache builds once and reuses, keyed by what decides a graph's contents.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { exportModel as exportApi } from '../../src/api/export.js';
import { exportModel, type ExportManifest } from '../../src/model/export.js';
import { cachedGraphPath, contentWeightsId, folderSource, graphKey, weightsSource } from '../../src/model/graph-cache.js';
import { fixtureDir } from '../helpers/paths.js';
import { data, f32, i64, loadReference, maxAbsDiff, paramFeeds, runGraph } from './graphs-reference.js';

const tempDir = (): string => mkdtempSync(join(tmpdir(), 'introspect-export-'));

test('export writes decode, training and score graphs that ONNX Runtime loads, and a manifest naming their I/O', async () => {
  const out = tempDir();
  try {
    const { files, manifest } = exportModel({ modelDir: fixtureDir('llama-tiny'), outDir: out, trainable: [String.raw`layers\.0\.`] });
    for (const name of ['model', 'train_ce', 'train_policy', 'score']) assert.ok(files.includes(join(out, 'onnx', `${name}.onnx`)), name);
    for (const name of ['config.json', 'generation_config.json']) assert.ok(files.includes(join(out, name)), name);
    const onDisk = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as ExportManifest;
    assert.deepEqual(onDisk, JSON.parse(JSON.stringify(manifest)));
    assert.ok(manifest.trainable.length > 0 && manifest.trainable.every((p) => p.startsWith('model.layers.0.')));
    for (const [name, graph] of Object.entries(manifest.graphs)) {
      const session = await ort.InferenceSession.create(join(out, graph.files[0]!));
      assert.deepEqual([...session.inputNames].sort(), graph.inputs.map((i) => i.name).sort(), `${name} inputs`);
      assert.deepEqual([...session.outputNames].sort(), graph.outputs.map((o) => o.name).sort(), `${name} outputs`);
      await session.release();
    }
    const ce = manifest.graphs.train_ce;
    assert.deepEqual(
      ce.outputs.map((o) => o.name),
      ['loss', ...manifest.trainable.map((p) => `grad.${p}`), 'logprobs'],
    );
    assert.deepEqual(
      ce.inputs.find((i) => i.name === 'input_ids'),
      { name: 'input_ids', dtype: 'int64', shape: ['batch_size', 'sequence_length'] },
    );
    assert.deepEqual(manifest.graphs.decode.inputs.find((i) => i.name === 'past_key_values.1.value')?.shape, [
      'batch_size',
      1,
      'past_sequence_length',
      16,
    ]);

    // The exported decode graph computes what transformers computes.
    const ref = loadReference('llama-tiny');
    const session = await ort.InferenceSession.create(join(out, 'onnx', 'model.onnx'));
    const empty = new ort.Tensor('float32', new Float32Array(0), [2, 1, 0, 16]);
    const feeds: Record<string, ort.Tensor> = {
      input_ids: i64(ref.ids.flat(), [2, 16]),
      attention_mask: i64(new Array<number>(32).fill(1), [2, 16]),
      position_ids: i64(
        [...Array(32).keys()].map((i) => i % 16),
        [2, 16],
      ),
    };
    for (let i = 0; i < 2; i++) feeds[`past_key_values.${i}.key`] = feeds[`past_key_values.${i}.value`] = empty;
    assert.ok(maxAbsDiff(data((await runGraph(session, feeds)).logits), ref.logits) < 1e-4);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test("export with external weight data writes <file>_data beside the graphs (Optimum's name), and they load", async () => {
  const out = tempDir();
  try {
    const { manifest } = exportModel({ modelDir: fixtureDir('gpt2-tiny'), outDir: out, trainable: 'none', externalData: true });
    assert.deepEqual(manifest.trainable, []);
    assert.deepEqual(manifest.graphs.decode.files, ['onnx/model.onnx', 'onnx/model.onnx_data']);
    assert.ok(existsSync(join(out, 'onnx', 'model.onnx_data')));
    // transformers.js fetches external data itself only when config.json says so.
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(config['transformers.js_config'], { use_external_data_format: { 'model.onnx': 1 } });
    const session = await ort.InferenceSession.create(join(out, 'onnx', 'train_ce.onnx'));
    assert.deepEqual([...session.outputNames], ['loss', 'logprobs']);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test("the export command's library entry writes the files it lists", async () => {
  const out = tempDir();
  try {
    const { files } = await exportApi({ modelDir: fixtureDir('qwen3-tiny'), outDir: out, trainable: ['q_norm'] });
    assert.ok(files.length >= 5 && files.every((f) => existsSync(f)));
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as ExportManifest;
    assert.deepEqual(manifest.trainable, ['model.layers.0.self_attn.q_norm.weight', 'model.layers.1.self_attn.q_norm.weight']);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('graph cache: builds on a miss, reuses on a hit, and keys on options and weights', async () => {
  const cacheDir = tempDir();
  try {
    const ref = loadReference('qwen2-tiny');
    const model = ref.checkpoint;
    const spec = { kind: 'ce' as const, options: { trainable: [/model\.norm/] } };
    const first = cachedGraphPath(folderSource(fixtureDir('qwen2-tiny')), spec, { cacheDir });
    assert.equal(first.hit, false);
    const second = cachedGraphPath(
      folderSource(fixtureDir('qwen2-tiny')),
      { kind: 'ce', options: { trainable: ['^model\\.norm\\.weight$'] } },
      { cacheDir },
    );
    assert.deepEqual(second, { path: first.path, hit: true }, 'equal trainable sets share an entry');
    const loads: string[] = [];
    const counting = { ...folderSource(fixtureDir('qwen2-tiny')), load: () => (loads.push('load'), model) };
    assert.equal(cachedGraphPath(counting, spec, { cacheDir }).hit, true);
    assert.deepEqual(loads, [], 'a hit reads no weights');
    const inMemory = cachedGraphPath(weightsSource(model), spec, { cacheDir });
    assert.equal(inMemory.hit, false, 'loaded weights are keyed by content, not by the folder they came from');
    assert.equal(
      cachedGraphPath(weightsSource({ config: model.config, params: new Map(model.params) }), spec, { cacheDir }).hit,
      true,
      'equal contents share an entry',
    );
    const id = contentWeightsId(model);
    assert.notEqual(graphKey(model.config, id, spec), graphKey(model.config, id, { kind: 'ce', options: { trainable: 'all' } }));
    assert.notEqual(
      graphKey(model.config, id, spec),
      graphKey(model.config, id, { kind: 'policy', options: { trainable: [/model\.norm/] } }),
    );
    const decodeKeys = [{}, { lastLogitsOnly: true }, { cacheOutputs: 'new' as const }, { paramInputs: 'all' as const }].map((options) =>
      graphKey(model.config, id, { kind: 'decode', options }),
    );
    assert.equal(new Set(decodeKeys).size, decodeKeys.length, 'every decode option is part of the key');
    const policyKeys = [{}, { klPenalty: true }, { entropyBonus: true }, { entropyOutput: true }].map((options) =>
      graphKey(model.config, id, { kind: 'policy', options }),
    );
    assert.equal(new Set(policyKeys).size, policyKeys.length, 'every loss option is part of the key');
    const changed = new Map(model.params);
    const emb = model.params.get('model.embed_tokens.weight')!;
    changed.set('model.embed_tokens.weight', { data: emb.data.map((x) => x + 1), dims: emb.dims });
    assert.notEqual(contentWeightsId({ config: model.config, params: changed }), id, 'other weights, other key');
    // the cached file runs
    const feeds = {
      input_ids: i64(ref.ids.flat(), [2, 16]),
      attention_mask: i64(new Array<number>(32).fill(1), [2, 16]),
      loss_mask: f32(new Array<number>(32).fill(1), [2, 16]),
      ...paramFeeds(model, ['model.norm.weight']),
    };
    const out = await runGraph(await ort.InferenceSession.create(first.path), feeds);
    assert.ok(Math.abs(data(out.loss)[0]! - ref.json.ce_loss) < 1e-4);
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
});

test('graph cache: large weights go to external data, and a graph that stores no weights is keyed without them', async () => {
  const cacheDir = tempDir();
  try {
    const ref = loadReference('qwen2-tiny');
    const model = ref.checkpoint;
    const spec = { kind: 'decode' as const, options: { lastLogitsOnly: true } };
    const { path } = cachedGraphPath(weightsSource(model), spec, { cacheDir, externalDataMinBytes: 0 });
    assert.ok(existsSync(`${path}.data`), 'weights written beside the graph');
    assert.ok(
      readFileSync(path).byteLength < readFileSync(`${path}.data`).byteLength / 4,
      'the .onnx file holds the graph without its weights',
    );
    const ids = ref.ids.flat();
    const out = await runGraph(await ort.InferenceSession.create(path), {
      input_ids: i64(ids, [2, 16]),
      attention_mask: i64(new Array<number>(32).fill(1), [2, 16]),
      position_ids: i64([...Array(16).keys(), ...Array(16).keys()], [2, 16]),
      ...Object.fromEntries([0, 1].flatMap((i) => ['key', 'value'].map((kv) => [`past_key_values.${i}.${kv}`, f32([], [2, 2, 0, 16])]))),
    });
    const inMemory = await runGraph(
      await ort.InferenceSession.create(readFileSync(cachedGraphPath(weightsSource(model), spec, { cacheDir: join(cacheDir, 'b') }).path)),
      {
        input_ids: i64(ids, [2, 16]),
        attention_mask: i64(new Array<number>(32).fill(1), [2, 16]),
        position_ids: i64([...Array(16).keys(), ...Array(16).keys()], [2, 16]),
        ...Object.fromEntries([0, 1].flatMap((i) => ['key', 'value'].map((kv) => [`past_key_values.${i}.${kv}`, f32([], [2, 2, 0, 16])]))),
      },
    );
    assert.ok(maxAbsDiff(data(out.logits), data(inMemory.logits)) === 0, 'same logits as the embedded graph');
    // Every parameter trainable: the graph stores none, so other weights hit the same entry.
    const train = { kind: 'policy' as const, options: { trainable: 'all' as const } };
    const a = cachedGraphPath(weightsSource(model), train, { cacheDir });
    const changed = new Map([...model.params].map(([k, t]) => [k, { data: t.data.map((x) => x * 2), dims: t.dims }]));
    assert.deepEqual(cachedGraphPath(weightsSource({ config: model.config, params: changed }), train, { cacheDir }), {
      path: a.path,
      hit: true,
    });
    const frozenNorm = { kind: 'policy' as const, options: { trainable: [/layers/] } };
    const b = cachedGraphPath(weightsSource(model), frozenNorm, { cacheDir });
    assert.equal(
      cachedGraphPath(weightsSource({ config: model.config, params: changed }), frozenNorm, { cacheDir }).path === b.path,
      false,
      'stored weights changed: another entry',
    );
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
});
