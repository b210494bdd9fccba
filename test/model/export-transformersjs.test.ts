/**
 * An exported folder loads in transformers.js as it is (no files copied or renamed by hand) and
 * its greedy decoding equals transformers' reference tokens, for every fixture architecture.
 * transformers.js builds the first, empty cache from the graph's dimension names, so this also
 * checks that they are Optimum's (batch_size, past_sequence_length).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoModelForCausalLM, Tensor, env } from '@huggingface/transformers';
import { exportModel } from '../../src/model/export.js';
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
        assert.deepEqual(rows.map((r) => r.map(Number)), ref.greedy);
      } finally {
        await model.dispose();
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
}
