/**
 * The memory estimate against hand-computed sizes of a Qwen2.5-0.5B-shaped model (494,032,768
 * parameters, the count the model card gives), and the one-line refusal.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseModelConfig } from '../../src/model/config.js';
import { trainableNames } from '../../src/model/graphs/train-graphs.js';
import { planDoesNotFit, planMemory } from '../../src/rl/memory-plan.js';

const qwen05 = parseModelConfig({
  model_type: 'qwen2',
  vocab_size: 151936,
  hidden_size: 896,
  intermediate_size: 4864,
  num_hidden_layers: 24,
  num_attention_heads: 14,
  num_key_value_heads: 2,
  tie_word_embeddings: true,
  rope_theta: 1000000,
});
const P = 494_032_768;
const GiB = 2 ** 30;

test('memory plan: weights, gradients, AdamW moments and the KV cache of a Qwen2.5-0.5B-shaped job, and the refusal line', () => {
  const input = {
    config: qwen05,
    trainable: trainableNames(qwen05, 'all'),
    rolloutBatch: 64,
    sequenceLength: 768,
    miniBatchSize: 8,
    klReference: false,
  };
  const gpu = planMemory({ ...input, onDevice: true });
  const bytes = (name: string) => gpu.items.find((i) => i.name.startsWith(name))!.bytes;
  assert.equal(bytes('weights'), 4 * P, 'all trainable: the graphs share the fed weights');
  assert.equal(bytes('gradients'), 4 * P);
  assert.equal(bytes('AdamW'), 8 * P);
  // key + value, 24 layers, 2 kv heads of 64, 64 rows x 768 tokens, old and new cache during a step
  assert.equal(bytes('KV cache'), 4 * 2 * 24 * 2 * 64 * 64 * 768 * 2);
  assert.equal(bytes('host copy'), 4 * P);
  assert.ok(gpu.deviceBytes > 16 * P && gpu.deviceBytes < 80 * GiB);
  assert.equal(gpu.hostBytes, 4 * P);

  const cpu = planMemory({ ...input, onDevice: false });
  assert.equal(cpu.deviceBytes, 0);
  assert.equal(
    cpu.items.find((i) => i.name === 'gradients')!.bytes,
    8 * P,
    "on the host the gradients exist twice at the end of a run (ORT's and their JS copies)",
  );
  assert.equal(
    cpu.hostBytes,
    gpu.deviceBytes - bytes('KV cache') / 2 + 4 * P,
    "on CPU the same state, one cache copy, the gradients' copies, all on the host",
  );

  // Training only the last two layers: frozen weights are baked into both the decode and the policy graph.
  const top = trainableNames(qwen05, [/layers\.2[23]\./]);
  const partial = planMemory({ ...input, trainable: top, onDevice: true });
  const trained = top.length > 0 ? 2 * (896 * 896 + 896 + 2 * (896 * 128 + 128) + 896 * 896 + 3 * 896 * 4864 + 2 * 896) : 0;
  assert.equal(partial.items.find((i) => i.name === 'gradients')!.bytes, 4 * trained);
  assert.equal(partial.items.find((i) => i.name.startsWith('weights'))!.bytes, 4 * (P + (P - trained)));

  assert.equal(planDoesNotFit(gpu, { hostBytes: 64 * GiB, deviceBytes: 80 * GiB }), null);
  const refusal = planDoesNotFit(gpu, { hostBytes: 64 * GiB, deviceBytes: 8 * GiB });
  assert.match(refusal!, /^the job needs about [\d.]+ GiB of device memory but model\.deviceMemoryGiB is 8\.0 GiB: /);
  assert.ok(!refusal!.includes('\n'), 'one line');
  assert.match(planDoesNotFit(cpu, { hostBytes: 4 * GiB })!, /of host memory but this machine has 4\.0 GiB/);
});
