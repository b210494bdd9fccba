import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCheckpoint, saveCheckpoint, type ParamMap } from '../../src/model/checkpoint.js';
import type { ModelConfig } from '../../src/model/config.js';
import { expectedParameters } from '../../src/model/parameters.js';
import { SafetensorsFile, readSafetensors, writeSafetensors } from '../../src/model/safetensors.js';
import { UserError } from '../../src/util/errors.js';
import { fixtureDir, fixtureNames, type FixtureName } from '../helpers/paths.js';

const tmp = mkdtempSync(join(tmpdir(), 'introspect-checkpoint-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const referenceNames = (name: FixtureName) =>
  (JSON.parse(readFileSync(join(fixtureDir(name), 'reference.json'), 'utf8')) as { param_names: string[] }).param_names;

/** A writable copy of a fixture folder. */
function copyFixture(name: FixtureName, as: string): string {
  const dir = join(tmp, as);
  cpSync(fixtureDir(name), dir, { recursive: true });
  return dir;
}

function assertUserError(fn: () => unknown, ...fragments: string[]): string {
  let message = '';
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof UserError, `expected a UserError, got ${String(error)}`);
    message = error.message;
    assert.ok(!message.includes('\n'), `message is not one line: ${message}`);
    for (const f of fragments) assert.ok(message.includes(f), `"${message}" should mention "${f}"`);
    return true;
  });
  return message;
}

for (const name of fixtureNames) {
  test(`${name}: loads with exactly the parameters of reference.json, in order, with the stored values`, () => {
    const checkpoint = loadCheckpoint(fixtureDir(name));
    assert.deepEqual([...checkpoint.params.keys()], referenceNames(name));
    assert.deepEqual(
      expectedParameters(checkpoint.config).map((p) => p.name),
      referenceNames(name),
    );
    // Values and shapes agree with an independent read of the same file.
    const stored = readSafetensors(join(fixtureDir(name), 'model.safetensors'));
    for (const [param, tensor] of checkpoint.params) {
      assert.deepEqual(tensor.dims, stored.get(param)!.dims, param);
      assert.deepEqual(tensor.data, stored.get(param)!.data, param);
    }
  });
}

test('save -> load round trip keeps config and every parameter exactly (F32) and copies tokenizer files', () => {
  for (const name of fixtureNames) {
    const source = loadCheckpoint(fixtureDir(name));
    const out = join(tmp, `saved-${name}`);
    saveCheckpoint(out, source.config, source.params, { generation: source.generation });
    const back = loadCheckpoint(out);
    assert.deepEqual(back.params, source.params, name);
    assert.deepEqual({ ...back.config, raw: undefined }, { ...source.config, raw: undefined }, name);
    assert.deepEqual(back.generation, source.generation, name);
    assert.equal(back.config.raw.dtype, 'float32');
    assert.deepEqual(readdirSync(out).sort(), ['config.json', 'generation_config.json', 'model.safetensors']);
  }
  // Tokenizer files present in the source folder are copied beside the weights.
  const withTokenizer = copyFixture('qwen2-tiny', 'with-tokenizer');
  writeFileSync(join(withTokenizer, 'tokenizer.json'), '{"fake": true}');
  writeFileSync(join(withTokenizer, 'tokenizer_config.json'), '{}');
  const source = loadCheckpoint(withTokenizer);
  const out = join(tmp, 'saved-with-tokenizer');
  const written = saveCheckpoint(out, source.config, source.params, { tokenizerDir: withTokenizer });
  assert.ok(written.includes('tokenizer.json') && written.includes('tokenizer_config.json'));
  assert.equal(readFileSync(join(out, 'tokenizer.json'), 'utf8'), '{"fake": true}');
  assert.deepEqual(
    readdirSync(out).filter((f) => f.includes('.tmp-')),
    [],
  );
});

