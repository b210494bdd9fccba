import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { modelConfigToJson, parseGenerationConfig, parseModelConfig, readModelConfig, type ModelConfig } from '../../src/model/config.js';
import { UserError } from '../../src/util/errors.js';
import { fixtureDir, type FixtureName } from '../helpers/paths.js';

const rawConfig = (name: FixtureName) => JSON.parse(readFileSync(join(fixtureDir(name), 'config.json'), 'utf8')) as Record<string, unknown>;

function assertUserError(fn: () => unknown, ...fragments: string[]): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof UserError, `expected a UserError, got ${String(error)}`);
    assert.ok(!error.message.includes('\n'));
    for (const f of fragments) assert.ok(error.message.includes(f), `"${error.message}" should mention "${f}"`);
    return true;
  });
}

type Expected = Omit<ModelConfig, 'raw'>;

// Expected values read off the fixtures' README and config.json files.
const expected: Record<FixtureName, Expected> = {
  'qwen2-tiny': {
    arch: 'qwen2',
    vocabSize: 512,
    hiddenSize: 64,
    numLayers: 2,
    numHeads: 4,
    numKvHeads: 2,
    headDim: 16,
    intermediateSize: 160,
    norm: 'rms',
    normEps: 1e-6,
    ropeTheta: 1e4,
    maxPositionEmbeddings: 256,
    tieWordEmbeddings: true,
    attentionBias: true,
    attentionOutputBias: false,
    mlpBias: false,
    qkNorm: false,
    gatedMlp: true,
    activation: 'silu',
    bosTokenId: null,
    eosTokenIds: [],
    padTokenId: null,
  },
  'qwen3-tiny': {
    arch: 'qwen3',
    vocabSize: 512,
    hiddenSize: 64,
    numLayers: 2,
    numHeads: 4,
    numKvHeads: 2,
    headDim: 32,
    intermediateSize: 160,
    norm: 'rms',
    normEps: 1e-6,
    ropeTheta: 1e6,
    maxPositionEmbeddings: 256,
    tieWordEmbeddings: true,
    attentionBias: false,
    attentionOutputBias: false,
    mlpBias: false,
    qkNorm: true,
    gatedMlp: true,
    activation: 'silu',
    bosTokenId: null,
    eosTokenIds: [],
    padTokenId: null,
  },
  'llama-tiny': {
    arch: 'llama',
    vocabSize: 512,
    hiddenSize: 64,
    numLayers: 2,
    numHeads: 4,
    numKvHeads: 1,
    headDim: 16,
    intermediateSize: 160,
    norm: 'rms',
    normEps: 1e-5,
    ropeTheta: 5e5,
    maxPositionEmbeddings: 256,
    tieWordEmbeddings: false,
    attentionBias: false,
    attentionOutputBias: false,
    mlpBias: false,
    qkNorm: false,
    gatedMlp: true,
    activation: 'silu',
    bosTokenId: 1,
    eosTokenIds: [2],
    padTokenId: null,
  },
  'gpt2-tiny': {
    arch: 'gpt2',
    vocabSize: 512,
    hiddenSize: 64,
    numLayers: 2,
    numHeads: 4,
    numKvHeads: 4,
    headDim: 16,
    intermediateSize: 256,
    norm: 'layer',
    normEps: 1e-5,
    ropeTheta: null,
    maxPositionEmbeddings: 128,
    tieWordEmbeddings: true,
    attentionBias: true,
    attentionOutputBias: true,
    mlpBias: true,
    qkNorm: false,
    gatedMlp: false,
    activation: 'gelu_tanh',
    bosTokenId: 50256,
    eosTokenIds: [50256],
    padTokenId: null,
  },
};

for (const [name, want] of Object.entries(expected) as [FixtureName, Expected][]) {
  test(`${name}: config.json normalises to the documented architecture`, () => {
    const { config, generation } = readModelConfig(fixtureDir(name));
    const { raw, ...fields } = config;
    assert.deepEqual(fields, want);
    assert.equal(raw.model_type, want.arch);
    assert.ok(generation !== null);
  });
}

test('rope theta: transformers 5 rope_parameters and the older top-level rope_theta give the same config', () => {
  const modern = rawConfig('llama-tiny');
  const legacy: Record<string, unknown> = { ...modern, rope_theta: 500000.0, rope_scaling: null };
  delete legacy.rope_parameters;
  assert.equal(parseModelConfig(modern).ropeTheta, 5e5);
  assert.equal(parseModelConfig(legacy).ropeTheta, 5e5);
  // rope_parameters without a theta falls back to the top-level field.
  assert.equal(parseModelConfig({ ...legacy, rope_parameters: { rope_type: 'default' } }).ropeTheta, 5e5);
  // Qwen2's default base when neither is given (transformers' Qwen2Config default).
  const { rope_parameters: __, ...noRope } = rawConfig('qwen2-tiny');
  assert.equal(parseModelConfig(noRope).ropeTheta, 10000);
});

test('rope scaling types are refused in either format', () => {
  const base = rawConfig('llama-tiny');
  assertUserError(
    () => parseModelConfig({ ...base, rope_parameters: { rope_type: 'llama3', rope_theta: 5e5, factor: 8 } }, 'x/config.json'),
    'x/config.json',
    'rope scaling type "llama3"',
  );
  assertUserError(
    () => parseModelConfig({ ...base, rope_parameters: null, rope_theta: 1e4, rope_scaling: { type: 'linear', factor: 2 } }),
    '"linear"',
  );
  assertUserError(
    () => parseModelConfig({ ...base, rope_parameters: { rope_type: 'default', rope_theta: 1e4, partial_rotary_factor: 0.5 } }),
    'partial_rotary_factor',
  );
});

