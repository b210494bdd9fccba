/**
 * Decoding on WebGPU against transformers and against the CPU provider, on the four Hugging Face
 * fixtures: the cache kept on the device across prefill, steps and dropped rows, and weights fed
 * as inputs uploaded once and never crossing the bus again while decoding.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DecodeSession } from '../../src/model/decode-session.js';
import { onDevice } from '../../src/onnx/index.js';
import { createPolicy } from '../../src/policy/index.js';
import { generateRollouts } from '../../src/rollout/engine.js';
import { fixtureNames } from '../helpers/paths.js';
import { webgpuSkipReason } from '../helpers/webgpu.js';
import { loadReference, maxAbsDiff } from '../model/graphs-reference.js';

const skip = await webgpuSkipReason();
const T = 16;

/** Greedy continuations through the rollout engine, one batch of all prompts (finished rows leave the batch). */
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
  return { tokens: rollouts.map((r) => r.tokens), logprobs: rollouts.map((r) => Array.from(r.logprobs)) };
}

for (const name of fixtureNames) {
  describe(`${name} on webgpu`, { skip }, () => {
    const ref = loadReference(name);
    const { vocabSize: V, hiddenSize: H } = ref.checkpoint.config;

    test('prefill then steps reproduce the full forward pass (1e-4) with the cache on the device; greedy tokens equal transformers', async () => {
      const session = await DecodeSession.load(ref.checkpoint, { executionProvider: 'webgpu' });
      try {
        assert.ok(session.device, 'webgpu keeps the cache on the device');
        let worst = 0;
        const check = (out: { logits: Float32Array[]; hidden: Float32Array[] }, t: number): void => {
          for (let b = 0; b < 2; b++) {
            const at = b * T + t;
            worst = Math.max(worst, maxAbsDiff(out.logits[b]!, ref.logits.subarray(at * V, (at + 1) * V)));
            assert.ok(maxAbsDiff(out.hidden[b]!, ref.lastHidden.subarray(at * H, (at + 1) * H)) < 1e-4, `hidden at ${b},${t}`);
          }
        };
        check(await session.prefill(ref.ids.map((row) => row.slice(0, 9))), 8);
        for (let t = 9; t < T; t++) check(await session.step(ref.ids.map((row) => row[t]!)), t);
        assert.ok(worst < 1e-4, `logits differ from transformers by ${worst}`);
        const greedy = await generateTokens({
          model: session,
          inputIds: ref.ids.map((row) => row.slice(0, 6)),
          maxNewTokens: 10,
          eosTokenIds: [],
        });
        assert.deepEqual(
          greedy.tokens,
          ref.greedy.map((row) => row.slice(6)),
        );
      } finally {
        await session.release();
      }
    });

    test('a left-padded batch whose rows stop at different tokens decodes as on CPU (rows dropped on the device)', async () => {
      const prompts = [ref.ids[0]!.slice(0, 3), ref.ids[1]!.slice(0, 11), ref.ids[0]!.slice(4, 11)];
      const [cpuSession, gpuSession] = await Promise.all([
        DecodeSession.load(ref.checkpoint),
        DecodeSession.load(ref.checkpoint, { executionProvider: 'webgpu' }),
      ]);
      const cpu = await generateTokens({ model: cpuSession, inputIds: prompts, maxNewTokens: 8, eosTokenIds: [] });
      // Stop rows at tokens they produce mid-way, so rows leave the batch at different steps.
      const eos = [cpu.tokens[1]![2]!, cpu.tokens[0]![5]!];
      const cpuStopped = await generateTokens({ model: cpuSession, inputIds: prompts, maxNewTokens: 8, eosTokenIds: eos });
      const gpu = await generateTokens({ model: gpuSession, inputIds: prompts, maxNewTokens: 8, eosTokenIds: eos });
      await Promise.all([cpuSession.release(), gpuSession.release()]);
      assert.deepEqual(gpu.tokens, cpuStopped.tokens);
      assert.ok(
        gpu.tokens.some((t) => t.length < 8),
        'a row stopped early',
      );
      gpu.logprobs.flat().forEach((lp, i) => assert.ok(Math.abs(lp - cpuStopped.logprobs.flat()[i]!) < 1e-4, `logprob ${i}`));
    });

    test('weights fed as inputs are uploaded once: during decode no weight crosses to or from the host', async () => {
      const session = await DecodeSession.load(ref.checkpoint, { executionProvider: 'webgpu', paramInputs: 'all' });
      try {
        session.setWeights(ref.checkpoint.params);
        const counters = session.device!.counters;
        const before = { ...counters };
        await session.prefill([ref.ids[0]!.slice(0, 5)]);
        const afterUpload = { ...counters };
        assert.equal(afterUpload.uploads - before.uploads, session.weightInputs.length, 'each weight uploaded once, at the first run');
        assert.equal(afterUpload.downloads, before.downloads);
        for (const [n, t] of session.weightTensors) assert.ok(onDevice(t), `${n} is fed from the device`);
        let out;
        for (let t = 5; t < 9; t++) out = await session.step([ref.ids[0]![t]!]);
        const { returnedBytes, ...transfers } = counters;
        const { returnedBytes: returnedBefore, ...transfersBefore } = afterUpload;
        assert.deepEqual(transfers, transfersBefore, 'no transfers while decoding');
        // What the 4 steps return is each one's last logits, hidden state and entropy: 4 B (V + H + 1) bytes at B = 1.
        assert.equal(returnedBytes - returnedBefore, 4 * 4 * (V + H + 1));
        const at = 8;
        assert.ok(
          maxAbsDiff(out!.logits[0]!, ref.logits.subarray(at * V, (at + 1) * V)) < 1e-4,
          "fed weights give the stored weights' logits",
        );
      } finally {
        await session.release();
      }
    });
  });
}