test('a BF16 save stores bfloat16 and loads back within bfloat16 precision', () => {
  const source = loadCheckpoint(fixtureDir('llama-tiny'));
  const out = join(tmp, 'saved-bf16');
  saveCheckpoint(out, source.config, source.params, { dtype: 'BF16' });
  const file = SafetensorsFile.open(join(out, 'model.safetensors'));
  assert.ok([...file.tensors.values()].every((t) => t.dtype === 'BF16'));
  file.close();
  const back = loadCheckpoint(out);
  assert.equal(back.config.raw.dtype, 'bfloat16');
  for (const [name, tensor] of source.params) {
    const loaded = back.params.get(name)!.data;
    tensor.data.forEach((v, i) => assert.ok(Math.abs(loaded[i]! - v) <= 2 ** -8 * Math.abs(v), `${name}[${i}]`));
  }
});

test('sharded save writes an index and shards under the size limit, and loads back equal', () => {
  const source = loadCheckpoint(fixtureDir('qwen3-tiny'));
  const out = join(tmp, 'saved-sharded');
  // First a single-file save, then a sharded one into the same folder: the stale single file must go.
  saveCheckpoint(out, source.config, source.params);
  saveCheckpoint(out, source.config, source.params, { maxShardBytes: 150_000 });
  assert.ok(!existsSync(join(out, 'model.safetensors')));
  const index = JSON.parse(readFileSync(join(out, 'model.safetensors.index.json'), 'utf8')) as {
    metadata: { total_size: number };
    weight_map: Record<string, string>;
  };
  const shards = [...new Set(Object.values(index.weight_map))];
  assert.ok(shards.length > 1);
  assert.ok(shards.every((s) => /^model-\d{5}-of-\d{5}\.safetensors$/.test(s)));
  const expectedTotal = [...source.params.values()].reduce((sum, t) => sum + 4 * t.data.length, 0);
  assert.equal(index.metadata.total_size, expectedTotal);
  assert.deepEqual(Object.keys(index.weight_map).sort(), [...source.params.keys()].sort());
  for (const shard of shards) {
    const file = SafetensorsFile.open(join(out, shard));
    const bytes = [...file.tensors.values()].reduce((sum, t) => sum + t.end - t.begin, 0);
    // A shard exceeds the limit only when it holds one tensor larger than the limit.
    assert.ok(bytes <= 150_000 || file.tensors.size === 1, `${shard}: ${bytes} bytes`);
    file.close();
  }
  assert.deepEqual(loadCheckpoint(out).params, source.params);
});

test('a checkpoint with a missing tensor fails with one line naming it', () => {
  const dir = copyFixture('qwen2-tiny', 'missing-tensor');
  const weights = join(dir, 'model.safetensors');
  const tensors = readSafetensors(weights);
  tensors.delete('model.layers.1.mlp.up_proj.weight');
  rmSync(weights);
  writeSafetensors(
    weights,
    [...tensors].map(([name, t]) => ({ name, ...t })),
  );
  const message = assertUserError(() => loadCheckpoint(dir), dir, 'missing model.layers.1.mlp.up_proj.weight');
  assert.ok(!message.includes('unexpected') && !message.includes('wrong shape'));
});

test('unexpected and wrong-shape tensors are listed together with the missing ones', () => {
  const dir = copyFixture('llama-tiny', 'mixed-problems');
  const weights = join(dir, 'model.safetensors');
  const tensors = [...readSafetensors(weights)].map(([name, t]) => ({ name, ...t }));
  const kept = tensors.filter((t) => t.name !== 'model.norm.weight');
  const down = kept.find((t) => t.name === 'model.layers.0.mlp.down_proj.weight')!;
  down.dims = [160, 64]; // transposed
  kept.push({ name: 'model.layers.0.extra.weight', dims: [2], data: new Float32Array(2) });
  rmSync(weights);
  writeSafetensors(weights, kept);
  assertUserError(
    () => loadCheckpoint(dir),
    'missing model.norm.weight',
    'unexpected model.layers.0.extra.weight',
    'wrong shape model.layers.0.mlp.down_proj.weight [160,64] (expected [64,160])',
  );
});

test('a config that disagrees with the weights is caught (here: untied config, tied checkpoint)', () => {
  const dir = copyFixture('qwen2-tiny', 'untied-config');
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, tie_word_embeddings: false }));
  assertUserError(() => loadCheckpoint(dir), 'missing lm_head.weight');
});

