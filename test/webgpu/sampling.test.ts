/**
 * In-graph sampling on WebGPU: the draw made on the device from logits that never leave it picks
 * the host sampler's token for the same uniform (checked draw by draw on logits brought down for
 * the check only, bounded as in test/helpers/sampler-check.ts), the learned head reads the
 * decode step's hidden states on the device, and a decode step returns B·few numbers instead of
 * the [B, V] logits and [B, H] hidden states (counted). The head's inference and training on
 * WebGPU match CPU.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { DecodeSession } from '../../src/model/decode-session.js';
import { DeviceTransfer, onDevice } from '../../src/onnx/index.js';
import { createPolicy } from '../../src/policy/index.js';
import { TemperatureHead } from '../../src/policy/head/index.js';
import { HeadUpdater } from '../../src/rl/head-update.js';
import { AdamW } from '../../src/rl/optimizer.js';
import { createLrSchedule } from '../../src/rl/lr-schedule.js';
import { generateRollouts, type RolloutRequest } from '../../src/rollout/engine.js';
import { checkedDecoder, newTally } from '../helpers/sampler-check.js';
import type { LastTensors } from '../../src/model/graph-sampler.js';
import { webgpuSkipReason } from '../helpers/webgpu.js';
import { loadReference } from '../model/graphs-reference.js';

const skip = await webgpuSkipReason();
const WEBGPU = { executionProviders: ['webgpu', 'cpu'] };

/** On the device the logits come down for the check only (the draw itself never needs them). */
function downloaded(transfer: DeviceTransfer) {
  return async (last: LastTensors): Promise<Float32Array> => {
    assert.ok(onDevice(last.logits) && onDevice(last.hidden), 'the decode step left its logits and hidden states on the device');
    return (await transfer.download(last.logits)).data as Float32Array;
  };
}

function gridHead(inputSize: number, sessionOptions = {}): TemperatureHead {
  const head = TemperatureHead.create(
    { kind: 'grid', grid: [0.3, 0.7, 1.1, 1.5], hiddenSize: 16, initTemperature: 0.7, initSpread: 1, inputSize, seed: 5 },
    sessionOptions,
  );
  head.params.get('fc2.weight')!.forEach((_, i, w) => (w[i] = Math.sin(i) * 2)); // actions depend on the hidden state
  head.paramsChanged();
  return head;
}

for (const name of ['qwen2-tiny', 'gpt2-tiny'] as const) {
  describe(`${name}: in-graph sampling on webgpu`, { skip }, () => {
    const ref = loadReference(name);
    const prompts = [ref.ids[0]!.slice(0, 3), ref.ids[1]!.slice(0, 7)];
    const base = {
      prompts,
      groupSize: 2,
      maxNewTokens: 12,
      decodeText: () => '',
      batchSize: 4,
      recordHidden: true,
      eosTokenIds: [ref.greedy[0]![8]!],
    } as const;

    test("draws on the device pick the host sampler's token for the same uniform; rollouts (fixed, EDT, learned head on the device) equal the host path's", async (t) => {
      const transfer = (await DeviceTransfer.open('webgpu'))!;
      const [hostSession, graphSession] = await Promise.all([
        DecodeSession.load(ref.checkpoint, { executionProvider: 'webgpu' }),
        DecodeSession.load(ref.checkpoint, { executionProvider: 'webgpu', sampling: 'graph' }),
      ]);
      const head = gridHead(ref.checkpoint.config.hiddenSize, WEBGPU);
      const tally = newTally();
      try {
        for (const spec of ['fixed:1.0', 'edt', 'learned']) {
          const request: RolloutRequest = { ...base, policy: createPolicy(spec, { head: head.config }), head, seed: 4 };
          const onHost = await generateRollouts(hostSession, request);
          const inGraph = await generateRollouts(checkedDecoder(graphSession, graphSession.sampler!, tally, downloaded(transfer)), request);
          // Both read the same device's logits: tokens differ only if a draw straddled a boundary (none did, or the check above says why).
          if (tally.mismatches === 0) {
            inGraph.forEach((r, i) => {
              assert.deepEqual(r.tokens, onHost[i]!.tokens, `${spec}: rollout ${i}`);
              assert.deepEqual(r.actions, onHost[i]!.actions, `${spec}: head actions ${i}`);
              assert.deepEqual(r.hidden, onHost[i]!.hidden, `${spec}: recorded hidden states ${i}`);
              r.logprobs.forEach((lp, j) => assert.ok(Math.abs(lp - onHost[i]!.logprobs[j]!) < 1e-5, `${spec}: logprob ${i},${j}`));
            });
          }
        }
      } finally {
        await Promise.all([hostSession.release(), graphSession.release(), head.dispose()]);
      }
      t.diagnostic(`${tally.draws} draws on the device, ${tally.mismatches} mismatches, ${tally.nearBoundary} near a boundary`);
      assert.ok(tally.draws >= 100);
    });
  });
}

