/**
 * Training-graph options against plain-loop references: trainable subsets, token weights, the
 * clipped policy objective away from ratio 1, the KL penalty and entropy bonus (values and, by
 * finite differences, gradients), and left-padded sequences.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type * as ort from 'onnxruntime-node';
import { buildTrainGraph } from '../../src/model/graphs/train-graphs.js';
import { createSession } from '../../src/onnx/index.js';
import { data, f32, i64, loadReference, maxAbsDiff, paramFeeds, relL2, runGraph, scalar, trainFeeds } from './graphs-reference.js';
import { policyObjectiveReference } from '../../src/model/graphs/policy-losses.js';

const B = 2;
const T = 16;
const ref = loadReference('qwen2-tiny');
const model = ref.checkpoint;

/** Deterministic pseudo-random numbers in [0, 1). */
function uniform(n: number, seed: number): number[] {
  let s = seed;
  return Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  });
}

describe('trainable subsets', () => {
  test("a regex selecting one layer: only its gradients are outputs, equal to the full graph's", async () => {
    const full = await runGraph(buildTrainGraph(model, 'ce'), { ...trainFeeds(ref), ...paramFeeds(model) });
    const graph = buildTrainGraph(model, 'ce', { trainable: [String.raw`layers\.1\.`] });
    const layer1 = ref.json.param_names.filter((p) => p.startsWith('model.layers.1.'));
    assert.deepEqual(
      graph.inputs.map((v) => v.name).filter((n) => n.startsWith('model.')),
      layer1,
    );
    assert.deepEqual(
      graph.outputs.map((v) => v.name),
      ['loss', ...layer1.map((p) => `grad.${p}`), 'logprobs'],
    );
    const sub = await runGraph(graph, { ...trainFeeds(ref), ...paramFeeds(model, layer1) });
    assert.ok(Math.abs(data(sub.loss)[0]! - data(full.loss)[0]!) < 1e-6);
    for (const p of layer1) assert.ok(relL2(data(sub[`grad.${p}`]), data(full[`grad.${p}`])) < 1e-5, p);
  });

  test('none: no parameter inputs and no gradients, same loss', async () => {
    const graph = buildTrainGraph(model, 'ce', { trainable: 'none' });
    assert.deepEqual(
      graph.outputs.map((v) => v.name),
      ['loss', 'logprobs'],
    );
    assert.ok(graph.inputs.every((v) => !v.name.startsWith('model.')));
    const out = await runGraph(graph, trainFeeds(ref));
    assert.ok(Math.abs(data(out.loss)[0]! - ref.json.ce_loss) < 1e-4);
  });

  test('a regex that selects nothing is an error', () => {
    assert.throws(() => buildTrainGraph(model, 'ce', { trainable: ['no_such_param'] }), /no parameter name matches/);
  });
});