test('GPT-2 in the original Hub naming (no transformer. prefix, attention-mask buffers, tied lm_head) loads', () => {
  const dir = copyFixture('gpt2-tiny', 'gpt2-legacy');
  const weights = join(dir, 'model.safetensors');
  const tensors = [...readSafetensors(weights)].map(([name, t]) => ({ name: name.replace(/^transformer\./, ''), ...t }));
  const mask = { dims: [1, 1, 128, 128], data: new Float32Array(128 * 128).fill(1) };
  tensors.push({ name: 'h.0.attn.bias', ...mask }, { name: 'h.1.attn.bias', ...mask });
  tensors.push({ name: 'h.0.attn.masked_bias', dims: [], data: new Float32Array([-1e4]) });
  tensors.push({ ...tensors.find((t) => t.name === 'wte.weight')!, name: 'lm_head.weight' });
  rmSync(weights);
  writeSafetensors(weights, tensors);
  const legacy = loadCheckpoint(dir);
  assert.deepEqual(legacy.params, loadCheckpoint(fixtureDir('gpt2-tiny')).params);
});

test('saving parameters that do not match the config is refused before anything is written', () => {
  const source = loadCheckpoint(fixtureDir('qwen2-tiny'));
  const params = new Map(source.params);
  params.delete('model.norm.weight');
  const out = join(tmp, 'refused');
  assertUserError(() => saveCheckpoint(out, source.config, params), 'missing model.norm.weight');
  assert.ok(!existsSync(out));
});

test('a folder without weights fails with one line', () => {
  const dir = join(tmp, 'no-weights');
  cpSync(join(fixtureDir('llama-tiny'), 'config.json'), join(dir, 'config.json'));
  assertUserError(() => loadCheckpoint(dir), 'neither model.safetensors nor model.safetensors.index.json');
});

test('a sharded checkpoint whose index names a missing shard fails with one line', () => {
  const source = loadCheckpoint(fixtureDir('llama-tiny'));
  const out = join(tmp, 'missing-shard');
  saveCheckpoint(out, source.config, source.params, { maxShardBytes: 200_000 });
  rmSync(join(out, 'model-00002-of-00004.safetensors'));
  assertUserError(() => loadCheckpoint(out), 'shard model-00002-of-00004.safetensors', 'is missing');
});

test('a model built in code (no config.json to start from) saves to a folder that loads back', () => {
  const config: ModelConfig = {
    arch: 'qwen3',
    vocabSize: 20,
    hiddenSize: 8,
    numLayers: 1,
    numHeads: 2,
    numKvHeads: 1,
    headDim: 4,
    intermediateSize: 12,
    norm: 'rms',
    normEps: 1e-6,
    ropeTheta: 1e4,
    maxPositionEmbeddings: 64,
    tieWordEmbeddings: true,
    attentionBias: false,
    attentionOutputBias: false,
    mlpBias: false,
    qkNorm: true,
    gatedMlp: true,
    activation: 'silu',
    bosTokenId: 1,
    eosTokenIds: [2],
    padTokenId: 0,
    raw: {},
  };
  const params: ParamMap = new Map(
    expectedParameters(config).map((p, k) => {
      const data = new Float32Array(p.dims.reduce((a, b) => a * b, 1)).map((_, i) => Math.sin(k + i));
      return [p.name, { dims: p.dims, data }];
    }),
  );
  const out = join(tmp, 'from-code');
  saveCheckpoint(out, config, params);
  const raw = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as Record<string, unknown>;
  assert.deepEqual([raw.model_type, raw.architectures, raw.head_dim, raw.dtype], ['qwen3', ['Qwen3ForCausalLM'], 4, 'float32']);
  assert.deepEqual(JSON.parse(readFileSync(join(out, 'generation_config.json'), 'utf8')), {
    bos_token_id: 1,
    eos_token_id: 2,
    pad_token_id: 0,
  });
  const back = loadCheckpoint(out);
  assert.deepEqual({ ...back.config, raw: {} }, config);
  assert.deepEqual(back.params, params);
});
