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
import { CapabilityMissingError } from '../../src/util/errors.js';
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
    assert.deepEqual(result.tokens.map((t) => t.id), ref.greedy[1]!.slice(6));
    assert.ok(result.tokens.every((t) => t.temperature === 0 && t.logprob < 0));
    assert.equal(result.text, ref.greedy[1]!.slice(6).join(' '), 'without a tokenizer the text is the ids');
  }
  assert.equal(readdirSync(join(cacheDir, 'graphs')).length, 1, 'one cached decode graph');
  assert.ok(existsSync(join(cacheDir, 'graphs', readdirSync(join(cacheDir, 'graphs'))[0]!, 'model.onnx')));
});

test('sampling and prompts without a tokenizer are refused with one-line errors', async () => {
  await assert.rejects(generate({ ...options, temperature: 0.7, modelDir: fixtureDir('gpt2-tiny'), inputIds: [1, 2] }), CapabilityMissingError);
  await assert.rejects(generate({ ...options, modelDir: fixtureDir('gpt2-tiny'), prompt: 'hi' }), /no tokenizer\.json/);
});
