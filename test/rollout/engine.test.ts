/**
 * The rollout engine on real decode sessions: greedy decoding against transformers' own greedy
 * continuation, and the reproducibility contract (same seed, same tokens whatever the batch size,
 * with prompts of different lengths left-padded together).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DecodeSession } from '../../src/model/decode-session.js';
import { createPolicy } from '../../src/policy/index.js';
import { generateRollouts, type RolloutRequest } from '../../src/rollout/engine.js';
import { openPolicyModel, type PolicyModel } from '../../src/rollout/runtime.js';
import { openTemperatureHead } from '../../src/policy/head/index.js';
import type { Rollout } from '../../src/rollout/types.js';
import { jobSchema } from '../../src/config/index.js';
import { generateArithProblems, getTask } from '../../src/tasks/index.js';
import { fixtureDir } from '../helpers/paths.js';
import { loadReference } from '../model/graphs-reference.js';
import { writeTinyCharModel } from '../eval/tiny-char-model.js';

const cacheDir = mkdtempSync(join(tmpdir(), 'introspect-cache-'));
process.env.INTROSPECT_CACHE_DIR = cacheDir;
let modelDir: string;
let model: PolicyModel;
let prompts: number[][];

before(async () => {
  modelDir = writeTinyCharModel();
  model = await openPolicyModel({ modelDir, threads: 1 });
  const task = getTask('synthetic-arith');
  // Questions of different lengths, so batches are left-padded.
  prompts = generateArithProblems('test', { count: 5, seed: 3 }).map((p) => model.encodePrompt(p.question, { plainPrompt: task.prompt }));
});
after(async () => {
  await model.dispose();
  rmSync(cacheDir, { recursive: true, force: true });
  rmSync(modelDir, { recursive: true, force: true });
});

function request(overrides: Partial<RolloutRequest>): RolloutRequest {
  return {
    prompts,
    groupSize: 3,
    policy: createPolicy('fixed:1'),
    maxNewTokens: 12,
    eosTokenIds: model.eosTokenIds,
    decodeText: (ids) => model.decodeText(ids),
    seed: 7,
    batchSize: 4,
    ...overrides,
  };
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** Same tokens and temperatures, and per-token numbers within float32 noise of batching. */
function assertSameRollouts(a: Rollout[], b: Rollout[], what: string): void {
  assert.equal(a.length, b.length);
  a.forEach((x, i) => {
    const y = b[i]!;
    assert.deepEqual([x.promptIndex, x.sampleIndex], [y.promptIndex, y.sampleIndex]);
    assert.deepEqual(x.tokens, y.tokens, `${what}: tokens of sequence ${i}`);
    assert.deepEqual(Array.from(x.temperatures), Array.from(y.temperatures), `${what}: temperatures of sequence ${i}`);
    assert.equal(x.finishReason, y.finishReason);
    assert.ok(maxDiff(x.logprobs, y.logprobs) < 1e-4, `${what}: logprobs of sequence ${i}`);
    assert.ok(maxDiff(x.entropies, y.entropies) < 1e-4, `${what}: entropies of sequence ${i}`);
    if (x.actions) assert.deepEqual(Array.from(x.actions), Array.from(y.actions!));
  });
}

test("greedy rollouts of the qwen2 fixture equal transformers' greedy continuation", async () => {
  const ref = loadReference('qwen2-tiny');
  const session = await DecodeSession.load(fixtureDir('qwen2-tiny'));
  try {
    const rollouts = await generateRollouts(session, {
      prompts: ref.greedy.map((row) => row.slice(0, 6)),
      groupSize: 1,
      policy: createPolicy('greedy'),
      maxNewTokens: 10,
      eosTokenIds: [],
      decodeText: (ids) => ids.join(' '),
      seed: 0,
      batchSize: 2,
    });
    rollouts.forEach((r, i) => {
      assert.deepEqual(r.tokens, ref.greedy[i]!.slice(6), `prompt ${i}`);
      assert.ok(r.temperatures.every((t) => t === 0));
      assert.equal(r.finishReason, 'length');
    });
  } finally {
    await session.release();
  }
});

test('same seed, same rollouts whatever the batch size (mixed prompt lengths)', async () => {
  const single = await generateRollouts(model.decoder, request({ batchSize: 1 }));
  for (const batchSize of [4, 15])
    assertSameRollouts(await generateRollouts(model.decoder, request({ batchSize })), single, `batch ${batchSize}`);
  // The test is not vacuous: the samples of one prompt differ, and another seed gives other tokens.
  assert.notDeepEqual(single[0]!.tokens, single[1]!.tokens);
  const other = await generateRollouts(model.decoder, request({ seed: 8 }));
  assert.ok(other.some((r, i) => r.tokens.join() !== single[i]!.tokens.join()));
});

