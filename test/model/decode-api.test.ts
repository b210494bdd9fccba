/**
 * The `generate` command's library entry on the greedy path: a model folder and token ids in,
 * transformers' greedy continuation and its log-probs out, through the on-disk graph cache.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from '../../src/api/generate.js';
import { entropyOf } from '../../src/util/softmax.js';
import { fixtureDir } from '../helpers/paths.js';
import { loadReference } from './graphs-reference.js';

const cacheDir = mkdtempSync(join(tmpdir(), 'introspect-cache-'));
process.env.INTROSPECT_CACHE_DIR = cacheDir;
after(() => rmSync(cacheDir, { recursive: true, force: true }));

const options = { maxNewTokens: 10, temperature: 0, seed: 0, executionProvider: 'cpu' as const };

test('greedy generation from token ids matches transformers, twice (the second from the graph cache)', async () => {
  const ref = loadReference('gpt2-tiny');
  for (let run = 0; run < 2; run++) {
    const result = await generate({ ...options, modelDir: fixtureDir('gpt2-tiny'), inputIds: ref.ids[1]!.slice(0, 6) });
    assert.deepEqual(
      result.tokens.map((t) => t.id),
      ref.greedy[1]!.slice(6),
    );
    assert.ok(result.tokens.every((t) => t.temperature === 0 && t.logprob < 0));
    assert.equal(result.text, ref.greedy[1]!.slice(6).join(' '), 'without a tokenizer the text is the ids');
  }
  assert.equal(readdirSync(join(cacheDir, 'graphs')).length, 1, 'one cached decode graph');
  assert.ok(existsSync(join(cacheDir, 'graphs', readdirSync(join(cacheDir, 'graphs'))[0]!, 'model.onnx')));
});

test("sampled generation under a policy records each token's temperature; the same seed repeats it", async () => {
  const model = { ...options, modelDir: fixtureDir('gpt2-tiny'), inputIds: [1, 2, 3] };
  const a = await generate({ ...model, temperature: 0.7, seed: 4 });
  const b = await generate({ ...model, temperature: 0.7, seed: 4 });
  assert.equal(a.tokens.length, 10);
  assert.ok(a.tokens.every((t) => t.temperature === Math.fround(0.7)));
  assert.deepEqual(
    a.tokens.map((t) => t.id),
    b.tokens.map((t) => t.id),
  );
  // edt: T = T0 * N^(theta / H) with the defaults T0 = 1, N = 0.8, theta = 1, from each token's own entropy
  const edt = await generate({ ...model, policy: 'edt', seed: 4 });
  for (const t of edt.tokens) assert.ok(Math.abs(t.temperature - 0.8 ** (1 / t.entropy)) < 1e-5);
  assert.ok(entropyOf(new Float32Array([0, 0])) > 0.69);
});

test('bad requests are refused with one-line errors', async () => {
  await assert.rejects(generate({ ...options, modelDir: fixtureDir('gpt2-tiny'), prompt: 'hi' }), /no tokenizer\.json/);
  await assert.rejects(
    generate({ ...options, modelDir: fixtureDir('gpt2-tiny'), inputIds: [1], policy: 'learned' }),
    /needs the trained head/,
  );
  await assert.rejects(generate({ ...options, modelDir: fixtureDir('gpt2-tiny'), inputIds: [1], policy: 'fixed:-1' }), /fixed/);
});
