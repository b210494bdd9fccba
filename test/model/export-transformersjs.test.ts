/**
 * An exported folder loads in transformers.js as it is (no files copied or renamed by hand) and
 * its greedy decoding equals transformers' reference tokens, for every fixture architecture.
 * transformers.js builds the first, empty cache from the graph's dimension names, so this also
 * checks that they are Optimum's (batch_size, past_sequence_length).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoModelForCausalLM, Tensor, env } from '@huggingface/transformers';
import * as ort from 'onnxruntime-node';
import { exportModel } from '../../src/model/export.js';
import { saveCheckpoint } from '../../src/model/checkpoint.js';
import { parseModelConfig } from '../../src/model/config.js';
import { initParameters } from '../../src/model/init.js';
import { fixtureDir, fixtureNames } from '../helpers/paths.js';
import { loadReference } from './graphs-reference.js';

env.allowRemoteModels = false;
env.useBrowserCache = false;
env.useFSCache = false;

const PROMPT = 6;

for (const name of fixtureNames) {
  test(`${name}: transformers.js loads the export unchanged and decodes greedily like transformers`, async () => {
    const out = mkdtempSync(join(tmpdir(), `introspect-tjs-${name}-`));
    try {
      // One fixture with its weights in onnx/model.onnx_data, as a model above 2 GiB would have them.
      const externalData = name === 'llama-tiny';
      const { manifest } = exportModel({ modelDir: fixtureDir(name), outDir: out, trainable: 'none', externalData });
      assert.deepEqual(manifest.graphs.decode.files, externalData ? ['onnx/model.onnx', 'onnx/model.onnx_data'] : ['onnx/model.onnx']);
      const ref = loadReference(name);
      const model = await AutoModelForCausalLM.from_pretrained(out, { local_files_only: true, dtype: 'fp32' });
      try {
        const prompt = ref.ids.map((row) => row.slice(0, PROMPT));
        const inputIds = new Tensor('int64', BigInt64Array.from(prompt.flat(), BigInt), [2, PROMPT]);
        const newTokens = ref.greedy[0]!.length - PROMPT;
        // The reference never stops at an end token: generate exactly as many.
        const output = (await model.generate({
          inputs: inputIds,
          max_new_tokens: newTokens,
          min_new_tokens: newTokens,
          do_sample: false,
        })) as Tensor;
        const rows = output.tolist() as bigint[][];
        assert.deepEqual(
          rows.map((r) => r.map(Number)),
          ref.greedy,
        );
      } finally {
        await model.dispose();
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
}

/**
 * Shapes none of the fixtures has, as a model we have never seen would bring them: a Llama whose
 * head_dim is not hidden/heads, with attention biases, 3 layers, GQA 4:2, untied, and the old
 * top-level rope_theta; a one-layer multi-query Qwen2. Random weights (std 0.6, so the greedy
 * path wanders). The reference is the exported graph itself run with onnxruntime without a cache
 * (the whole sequence at every step), so what is checked is that transformers.js drives the cache,
 * positions and masks of the export as it is; the numbers against transformers are the fixtures' test above.
 */
const UNSEEN: Record<string, Record<string, unknown>> = {
  'llama (head_dim 16 != 48/4, biases, 3 layers, old rope_theta)': {
    model_type: 'llama',
    architectures: ['LlamaForCausalLM'],
    vocab_size: 300,
    hidden_size: 48,
    intermediate_size: 96,
    num_hidden_layers: 3,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    head_dim: 16,
    max_position_embeddings: 256,
    rms_norm_eps: 1e-5,
    rope_theta: 10000,
    hidden_act: 'silu',
    tie_word_embeddings: false,
    attention_bias: true,
    bos_token_id: 1,
    eos_token_id: 2,
  },
  'qwen2 (1 layer, multi-query)': {
    model_type: 'qwen2',
    architectures: ['Qwen2ForCausalLM'],
    vocab_size: 257,
    hidden_size: 32,
    intermediate_size: 64,
    num_hidden_layers: 1,
    num_attention_heads: 2,
    num_key_value_heads: 1,
    max_position_embeddings: 128,
    rms_norm_eps: 1e-6,
    rope_theta: 1e6,
    hidden_act: 'silu',
    tie_word_embeddings: true,
    bos_token_id: 0,
    eos_token_id: 1,
  },
};

for (const [name, json] of Object.entries(UNSEEN)) {
  test(`an unseen ${name}: transformers.js decodes the export like the graph run without a cache`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'introspect-tjs-unseen-'));
    try {
      const modelDir = join(dir, 'model');
      mkdirSync(modelDir);
      const config = parseModelConfig(json, name);
      saveCheckpoint(modelDir, config, initParameters(config, 7, 0.6));
      writeFileSync(join(modelDir, 'config.json'), JSON.stringify(json)); // the config as the model brought it
      const out = join(dir, 'export');
      exportModel({ modelDir, outDir: out, trainable: 'none' });
      const prompt = [
        [5, 17, 33, 8, 100, 42],
        [9, 9, 120, 77, 3, 250],
      ];
      const steps = 12;
      // min_new_tokens below masks the end token, so the reference never picks it either.
      const eos = [json.eos_token_id].flat() as number[];
      const session = await ort.InferenceSession.create(join(out, 'onnx', 'model.onnx'));
      const reference = prompt.map((row) => [...row]);
      for (let s = 0; s < steps; s++) {
        const T = reference[0]!.length;
        const positions = [...Array(T).keys(), ...Array(T).keys()];
        const feeds: Record<string, ort.Tensor> = {
          input_ids: new ort.Tensor('int64', BigInt64Array.from(reference.flat(), BigInt), [2, T]),
          attention_mask: new ort.Tensor('int64', new BigInt64Array(2 * T).fill(1n), [2, T]),
          position_ids: new ort.Tensor('int64', BigInt64Array.from(positions, BigInt), [2, T]),
        };
        for (const input of session.inputNames.filter((n) => n.startsWith('past_key_values'))) {
          feeds[input] = new ort.Tensor('float32', new Float32Array(0), [2, config.numKvHeads, 0, config.headDim]); // [B, kv, 0, hd]
        }
        const { logits } = await session.run(feeds);
        const data = logits!.data as Float32Array;
        const V = logits!.dims[2]!;
        for (let b = 0; b < 2; b++) {
          const row = data.subarray((b * T + T - 1) * V, (b * T + T) * V);
          let best = -1;
          for (let v = 0; v < V; v++) if (!eos.includes(v) && (best < 0 || row[v]! > row[best]!)) best = v;
          reference[b]!.push(best);
        }
      }
      const model = await AutoModelForCausalLM.from_pretrained(out, { local_files_only: true, dtype: 'fp32' });
      try {
        const inputs = new Tensor('int64', BigInt64Array.from(prompt.flat(), BigInt), [2, prompt[0]!.length]);
        const output = (await model.generate({ inputs, max_new_tokens: steps, min_new_tokens: steps, do_sample: false })) as Tensor;
        assert.deepEqual(
          (output.tolist() as bigint[][]).map((r) => r.map(Number)),
          reference,
        );
        assert.ok(new Set(reference[0]!.slice(6)).size > 2, 'the greedy path is not one repeated token');
      } finally {
        await model.dispose();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