test('a batched prompt decodes exactly as it does alone, for the learned head too', async () => {
  const job = jobSchema.parse({});
  const head = openTemperatureHead(job, model.config.hiddenSize);
  try {
    const policy = createPolicy('learned', { head: { kind: head.config.kind, grid: head.config.grid } });
    const batched = await generateRollouts(model.decoder, request({ policy, head, batchSize: 15 }));
    // Each prompt alone in its own request (no padding at all).
    const alone: Rollout[] = [];
    for (let p = 0; p < prompts.length; p++) {
      const rs = await generateRollouts(model.decoder, request({ policy, head, prompts: [prompts[p]!], promptIds: [p], batchSize: 1 }));
      alone.push(...rs.map((r) => ({ ...r, promptIndex: p, promptIds: prompts[p]! })));
    }
    assertSameRollouts(batched, alone, 'learned head');
    assert.ok(batched.every((r) => r.actions!.length === r.tokens.length && r.actionLogprobs!.every((l) => l <= 0)));
    assert.ok(new Set(batched.flatMap((r) => Array.from(r.temperatures))).size > 1, 'the head picks different temperatures');
  } finally {
    await head.dispose();
  }
});

test('greedy rollouts equal an argmax loop without the KV cache, and an EOS token stops its row', async () => {
  // The reference: argmax over a fresh prefill of the whole context per step (no cache, no sampler).
  const session = await DecodeSession.load(modelDir);
  const argmaxContinuation = async (prompt: readonly number[], steps: number): Promise<number[]> => {
    const context = [...prompt];
    for (let step = 0; step < steps; step++) {
      const logits = (await session.prefill([context])).logits[0]!;
      let best = 0;
      for (let v = 1; v < logits.length; v++) if (logits[v]! > logits[best]!) best = v;
      context.push(best);
    }
    return context.slice(prompt.length);
  };
  try {
    const expected = await Promise.all(prompts.map((p) => argmaxContinuation(p, 12)));
    // A token that row 0 produces mid-way plays EOS, so some rows stop early and leave the batch.
    const stop = expected[0]![3]!;
    const rollouts = await generateRollouts(model.decoder, request({ policy: createPolicy('greedy'), groupSize: 1, eosTokenIds: [stop] }));
    rollouts.forEach((r, i) => {
      const at = expected[i]!.indexOf(stop);
      assert.deepEqual(r.tokens, at < 0 ? expected[i] : expected[i]!.slice(0, at + 1), `prompt ${i}`);
      assert.equal(r.finishReason, at < 0 ? 'length' : 'eos');
    });
    assert.ok(rollouts[0]!.tokens.length <= 4);
  } finally {
    await session.release();
  }
});

test('shared prefills give the same tokens as one prefill per sample, with rows finishing early', async () => {
  // A token the samples produce often plays EOS, so rows finish at different steps (the batch
  // keeps finished rows until they are a quarter of it, then drops them).
  const separate = await generateRollouts(model.decoder, request({ batchSize: 15, sharedPrefill: false, maxNewTokens: 16 }));
  const counts = new Map<number, number>();
  for (const r of separate) for (const t of r.tokens.slice(1)) counts.set(t, (counts.get(t) ?? 0) + 1);
  const stop = [...counts].sort((a, b) => b[1] - a[1])[0]![0];
  const opts = { batchSize: 15, eosTokenIds: [stop], maxNewTokens: 16 };
  const withoutSharing = await generateRollouts(model.decoder, request({ ...opts, sharedPrefill: false }));
  const shared = await generateRollouts(model.decoder, request(opts));
  assertSameRollouts(shared, withoutSharing, 'shared prefill');
  const lengths = new Set(shared.map((r) => r.tokens.length));
  assert.ok(
    lengths.size > 2 && shared.some((r) => r.finishReason === 'eos') && shared.some((r) => r.finishReason === 'length'),
    `rows end at different steps: ${[...lengths]}`,
  );
  // One sequence alone (no batch at all) samples the same tokens too.
  const alone = await generateRollouts(model.decoder, request({ ...opts, prompts: [prompts[2]!], promptIds: [2], batchSize: 1 }));
  alone.forEach((r, i) => assert.deepEqual(r.tokens, shared[2 * 3 + i]!.tokens));
});

test("entropies computed in the decode graph give the same draws as the JavaScript sampler's own", async () => {
  const inGraph = await DecodeSession.load(modelDir, { entropyOutput: true, intraOpNumThreads: 1 });
  const inJs = await DecodeSession.load(modelDir, { entropyOutput: false, intraOpNumThreads: 1 });
  try {
    assert.ok((await inGraph.prefill([prompts[0]!])).entropy, 'the graph outputs entropies');
    assert.equal((await inJs.prefill([prompts[0]!])).entropy, undefined);
    // EDT picks each temperature from the entropy, so the draws depend on it.
    const opts = { policy: createPolicy('edt'), batchSize: 15, maxNewTokens: 16 };
    const a = await generateRollouts(inGraph, request(opts));
    const b = await generateRollouts(inJs, request(opts));
    assert.ok(a.every((r, i) => maxDiff(r.temperatures, b[i]!.temperatures) < 1e-5));
    a.forEach((r, i) => assert.deepEqual(r.tokens, b[i]!.tokens, `sequence ${i}`));
    assert.ok(a.every((r, i) => maxDiff(r.entropies, b[i]!.entropies) < 1e-5));
    assert.ok(new Set(a.flatMap((r) => Array.from(r.temperatures))).size > 10, 'temperatures vary with the entropy');
  } finally {
    await inGraph.release();
    await inJs.release();
  }
});
