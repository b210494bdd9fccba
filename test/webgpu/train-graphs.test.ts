/**
 * The training graphs on WebGPU against transformers on the four Hugging Face fixtures: the
 * cross-entropy and policy-gradient losses and every parameter's gradient (1e-3 relative), with
 * the weights fed from device buffers and the gradients left there, as the GPU trainer runs them;
 * the cross-entropy graph also with the low-memory backward.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { buildTrainGraph } from '../../src/model/graphs/train-graphs.js';
import { createSession, DeviceTransfer, onDevice } from '../../src/onnx/index.js';
import { fixtureNames } from '../helpers/paths.js';
import { webgpuSkipReason } from '../helpers/webgpu.js';
import { data, f32, loadReference, paramFeeds, relL2, scalar, trainFeeds } from '../model/graphs-reference.js';

const skip = await webgpuSkipReason();

for (const name of fixtureNames) {
  describe(`${name} on webgpu`, { skip }, () => {
    const ref = loadReference(name);
    const model = ref.checkpoint;

    test('ce and policy graphs: losses and gradients match transformers, weights and gradients on the device', async () => {
      const transfer = (await DeviceTransfer.open('webgpu'))!;
      const names = ref.json.param_names;
      const weights: Record<string, ort.Tensor> = {};
      for (const [n, t] of Object.entries(paramFeeds(model, names))) weights[n] = await transfer.upload(t);
      const gradsOnDevice = Object.fromEntries(names.map((p) => [`grad.${p}`, 'gpu-buffer' as const]));
      const B = 2;
      // and the low-memory backward (recomputed regions, the tied embedding scattered in place), as large models train
      const variants = [{ kind: 'ce' }, { kind: 'policy' }, { kind: 'ce', lowMemoryBackward: true }] as const;
      for (const { kind, ...options } of variants) {
        const session = await createSession(buildTrainGraph(model, kind, options), {
          executionProviders: ['webgpu', 'cpu'],
          preferredOutputLocation: gradsOnDevice,
        });
        const feeds: Record<string, ort.Tensor> = { ...trainFeeds(ref), ...weights };
        if (kind === 'policy') {
          // old log-probs from a CPU score pass: ratio 1, where the clipped objective's gradient is pg_grad
          const score = await createSession(buildTrainGraph(model, 'score'));
          const scored = await score.run(
            Object.fromEntries(score.inputNames.map((n) => [n, { ...trainFeeds(ref), ...paramFeeds(model) }[n]!])),
          );
          Object.assign(feeds, {
            old_logprobs: scored.logprobs,
            advantages: f32(ref.adv, [B]),
            clip_low: scalar(0.2),
            clip_high: scalar(0.28),
            // the policy graph's loss_mask holds the aggregation's weights (loss = sum(w * l)): token-mean's 1/tokens
            loss_mask: f32(new Array<number>(B * 16).fill(1 / (B * 15)), [B, 16]),
          });
        }
        const out = await session.run(Object.fromEntries(session.inputNames.map((n) => [n, feeds[n]!])));
        if (kind === 'ce')
          assert.ok(Math.abs(data(out.loss)[0]! - ref.json.ce_loss) < 1e-4, `ce loss ${data(out.loss)[0]} vs ${ref.json.ce_loss}`);
        for (const p of names) {
          const g = out[`grad.${p}`]!;
          assert.ok(onDevice(g), `grad.${p} stays on the device`);
          const err = relL2((await transfer.download(g)).data as Float32Array, ref.tensor(`${kind === 'ce' ? 'grad' : 'pg_grad'}.${p}`));
          g.dispose();
          assert.ok(err < 1e-3, `${kind}${'lowMemoryBackward' in options ? ' (low-memory)' : ''} grad.${p}: relative L2 error ${err}`);
        }
        await session.release();
      }
      for (const t of Object.values(weights)) t.dispose();
    });
  });
}
