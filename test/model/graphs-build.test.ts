/**
 * Building graphs must stay cheap for deep models: the backward graph of a 24-layer model is
 * built (forward, losses and autodiff) in well under the time a training run can spare at start.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildDecodeGraph } from '../../src/model/graphs/decode-graph.js';
import { buildTrainGraph } from '../../src/model/graphs/train-graphs.js';
import { syntheticQwen2 } from './graphs-reference.js';

test('differentiating a 24-layer qwen2-like model builds in under 2 s', () => {
  const model = syntheticQwen2({ num_hidden_layers: 24 });
  // CPU time of this process (the build is synchronous JS), so other processes on a busy machine do
  // not decide the result.
  const start = process.cpuUsage();
  const graph = buildTrainGraph(model, 'policy', { klPenalty: true, entropyBonus: true });
  const used = process.cpuUsage(start);
  const ms = (used.user + used.system) / 1000;
  assert.ok(ms < 2000, `built in ${ms.toFixed(0)} ms of CPU time`);
  const grads = graph.outputs.filter((o) => o.name.startsWith('grad.'));
  // embeddings + 12 tensors per layer + final norm (tied lm_head)
  assert.equal(grads.length, 1 + 24 * 12 + 1);
});

test('the decode graph of a 24-layer model has one cache input and output pair per layer', () => {
  const graph = buildDecodeGraph(syntheticQwen2({ num_hidden_layers: 24 }));
  assert.equal(graph.inputs.filter((v) => v.name.startsWith('past_key_values.')).length, 48);
  assert.equal(graph.outputs.filter((v) => v.name.startsWith('present.')).length, 48);
  assert.deepEqual(
    graph.outputs.slice(0, 2).map((v) => v.name),
    ['logits', 'last_hidden'],
  );
});
