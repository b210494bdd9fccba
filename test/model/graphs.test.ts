/**
 * The graphs against transformers on the four Hugging Face fixtures: forward logits and hidden
 * states, log-probs and entropies, cross-entropy and policy-gradient losses and gradients.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { buildDecodeGraph, pastKeyName, pastValueName } from '../../src/model/graphs/decode-graph.js';
import { buildTrainGraph } from '../../src/model/graphs/train-graphs.js';
import { architectures } from '../../src/model/arch/index.js';
import { createSession } from '../../src/onnx/index.js';
import { fixtureNames } from '../helpers/paths.js';
import { data, f32, i64, loadReference, maxAbsDiff, paramFeeds, relL2, runGraph, scalar, trainFeeds } from './graphs-reference.js';
import { entropyOf, logSoftmaxAt } from '../../src/util/softmax.js';

const B = 2;
const T = 16;

for (const name of fixtureNames) {
  describe(name, () => {
    const ref = loadReference(name);
    const model = ref.checkpoint;
    const V = model.config.vocabSize;

    test('decode graph: logits and last_hidden of a full forward pass within 1e-4 of transformers', async () => {
      const { numKvHeads, headDim, numLayers } = model.config;
      const feeds: Record<string, ort.Tensor> = {
        input_ids: i64(ref.ids.flat(), [B, T]),
        attention_mask: i64(new Array<number>(B * T).fill(1), [B, T]),
        position_ids: i64(
          [...Array(B * T).keys()].map((i) => i % T),
          [B, T],
        ),
      };
      const empty = new ort.Tensor('float32', new Float32Array(0), [B, numKvHeads, 0, headDim]);
      for (let i = 0; i < numLayers; i++) feeds[pastKeyName(i)] = feeds[pastValueName(i)] = empty;
      const out = await runGraph(buildDecodeGraph(model), feeds);
      assert.deepEqual(out.logits?.dims, [B, T, V]);
      assert.ok(maxAbsDiff(data(out.logits), ref.logits) < 1e-4, `logits differ by ${maxAbsDiff(data(out.logits), ref.logits)}`);
      assert.ok(
        maxAbsDiff(data(out.last_hidden), ref.lastHidden) < 1e-4,
        `last_hidden differs by ${maxAbsDiff(data(out.last_hidden), ref.lastHidden)}`,
      );
      assert.deepEqual(out['present.0.key']?.dims, [B, numKvHeads, T, headDim]);
    });

    test('ce graph: loss and every gradient match transformers', async () => {
      const graph = buildTrainGraph(model, 'ce');
      const out = await runGraph(graph, { ...trainFeeds(ref), ...paramFeeds(model) });
      assert.ok(Math.abs((data(out.loss)[0] as number) - ref.json.ce_loss) < 1e-4, `ce loss ${data(out.loss)[0]} vs ${ref.json.ce_loss}`);
      const gradOutputs = graph.outputs.map((o) => o.name).filter((n) => n.startsWith('grad.'));
      assert.deepEqual(
        gradOutputs,
        ref.json.param_names.map((p) => `grad.${p}`),
        'one gradient per parameter, in checkpoint order',
      );
      for (const p of ref.json.param_names) {
        const err = relL2(data(out[`grad.${p}`]), ref.tensor(`grad.${p}`));
        assert.ok(err < 1e-3, `grad.${p}: relative L2 error ${err}`);
      }
      // logprobs are aligned to targets: entry 0 predicts nothing
      const lp = data(out.logprobs);
      for (let b = 0; b < B; b++) {
        assert.equal(lp[b * T], 0);
        for (let t = 1; t < T; t++) {
          const want = logSoftmaxAt(ref.logits.subarray((b * T + t - 1) * V, (b * T + t) * V), 1, ref.ids[b]![t]!);
          assert.ok(Math.abs((lp[b * T + t] as number) - want) < 1e-4, `logprobs[${b},${t}]`);
        }
      }
    });

    test('ce graph with the low-memory backward: every gradient matches transformers, and the default graph to rounding', async () => {
      const feeds = { ...trainFeeds(ref), ...paramFeeds(model) };
      const kept = buildTrainGraph(model, 'ce', { lowMemoryBackward: false });
      const lean = buildTrainGraph(model, 'ce', { lowMemoryBackward: true });
      assert.ok(lean.nodes.length > kept.nodes.length, 'the backward pass has its own copies of the recomputed regions');
      const out = await runGraph(lean, feeds);
      for (const p of ref.json.param_names) {
        const err = relL2(data(out[`grad.${p}`]), ref.tensor(`grad.${p}`));
        assert.ok(err < 1e-3, `grad.${p}: relative L2 error ${err}`);
      }
      // Without ONNX Runtime's graph optimisations (which may fuse the forward's normalisations once
      // the backward no longer reads their insides) the recomputed values are the same bits, so
      // every gradient is too, but a tied embedding's: its rows are added onto the output
      // projection's gradient, a sum in another order.
      const unfused = { graphOptimizationLevel: 'disabled' as const };
      const [a, b] = await Promise.all([
        runGraph(await createSession(kept, unfused), feeds),
        runGraph(await createSession(lean, unfused), feeds),
      ]);
      const tied = model.config.tieWordEmbeddings ? `grad.${architectures.get(model.config.arch).graph.lmHeadName(model.config)}` : null;
      for (const p of ['loss', ...ref.json.param_names.map((n) => `grad.${n}`)]) {
        if (p === tied) assert.ok(relL2(data(b[p]), data(a[p])) < 1e-6, `${p}: relative L2 ${relL2(data(b[p]), data(a[p]))}`);
        else assert.deepEqual(data(b[p]), data(a[p]), p);
      }
    });

    test('score and policy graphs: temperature log-probs, entropies, and policy gradients at ratio 1', async () => {
      const [score, policy] = await Promise.all([
        createSession(buildTrainGraph(model, 'score')),
        createSession(buildTrainGraph(model, 'policy')),
      ]);
      const feeds = { ...trainFeeds(ref), ...paramFeeds(model) };
      const scored = await runGraph(score, feeds);
      const lp = data(scored.logprobs);
      const ent = data(scored.entropy);
      let pgLoss = 0;
      for (let b = 0; b < B; b++) {
        assert.equal(lp[b * T], 0);
        assert.equal(ent[b * T], 0);
        for (let t = 1; t < T; t++) {
          const row = ref.logits.subarray((b * T + t - 1) * V, (b * T + t) * V);
          const temp = ref.temps[b * (T - 1) + t - 1] as number;
          assert.ok(Math.abs((lp[b * T + t] as number) - logSoftmaxAt(row, temp, ref.ids[b]![t]!)) < 1e-4, `logprobs[${b},${t}]`);
          assert.ok(Math.abs((ent[b * T + t] as number) - entropyOf(row, temp)) < 1e-4, `entropy[${b},${t}]`);
          pgLoss -= (ref.adv[b] as number) * (lp[b * T + t] as number);
        }
      }
      // the fixture's pg_loss is -mean(adv * logp): the objective whose gradient equals the clipped one at ratio 1
      assert.ok(Math.abs(pgLoss / (B * (T - 1)) - ref.json.pg_loss) < 1e-4, `pg loss ${pgLoss / (B * (T - 1))} vs ${ref.json.pg_loss}`);

      const out = await runGraph(policy, {
        ...feeds,
        // the policy graph's loss_mask is the aggregation's weights (loss = sum(w * l)): token-mean's 1/tokens
        loss_mask: f32(new Array<number>(B * T).fill(1 / (B * (T - 1))), [B, T]),
        old_logprobs: scored.logprobs as ort.Tensor,
        advantages: f32(ref.adv, [B]),
        clip_low: scalar(0.2),
        clip_high: scalar(0.28),
      });
      // ratio 1 everywhere: loss = -mean over tokens of A, nothing clipped
      const meanAdv = ((ref.adv[0] as number) + (ref.adv[1] as number)) / 2;
      assert.ok(Math.abs((data(out.loss)[0] as number) + meanAdv) < 1e-5, `policy loss ${data(out.loss)[0]} vs ${-meanAdv}`);
      assert.equal(data(out.clip_fraction)[0], 0);
      for (const p of ref.json.param_names) {
        const err = relL2(data(out[`grad.${p}`]), ref.tensor(`pg_grad.${p}`));
        assert.ok(err < 1e-3, `grad.${p}: relative L2 error ${err} against pg_grad`);
      }
    });
  });
}
