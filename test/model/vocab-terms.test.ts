/**
 * The fused, chunked vocabulary terms (hand-written backward, src/model/graphs/vocab-terms.ts)
 * against the plain formulation differentiated by autodiff (`vocabChunks: 0`): log-probs,
 * entropies, the loss and the gradient of every parameter, for tied and untied output layers,
 * kept and recomputed logits, uneven slices and more slices than rows.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type * as ort from 'onnxruntime-node';
import { buildTrainGraph, type TrainGraphKind, type TrainGraphOptions } from '../../src/model/graphs/train-graphs.js';
import type { ModelWeights } from '../../src/model/graphs/train-graphs.js';
import { data, f32, i64, loadReference, maxAbsDiff, paramFeeds, relL2, runGraph, scalar, syntheticQwen2 } from './graphs-reference.js';

/** Deterministic pseudo-random numbers in [0, 1). */
function uniform(n: number, seed: number): number[] {
  let s = seed;
  return Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  });
}

function feedsFor(model: ModelWeights, B: number, T: number, seed: number): Record<string, ort.Tensor> {
  const V = model.config.vocabSize;
  const u = (k: number) => uniform(B * T, seed + k);
  // Row 1 left-padded by 2, so masked positions are in the mix.
  const mask = Array.from({ length: B * T }, (_, i) => (B > 1 && i >= T && i < T + 2 ? 0 : 1));
  return {
    ...paramFeeds(model),
    input_ids: i64(
      u(1).map((x) => Math.floor(x * V)),
      [B, T],
    ),
    attention_mask: i64(mask, [B, T]),
    temperatures: f32(
      u(2).map((x) => 0.5 + x),
      [B, T],
    ),
    loss_mask: f32(
      u(3).map((x, i) => (mask[i] === 0 || x < 0.2 ? 0 : x)),
      [B, T],
    ),
    old_logprobs: f32(
      u(4).map((x) => -6 + x),
      [B, T],
    ),
    ref_logprobs: f32(
      u(5).map((x) => -6 + 2 * x),
      [B, T],
    ),
    advantages: f32(
      uniform(B, seed + 6).map((x) => 2 * x - 1),
      [B],
    ),
    clip_low: scalar(0.2),
    clip_high: scalar(0.28),
    kl_coef: scalar(0.1),
    entropy_coef: scalar(0.05),
  };
}

async function compare(
  model: ModelWeights,
  kind: TrainGraphKind,
  options: TrainGraphOptions,
  B: number,
  T: number,
  fused: Partial<TrainGraphOptions>,
): Promise<void> {
  const feeds = feedsFor(model, B, T, 31);
  const plain = await runGraph(buildTrainGraph(model, kind, { ...options, vocabChunks: 0 }), feeds);
  const graph = buildTrainGraph(model, kind, { ...options, ...fused });
  const out = await runGraph(graph, feeds);
  assert.deepEqual(graph.outputs.map((v) => v.name).sort(), Object.keys(plain).sort(), 'same outputs');
  assert.ok(maxAbsDiff(data(out.logprobs), data(plain.logprobs)) < 1e-5, 'logprobs');
  if (plain.entropy) assert.ok(maxAbsDiff(data(out.entropy), data(plain.entropy)) < 1e-5, 'entropy');
  if (kind === 'score') return;
  assert.ok(Math.abs(data(out.loss)[0]! - data(plain.loss)[0]!) < 1e-5, `loss ${data(out.loss)[0]} vs ${data(plain.loss)[0]}`);
  let checked = 0;
  for (const name of Object.keys(plain).filter((n) => n.startsWith('grad.'))) {
    const want = data(plain[name]);
    if (want.every((x) => x === 0)) continue;
    assert.ok(relL2(data(out[name]), want) < 1e-4, `${name}: relative L2 ${relL2(data(out[name]), want)}`);
    checked++;
  }
  assert.ok(checked > 5, `compared ${checked} gradients`);
}

describe('fused vocabulary terms equal the plain log-softmax graph', () => {
  const tied = loadReference('qwen2-tiny').checkpoint;
  const untied = loadReference('llama-tiny').checkpoint;
  const policy = { klPenalty: true, entropyBonus: true };

  test('policy with KL and entropy bonus, tied embeddings: 3 uneven slices, log-softmax kept', async () => {
    await compare(tied, 'policy', policy, 2, 9, { vocabChunks: 3, recomputeLogits: false });
  });

  test('policy with KL and entropy bonus, untied lm_head: 4 slices, logits recomputed', async () => {
    await compare(untied, 'policy', policy, 2, 8, { vocabChunks: 4, recomputeLogits: true });
  });

  test('policy without entropy terms, one slice recomputed', async () => {
    await compare(tied, 'policy', {}, 2, 7, { vocabChunks: 1, recomputeLogits: true });
  });

  test('policy without entropy terms, untied lm_head: 3 slices, log-softmax kept', async () => {
    await compare(untied, 'policy', {}, 2, 7, { vocabChunks: 3, recomputeLogits: false });
  });

  test('more slices than rows (empty slices) in ce and score', async () => {
    await compare(untied, 'ce', {}, 1, 3, { vocabChunks: 5 });
    await compare(tied, 'score', {}, 1, 3, { vocabChunks: 5 });
  });

  test('a trainable subset without the output layer', async () => {
    await compare(untied, 'policy', { ...policy, trainable: [/layers\.1\./, /model\.norm/] }, 2, 6, {
      vocabChunks: 2,
      recomputeLogits: true,
    });
  });

  test('at a vocabulary large enough for the default slicing', async () => {
    const big = syntheticQwen2({ vocab_size: 20000, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 1 });
    await compare(big, 'policy', policy, 2, 10, {});
  });
});