test('unsupported architectures and options fail with one line naming the field', () => {
  assertUserError(
    () => parseModelConfig({ ...rawConfig('llama-tiny'), model_type: 'mistral' }, 'm/config.json'),
    'm/config.json',
    'model_type "mistral"',
    'qwen2',
  );
  assertUserError(() => parseModelConfig({ ...rawConfig('qwen2-tiny'), use_sliding_window: true }), 'sliding-window');
  assertUserError(
    () => parseModelConfig({ ...rawConfig('qwen3-tiny'), layer_types: ['sliding_attention', 'full_attention'] }),
    'layer_types',
  );
  assertUserError(() => parseModelConfig({ ...rawConfig('llama-tiny'), hidden_act: 'gelu' }), 'hidden_act');
  assertUserError(() => parseModelConfig({ ...rawConfig('gpt2-tiny'), activation_function: 'relu' }), 'activation_function', 'gelu_new');
  assertUserError(() => parseModelConfig({ ...rawConfig('llama-tiny'), num_key_value_heads: 3 }), '3 key/value heads');
  assertUserError(() => parseModelConfig({ ...rawConfig('llama-tiny'), hidden_size: '64' }), '"hidden_size" must be a positive integer');
  const { num_hidden_layers: _, ...noLayers } = rawConfig('qwen2-tiny');
  assertUserError(() => parseModelConfig(noLayers), 'missing "num_hidden_layers"');
  assertUserError(() => parseModelConfig([]), 'expected a JSON object');
});

test('architecture-specific fields: llama attention_bias and mlp_bias, qwen3 attention_bias, gpt2 n_inner', () => {
  const llama = parseModelConfig({ ...rawConfig('llama-tiny'), attention_bias: true, mlp_bias: true });
  assert.deepEqual([llama.attentionBias, llama.attentionOutputBias, llama.mlpBias], [true, true, true]);
  const { head_dim: _, ...noHeadDim } = rawConfig('llama-tiny');
  assert.equal(parseModelConfig(noHeadDim).headDim, 16);
  const qwen3 = parseModelConfig({ ...rawConfig('qwen3-tiny'), attention_bias: true });
  assert.deepEqual([qwen3.attentionBias, qwen3.attentionOutputBias, qwen3.qkNorm], [true, true, true]);
  assert.equal(parseModelConfig({ ...rawConfig('gpt2-tiny'), n_inner: 100 }).intermediateSize, 100);
  assert.equal(parseModelConfig({ ...rawConfig('gpt2-tiny'), activation_function: 'gelu' }).activation, 'gelu');
});

test('eos ids may be one id or a list; generation_config.json takes precedence', () => {
  const qwen = rawConfig('qwen2-tiny');
  assert.deepEqual(parseModelConfig({ ...qwen, eos_token_id: 7 }).eosTokenIds, [7]);
  assert.deepEqual(parseModelConfig({ ...qwen, eos_token_id: [7, 9] }).eosTokenIds, [7, 9]);
  const generation = parseGenerationConfig({ bos_token_id: 3, eos_token_id: [11, 12], pad_token_id: 0 });
  const config = parseModelConfig({ ...qwen, eos_token_id: 7, bos_token_id: 1 }, 'config.json', generation);
  assert.deepEqual([config.bosTokenId, config.eosTokenIds, config.padTokenId], [3, [11, 12], 0]);
  // A generation config without eos ids leaves config.json's.
  assert.deepEqual(parseModelConfig({ ...qwen, eos_token_id: 7 }, 'config.json', parseGenerationConfig({})).eosTokenIds, [7]);
  assertUserError(() => parseModelConfig({ ...qwen, eos_token_id: ['x'] }), 'eos_token_id');
  assertUserError(() => parseModelConfig({ ...qwen, bos_token_id: [1, 2] }), 'single token id');
});

test('a folder without config.json is refused', () => {
  assertUserError(() => readModelConfig('/nonexistent-dir'), '/nonexistent-dir', 'config.json is missing');
});

test('modelConfigToJson writes a config.json that parses back to the same normalised config', () => {
  for (const name of Object.keys(expected) as FixtureName[]) {
    const { config } = readModelConfig(fixtureDir(name));
    const json = modelConfigToJson(config);
    const { raw: _, ...back } = parseModelConfig(json);
    assert.deepEqual(back, expected[name], name);
    // Field names transformers itself uses, so the file loads there too.
    assert.equal(json.model_type, config.arch);
    assert.ok(Array.isArray(json.architectures));
  }
  const llama = modelConfigToJson(readModelConfig(fixtureDir('llama-tiny')).config);
  assert.equal(llama.rope_theta, 5e5);
  assert.deepEqual(llama.rope_parameters, { rope_type: 'default', rope_theta: 5e5 });
  assert.equal(modelConfigToJson(readModelConfig(fixtureDir('gpt2-tiny')).config).activation_function, 'gelu_new');
});

test('modelConfigToJson refuses configs the architecture cannot express', () => {
  const qwen2 = readModelConfig(fixtureDir('qwen2-tiny')).config;
  assertUserError(() => modelConfigToJson({ ...qwen2, attentionBias: false }), 'qwen2', 'attentionBias=false');
  const gpt2 = readModelConfig(fixtureDir('gpt2-tiny')).config;
  assertUserError(() => modelConfigToJson({ ...gpt2, activation: 'silu' }), 'activation="silu"');
  assertUserError(() => modelConfigToJson({ ...gpt2, numKvHeads: 2 }), 'numKvHeads=2');
});
