/**
 * DecodeSession under the rollout engine: the key/value cache against transformers' full forward
 * pass and greedy continuations, left-padded batches against one prompt at a time, dropping
 * finished rows, and parameters fed as inputs.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DecodeSession } from '../../src/model/decode-session.js';
import type { FloatTensor } from '../../src/model/safetensors.js';
import { createPolicy } from '../../src/policy/index.js';
import { generateRollouts } from '../../src/rollout/engine.js';
import { fixtureNames } from '../helpers/paths.js';
import { loadReference, maxAbsDiff } from './graphs-reference.js';

const T = 16;

/** Greedy continuations through the rollout engine (the one decode loop), one batch of all prompts. */
async function generateTokens(o: { model: DecodeSession; inputIds: number[][]; maxNewTokens: number; eosTokenIds: number[] }) {
  const rollouts = await generateRollouts(o.model, {
    prompts: o.inputIds,
    groupSize: 1,
    policy: createPolicy('greedy'),
    maxNewTokens: o.maxNewTokens,
    eosTokenIds: o.eosTokenIds,
    decodeText: () => '',
    seed: 0,
    batchSize: o.inputIds.length,
  });
  return {
    tokens: rollouts.map((r) => r.tokens),
    logprobs: rollouts.map((r) => Array.from(r.logprobs)),
    stoppedByEos: rollouts.map((r) => r.finishReason === 'eos'),
  };
}

for (const name of fixtureNames) {
  describe(name, () => {
    const ref = loadReference(name);
    const V = ref.checkpoint.config.vocabSize;
    const H = ref.checkpoint.config.hiddenSize;
    const sessionP = DecodeSession.load(ref.checkpoint);

    test('prefill then one step at a time reproduces the full forward pass (logits and hidden within 1e-4)', async () => {
      // a cache that grows at every step, so every run also reads unused (masked) capacity
      const session = await DecodeSession.load(ref.checkpoint, { capacityChunk: 2 });
      const check = (out: { logits: Float32Array[]; hidden: Float32Array[] }, t: number): void => {
        for (let b = 0; b < 2; b++) {
          const at = b * T + t;
          assert.ok(maxAbsDiff(out.logits[b]!, ref.logits.subarray(at * V, (at + 1) * V)) < 1e-4, `logits at ${b},${t}`);
          assert.ok(maxAbsDiff(out.hidden[b]!, ref.lastHidden.subarray(at * H, (at + 1) * H)) < 1e-4, `hidden at ${b},${t}`);
        }
      };
      check(await session.prefill(ref.ids.map((row) => row.slice(0, 9))), 8);
      for (let t = 9; t < T; t++) check(await session.step(ref.ids.map((row) => row[t]!)), t);
      assert.equal(session.length, T);
    });

    test('greedy continuation equals transformers token for token', async () => {
      const result = await generateTokens({
        model: await sessionP,
        inputIds: ref.ids.map((row) => row.slice(0, 6)),
        maxNewTokens: 10,
        eosTokenIds: [],
      });
      assert.deepEqual(
        result.tokens,
        ref.greedy.map((row) => row.slice(6)),
      );
      assert.deepEqual(result.stoppedByEos, [false, false]);
      for (const lps of result.logprobs) {
        assert.equal(lps.length, 10);
        assert.ok(lps.every((lp) => lp < 0 && Number.isFinite(lp)));
      }
    });

    test('a left-padded batch of different lengths decodes each prompt as it decodes alone', async () => {
      const session = await sessionP;
      const prompts = [ref.ids[0]!.slice(0, 3), ref.ids[1]!.slice(0, 11), ref.ids[0]!.slice(4, 11), ref.ids[1]!.slice(7, 8)];
      const alone: number[][] = [];
      for (const p of prompts)
        alone.push((await generateTokens({ model: session, inputIds: [p], maxNewTokens: 8, eosTokenIds: [] })).tokens[0]!);
      const batched = await generateTokens({ model: session, inputIds: prompts, maxNewTokens: 8, eosTokenIds: [] });
      assert.deepEqual(batched.tokens, alone);
    });
  });
}