describe('what a decode step returns to the host (qwen2-tiny, webgpu)', { skip }, () => {
  test('host sampling: 4·B·(V + H + 1) bytes per step; in-graph: 4·B·3 (entropy, token, log-prob), plus 4·B·K for the learned head', async (t) => {
    const ref = loadReference('qwen2-tiny');
    const { vocabSize: V, hiddenSize: H } = ref.checkpoint.config;
    const transfer = (await DeviceTransfer.open('webgpu'))!;
    const head = gridHead(H, WEBGPU);
    const K = head.outputWidth;
    const B = 3;
    const prompts = [ref.ids[0]!.slice(0, 4), ref.ids[1]!.slice(0, 4), ref.ids[0]!.slice(4, 8)];
    const rows = [0, 1, 2];
    const perStep = async (sampling: 'host' | 'graph', learned: boolean): Promise<number> => {
      const session = await DecodeSession.load(ref.checkpoint, { executionProvider: 'webgpu', sampling });
      try {
        let out = await session.prefill(prompts);
        let tokens = [5, 6, 7];
        const before = { ...transfer.counters };
        const steps = 3;
        for (let s = 0; s < steps; s++) {
          out = await session.step(tokens);
          if (sampling === 'graph') {
            if (learned) await head.runRows(out.tensors!.hidden, rows);
            const drawn = await session.sampler!.sample(out.tensors!, rows, Float32Array.of(1, 0.5, 0), Float64Array.of(0.2, 0.5, 0.9));
            tokens = Array.from(drawn.tokens);
          } else {
            if (learned) await head.run(Float32Array.from(out.hidden.flatMap((h) => Array.from(h))), B);
            tokens = out.logits.map((l) => l.indexOf(Math.max(...l)));
          }
        }
        assert.equal(transfer.counters.uploads, before.uploads, 'nothing uploaded while decoding');
        assert.equal(transfer.counters.downloads, before.downloads, 'nothing downloaded while decoding');
        return (transfer.counters.returnedBytes - before.returnedBytes) / steps;
      } finally {
        await session.release();
      }
    };
    await head.runRows(new ort.Tensor('float32', new Float32Array(B * H), [B, 1, H]), rows); // uploads the head's parameters once
    const hostBytes = await perStep('host', false);
    const graphBytes = await perStep('graph', false);
    const graphLearned = await perStep('graph', true);
    assert.equal(hostBytes, 4 * B * (V + H + 1), 'logits, hidden states and entropy');
    assert.equal(graphBytes, 4 * B * 3, 'entropy, token ids (int32) and log-probabilities');
    assert.equal(graphLearned, 4 * B * (3 + K), "and the head's K outputs per row");
    t.diagnostic(
      `bytes back per step at B=${B}, V=${V}, H=${H}: host ${hostBytes}, in-graph ${graphBytes}, in-graph + learned head ${graphLearned}`,
    );
    await head.dispose();
  });
});

describe('the temperature head on webgpu', { skip }, () => {
  test('outputs and a training step (loss, gradient norm, updated parameters) match CPU', async () => {
    const ref = loadReference('qwen2-tiny');
    const H = ref.checkpoint.config.hiddenSize;
    const [cpu, gpu] = [gridHead(H), gridHead(H, WEBGPU)];
    assert.equal(gpu.executionProvider, 'webgpu');
    const N = 5;
    const hidden = Float32Array.from({ length: N * H }, (_, i) => Math.cos(i * 0.37));
    const [a, b] = [await cpu.logits(hidden, N), await gpu.logits(hidden, N)];
    b.forEach((v, i) => assert.ok(Math.abs(v - a[i]!) < 1e-5, `output ${i}: ${v} vs ${a[i]}`));
    // Rollouts with recorded hidden states, actions and their log-probs: the head's training batch.
    const session = await DecodeSession.load(ref.checkpoint);
    const rollouts = await generateRollouts(session, {
      prompts: [ref.ids[0]!.slice(0, 5)],
      groupSize: 3,
      maxNewTokens: 6,
      eosTokenIds: [],
      decodeText: () => '',
      seed: 2,
      batchSize: 3,
      policy: createPolicy('learned', { head: cpu.config }),
      head: cpu,
      recordHidden: true,
    });
    await session.release();
    const advantages = [1, -0.5, -0.5];
    const options = { loss: 'clipped', clipLow: 0.2, clipHigh: 0.28, entropyCoef: 0.01, aggregation: 'token-mean' as const };
    const step = async (head: TemperatureHead) => {
      const updater = await HeadUpdater.open(
        head,
        new AdamW(head.params, { lr: 1e-2, maxGradNorm: 1 }),
        options,
        createLrSchedule('constant', { baseLr: 1e-2, warmupSteps: 0, totalSteps: 1 }),
      );
      return updater.step(rollouts, advantages, 1e-2);
    };
    const [sc, sg] = [await step(cpu), await step(gpu)];
    assert.ok(sc.applied && sg.applied);
    assert.ok(Math.abs(sg.loss - sc.loss) < 1e-5, `loss ${sg.loss} vs ${sc.loss}`);
    assert.ok(Math.abs(sg.gradNorm - sc.gradNorm) < 1e-3 * sc.gradNorm, `gradient norm ${sg.gradNorm} vs ${sc.gradNorm}`);
    for (const [n, p] of cpu.params)
      p.forEach((v, i) => assert.ok(Math.abs(gpu.params.get(n)![i]! - v) < 1e-5, `${n}[${i}] after the step`));
    // The device copies of the parameters follow the step.
    const [a2, b2] = [await cpu.logits(hidden, N), await gpu.logits(hidden, N)];
    assert.ok(
      a2.some((v, i) => v !== a[i]),
      'the step changed the head',
    );
    b2.forEach((v, i) => assert.ok(Math.abs(v - a2[i]!) < 1e-4, `output ${i} after the step`));
    await Promise.all([cpu.dispose(), gpu.dispose()]);
  });
});
