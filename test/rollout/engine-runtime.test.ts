/**
 * openPolicyModel and openTemperatureHead: how the trainer and eval open a model for the engine.
 * Prompts are checked against hand-written expected text; swapped-in weights against the model's
 * linearity in its output projection.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jobSchema } from '../../src/config/index.js';
import { openPolicyModel } from '../../src/rollout/runtime.js';
import { openTemperatureHead } from '../../src/policy/head/index.js';
import { getTask } from '../../src/tasks/index.js';
import { UserError } from '../../src/util/errors.js';
import { fixtureDir } from '../helpers/paths.js';
import { BOS_ID, EOS_ID, writeTinyCharModel } from '../eval/tiny-char-model.js';

const cacheDir = mkdtempSync(join(tmpdir(), 'introspect-cache-'));
process.env.INTROSPECT_CACHE_DIR = cacheDir;
const made: string[] = [];
after(() => {
  for (const dir of [cacheDir, ...made]) rmSync(dir, { recursive: true, force: true });
});
const tinyModel = (options: Parameters<typeof writeTinyCharModel>[0] = {}): string => {
  const dir = writeTinyCharModel(options);
  made.push(dir);
  return dir;
};

test("plain prompts: <bos>, then the task's template, character by character; EOS from the model", async () => {
  const model = await openPolicyModel({ modelDir: tinyModel() });
  try {
    const question = 'Sam has 3 apples. How many apples does Sam have?';
    const ids = model.encodePrompt(question, {
      plainPrompt: getTask('synthetic-arith').prompt,
      systemPrompt: 'ignored without a chat template',
    });
    assert.equal(ids[0], BOS_ID);
    assert.equal(ids.length, 1 + question.length + 1);
    assert.equal(model.decodeText(ids), `${question}\n`, 'the <bos> is a special token, left out of the text');
    assert.equal(model.tokenizer.decode(ids), `<bos>${question}\n`);
    assert.deepEqual(model.eosTokenIds, [EOS_ID]);
    assert.deepEqual(model.tokenTexts([EOS_ID, EOS_ID]), ['<eos>', '<eos>']);
    assert.equal(model.usesChatTemplate, false);
  } finally {
    await model.dispose();
  }
});

test("chat prompts: the tokenizer's template with the job's system prompt and instruction", async () => {
  const template = '{% for m in messages %}<{{ m.role }}>{{ m.content }}\n{% endfor %}{% if add_generation_prompt %}<assistant>{% endif %}';
  const model = await openPolicyModel({ modelDir: tinyModel({ chatTemplate: template }) });
  try {
    const options = { plainPrompt: (q: string) => `unused ${q}` };
    const withSystem = model.encodePrompt('What is 2+3?', { ...options, systemPrompt: 'Be brief.', instruction: 'Answer with a number.' });
    assert.equal(model.decodeText(withSystem), '<system>Be brief.\n<user>What is 2+3?\nAnswer with a number.\n<assistant>');
    assert.notEqual(withSystem[0], BOS_ID, 'the template decides the special tokens');
    const defaults = model.encodePrompt('What is 2+3?', options);
    assert.equal(
      model.decodeText(defaults),
      '<user>What is 2+3?\nPlease reason step by step, and put your final answer within \\boxed{}.\n<assistant>',
    );
  } finally {
    await model.dispose();
  }
});

for (const weightUpdates of ['bake', 'inputs'] as const)
  test(`setWeights changes the next rollout's logits (weightUpdates: ${weightUpdates})`, async () => {
    const dir = tinyModel();
    const frozen = await openPolicyModel({ modelDir: dir });
    const live = await openPolicyModel({ modelDir: dir, trainableParams: ['lm_head.weight'], weightUpdates });
    try {
      const prompt = [[BOS_ID, 20, 21, 22]];
      const base = Float32Array.from((await frozen.decoder.prefill(prompt)).logits[0]!);
      // Baked-in and fed weights run through differently optimised graphs: equal up to float rounding.
      const close = (x: ArrayLike<number>, y: ArrayLike<number>, scale = 1): boolean =>
        Array.from(y).every((v, i) => Math.abs(x[i]! - scale * v) < 1e-4);
      assert.ok(close((await live.decoder.prefill(prompt)).logits[0]!, base), 'starts from the checkpoint');
      const original = live.trainableWeights.get('lm_head.weight')!;
      // Logits are linear in the output projection: doubling it doubles them.
      await live.setWeights(new Map([['lm_head.weight', { data: original.data.map((x) => 2 * x), dims: original.dims }]]));
      const doubled = (await live.decoder.prefill(prompt)).logits[0]!;
      assert.ok(close(doubled, base, 2));
      assert.ok(!close(doubled, base), 'the new weights are used');
      await live.setWeights({ 'lm_head.weight': original });
      await assert.rejects(live.setWeights({ 'model.norm.weight': original }), /not trainable/);
      const restored = (await live.decoder.prefill(prompt)).logits[0]!;
      assert.ok(close(restored, base));
    } finally {
      await Promise.all([frozen.dispose(), live.dispose()]);
    }
  });

test('bad folders and parameter names are one-line user errors', async () => {
  await assert.rejects(
    openPolicyModel({ modelDir: fixtureDir('qwen2-tiny') }),
    (e: Error) => e instanceof UserError && /no tokenizer\.json/.test(e.message),
  );
  await assert.rejects(
    openPolicyModel({ modelDir: tinyModel(), trainableParams: ['lm_head.weights'] }),
    /trainable parameters not in .*lm_head\.weights/,
  );
});

test('openTemperatureHead: a fresh head seeded by run.seed, or the saved one at head.path', async () => {
  const job = (seed: number, path?: string) => jobSchema.parse({ run: { seed }, head: { hiddenSize: 16, ...(path ? { path } : {}) } });
  const a = openTemperatureHead(job(3), 64);
  const b = openTemperatureHead(job(3), 64);
  const c = openTemperatureHead(job(4), 64);
  const w = (h: typeof a) => Array.from(h.params.get('fc1.weight')!);
  assert.deepEqual(w(a), w(b));
  assert.notDeepEqual(w(a), w(c));
  assert.equal(a.config.inputSize, 64);
  assert.equal(a.config.hiddenSize, 16);
  const dir = mkdtempSync(join(tmpdir(), 'introspect-head-'));
  made.push(dir);
  c.save(dir);
  const loaded = openTemperatureHead(job(3, dir), 64);
  assert.deepEqual(w(loaded), w(c), 'the saved head, not a fresh one');
  assert.throws(() => openTemperatureHead(job(3, dir), 32), /width of 64.*model's are 32|reads hidden states of width 64/);
});