describe('losses', () => {
  const frozen = { trainable: 'none' as const };

  test('ce with token weights is sum(w * nll) / sum(w) over positions 1..T-1', async () => {
    const w = uniform(B * T, 7).map((u) => (u < 0.3 ? 0 : 2 * u));
    const out = await runGraph(buildTrainGraph(model, 'ce', frozen), { ...trainFeeds(ref), loss_mask: f32(w, [B, T]) });
    const lp = data(out.logprobs);
    let num = 0;
    let den = 0;
    for (let b = 0; b < B; b++) for (let t = 1; t < T; t++) [num, den] = [num - w[b * T + t]! * lp[b * T + t]!, den + w[b * T + t]!];
    assert.ok(Math.abs(data(out.loss)[0]! - num / den) < 1e-5);
  });

  test('an all-zero mask gives loss 0 and zero gradients, not NaN', async () => {
    const out = await runGraph(buildTrainGraph(model, 'ce', { trainable: [/model\.norm/] }), {
      ...trainFeeds(ref),
      ...paramFeeds(model),
      loss_mask: f32(new Array<number>(B * T).fill(0), [B, T]),
    });
    assert.equal(data(out.loss)[0], 0);
    assert.ok(data(out['grad.model.norm.weight']).every((x) => x === 0));
  });

  test('policy: clipped objective, clip fraction, KL and entropy terms equal a plain loop over tokens', async () => {
    const score = await runGraph(buildTrainGraph(model, 'score', frozen), trainFeeds(ref));
    const lp = data(score.logprobs);
    const ent = data(score.entropy);
    // old log-probs off by up to +-0.5, so many ratios fall outside [0.8, 1.28]
    const old = Array.from(lp, (x, i) => x + uniform(B * T, 3)[i]! - 0.5);
    const refLp = Array.from(lp, (x, i) => x + 0.3 * (uniform(B * T, 5)[i]! - 0.5));
    const w = uniform(B * T, 11).map((u) => (u < 0.2 ? 0 : u));
    const adv = [0.7, -1.3];
    const [clipLow, clipHigh, klCoef, entCoef] = [0.2, 0.28, 0.05, 0.01];
    const graph = buildTrainGraph(model, 'policy', { trainable: 'none', klPenalty: true, entropyBonus: true });
    const out = await runGraph(graph, {
      ...trainFeeds(ref),
      loss_mask: f32(w, [B, T]),
      old_logprobs: f32(old, [B, T]),
      ref_logprobs: f32(refLp, [B, T]),
      advantages: f32(adv, [B]),
      clip_low: scalar(clipLow),
      clip_high: scalar(clipHigh),
      kl_coef: scalar(klCoef),
      entropy_coef: scalar(entCoef),
    });
    // The reference: the loss table's plain loop over the predicted positions (t >= 1).
    const at = Array.from({ length: B * T }, (_, i) => i).filter((i) => i % T !== 0);
    const pick = (xs: ArrayLike<number>) => at.map((i) => xs[i]!);
    const want = policyObjectiveReference('clipped', {
      logp: pick(lp),
      oldLogp: pick(old),
      advantages: at.map((i) => adv[Math.floor(i / T)]!),
      weights: pick(w),
      clipLow,
      clipHigh,
      kl: { refLogp: pick(refLp), coef: klCoef },
      entropy: { perToken: pick(ent), coef: entCoef },
    });
    // loss_mask holds the aggregation's weights: the policy loss is sum(w * l)
    assert.ok(Math.abs(data(out.loss)[0]! - want.loss) < 1e-5, `loss ${data(out.loss)[0]} vs ${want.loss}`);
    assert.ok(Math.abs(data(out.clip_fraction)[0]! - want.clipFraction) < 1e-6);
    assert.ok(want.clipFraction > 0 && want.clipFraction < 1, 'some but not all tokens clipped');
    assert.ok(maxAbsDiff(data(out.entropy), ent) < 1e-6);
    assert.ok(maxAbsDiff(data(out.logprobs), lp) < 1e-6);
  });

  // Also with the low-memory backward: the final norm is a recomputed region there, and the tied
  // embedding's rows are scattered onto the output projection's gradient.
  for (const lowMemoryBackward of [false, true])
    test(`policy with KL and entropy${lowMemoryBackward ? ', low-memory backward' : ''}: gradients agree with central finite differences`, async () => {
      const params = [
        'model.norm.weight',
        'model.layers.1.self_attn.v_proj.bias',
        'model.layers.0.mlp.up_proj.weight',
        'model.embed_tokens.weight',
      ];
      const session = await createSession(
        buildTrainGraph(model, 'policy', {
          trainable: params,
          klPenalty: true,
          entropyBonus: true,
          entropyOutput: true,
          lowMemoryBackward,
        }),
      );
      const base = trainFeeds(ref);
      const score = await runGraph(buildTrainGraph(model, 'score', { trainable: 'none' }), base);
      const lp = data(score.logprobs);
      const feeds: Record<string, ort.Tensor> = {
        ...base,
        ...paramFeeds(model, params),
        old_logprobs: f32(
          Array.from(lp, (x, i) => x + 0.4 * (uniform(B * T, 13)[i]! - 0.5)),
          [B, T],
        ),
        ref_logprobs: f32(
          Array.from(lp, (x, i) => x + 0.5 * (uniform(B * T, 17)[i]! - 0.5)),
          [B, T],
        ),
        advantages: f32([1.1, -0.6], [B]),
        clip_low: scalar(0.2),
        clip_high: scalar(0.28),
        kl_coef: scalar(0.3),
        entropy_coef: scalar(0.2),
      };
      const out = await runGraph(session, feeds);
      for (const p of params) {
        const t = model.params.get(p)!;
        const dir = uniform(t.data.length, 19).map((u) => u - 0.5);
        const analytic = dir.reduce((s, d, i) => s + d * data(out[`grad.${p}`])[i]!, 0);
        const eps = 1e-2;
        const lossAt = async (sign: number): Promise<number> => {
          const moved = f32(
            Array.from(t.data, (x, i) => x + sign * eps * dir[i]!),
            t.dims,
          );
          return data((await runGraph(session, { ...feeds, [p]: moved })).loss)[0]!;
        };
        const numeric = ((await lossAt(1)) - (await lossAt(-1))) / (2 * eps);
        assert.ok(
          Math.abs(numeric - analytic) <= 0.02 * Math.abs(analytic) + 1e-5,
          `${p}: finite differences ${numeric} vs gradient ${analytic}`,
        );
      }
    });
});

describe('padding in training graphs', () => {
  test('a left-padded row scores its tokens as the same row without padding', async () => {
    const session = await createSession(buildTrainGraph(model, 'score', { trainable: 'none' }));
    const pad = 5;
    const row = ref.ids[1]!.slice(0, T - pad);
    const temps = new Array<number>(B * T).fill(1);
    const padded = await runGraph(session, {
      input_ids: i64([...ref.ids[0]!, ...new Array<number>(pad).fill(0), ...row], [B, T]),
      attention_mask: i64(
        [...new Array<number>(T).fill(1), ...new Array<number>(pad).fill(0), ...new Array<number>(T - pad).fill(1)],
        [B, T],
      ),
      temperatures: f32(temps, [B, T]),
    });
    const alone = await runGraph(session, {
      input_ids: i64(row, [1, T - pad]),
      attention_mask: i64(new Array<number>(T - pad).fill(1), [1, T - pad]),
      temperatures: f32(new Array<number>(T - pad).fill(1), [1, T - pad]),
    });
    const p = data(padded.logprobs).subarray(T + pad + 1);
    const a = data(alone.logprobs).subarray(1);
    assert.ok(maxAbsDiff(p, a) < 1e-4, `padded vs alone: ${maxAbsDiff(p, a)}`);
    assert.ok(data(padded.logprobs).every(Number.isFinite));
  });
});