describe('DecodeSession', () => {
  const ref = loadReference('qwen2-tiny');
  const V = ref.checkpoint.config.vocabSize;

  test('padding rows stay finite and rows finished by eos leave the batch without changing the others', async () => {
    const session = await DecodeSession.load(ref.checkpoint, { capacityChunk: 1 });
    const prompts = [ref.ids[0]!.slice(0, 2), ref.ids[1]!.slice(0, 12), ref.ids[0]!.slice(3, 9)];
    const first = await session.prefill(prompts);
    for (const row of first.logits) assert.ok(row.every(Number.isFinite));
    const free = await generateTokens({ model: session, inputIds: prompts, maxNewTokens: 10, eosTokenIds: [] });
    // Stop row 1 at its 3rd token and row 0 at its 6th: a token they produce there first.
    const eos = [free.tokens[1]![2]!, free.tokens[0]![5]!].filter((tok, i, all) => all.indexOf(tok) === i);
    const cut = (tokens: number[]): number[] => {
      const stop = tokens.findIndex((tok) => eos.includes(tok));
      return stop < 0 ? tokens : tokens.slice(0, stop + 1);
    };
    const stopped = await generateTokens({ model: session, inputIds: prompts, maxNewTokens: 10, eosTokenIds: eos });
    assert.deepEqual(stopped.tokens, free.tokens.map(cut));
    assert.deepEqual(
      stopped.stoppedByEos,
      free.tokens.map((t) => t.some((tok) => eos.includes(tok))),
    );
    assert.ok(
      stopped.tokens.some((t) => t.length < 10),
      'at least one row stopped early',
    );
  });

  test('keepRows keeps the chosen rows (reordered) and trims padding no row needs', async () => {
    const session = await DecodeSession.load(ref.checkpoint);
    const prompts = [ref.ids[0]!.slice(0, 2), ref.ids[1]!.slice(0, 12), ref.ids[0]!.slice(3, 9)];
    await session.prefill(prompts);
    const next = [5, 6, 7];
    const full = await session.step(next);
    const want = [full.logits[2]!.slice(), full.logits[0]!.slice()];
    const step2 = [11, 12, 13];
    const fullNext = await session.step(step2);
    const wantNext = [fullNext.logits[2]!.slice(), fullNext.logits[0]!.slice()];

    await session.prefill(prompts);
    const again = await session.step(next);
    assert.ok(maxAbsDiff(again.logits[2]!, want[0]!) < 1e-6);
    session.keepRows([2, 0]);
    assert.equal(session.batchSize, 2);
    // the longest prompt left: the remaining rows share (12 - 6) leading padding slots, now dropped
    assert.equal(session.length, 13 - 6);
    const after = await session.step([step2[2]!, step2[0]!]);
    assert.ok(maxAbsDiff(after.logits[0]!, wantNext[0]!) < 1e-4);
    assert.ok(maxAbsDiff(after.logits[1]!, wantNext[1]!) < 1e-4);
    assert.throws(() => session.keepRows([]), /at least one row/);
    assert.throws(() => session.keepRows([2]), /row indices/);
    assert.equal(V, after.logits[0]!.length);
  });

  test('parameters fed as inputs: same logits as stored weights, and setWeights swaps them', async () => {
    const stored = await DecodeSession.load(ref.checkpoint);
    const fed = await DecodeSession.load(ref.checkpoint, { paramInputs: [/^model\.norm\./, /layers\.1\.mlp/] });
    assert.deepEqual(fed.weightInputs.sort(), [
      'model.layers.1.mlp.down_proj.weight',
      'model.layers.1.mlp.gate_proj.weight',
      'model.layers.1.mlp.up_proj.weight',
      'model.norm.weight',
    ]);
    const prompts = [ref.ids[0]!.slice(0, 5)];
    await assert.rejects(fed.prefill(prompts), /setWeights/);
    fed.setWeights(new Map(fed.weightInputs.map((n) => [n, ref.checkpoint.params.get(n)!])));
    const a = await stored.prefill(prompts);
    const b = await fed.prefill(prompts);
    assert.ok(maxAbsDiff(a.logits[0]!, b.logits[0]!) < 1e-6);

    // Doubling the final norm's weight doubles the logits (the lm_head is linear in the normed state).
    const norm = ref.checkpoint.params.get('model.norm.weight')!;
    fed.setWeights({ 'model.norm.weight': { data: norm.data.map((x) => 2 * x), dims: norm.dims } satisfies FloatTensor });
    const doubled = await fed.prefill(prompts);
    assert.ok(
      maxAbsDiff(
        doubled.logits[0]!,
        a.logits[0]!.map((x) => 2 * x),
      ) < 1e-4,
    );
    assert.throws(
      () => fed.setWeights({ 'model.embed_tokens.weight': ref.checkpoint.params.get('model.embed_tokens.weight')! }),
      /no parameter input/,
    );
    assert.throws(() => fed.setWeights({ 'model.norm.weight': { data: new Float32Array(3), dims: [3] } }), /shape/);
  });
});
