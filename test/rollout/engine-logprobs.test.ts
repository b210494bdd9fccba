/**
 * The engine's recorded per-token log-probabilities and entropies against the training side: the
 * model's `score` graph (a full forward pass over prompt + completion, no KV cache) computes
 * log softmax(logits / T)[token] with the temperatures the engine recorded. Importance ratios of an
 * unchanged model are exactly 1 only if the two agree.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { jobSchema } from '../../src/config/index.js';
import { loadCheckpoint } from '../../src/model/checkpoint.js';
import { buildTrainGraph } from '../../src/model/graphs/train-graphs.js';
import { createSession } from '../../src/onnx/index.js';
import { createPolicy, type TemperaturePolicy } from '../../src/policy/index.js';
import { openTemperatureHead, type TemperatureHead } from '../../src/policy/head/index.js';
import { generateRollouts } from '../../src/rollout/engine.js';
import { openPolicyModel, type PolicyModel } from '../../src/rollout/runtime.js';
import type { Rollout } from '../../src/rollout/types.js';
import { generateArithProblems, getTask } from '../../src/tasks/index.js';
import { writeTinyCharModel } from '../eval/tiny-char-model.js';

const cacheDir = mkdtempSync(join(tmpdir(), 'introspect-cache-'));
process.env.INTROSPECT_CACHE_DIR = cacheDir;
let modelDir: string;
let model: PolicyModel;
let score: ort.InferenceSession;
let head: TemperatureHead;

before(async () => {
  modelDir = writeTinyCharModel({ seed: 5 });
  model = await openPolicyModel({ modelDir, threads: 1 });
  score = await createSession(buildTrainGraph(loadCheckpoint(modelDir), 'score', { trainable: 'none' }));
  head = openTemperatureHead(
    jobSchema.parse({ head: { kind: 'grid', grid: [0.3, 0.7, 1.1, 1.5], initSpread: 0.6 } }),
    model.config.hiddenSize,
  );
});
after(async () => {
  await Promise.all([model.dispose(), score.release(), head.dispose()]);
  rmSync(cacheDir, { recursive: true, force: true });
  rmSync(modelDir, { recursive: true, force: true });
});

/** The score graph's per-position log-probs and entropies for one sequence at the given temperatures. */
async function scoreSequence(
  ids: readonly number[],
  temperatures: readonly number[],
): Promise<{ logprobs: Float32Array; entropy: Float32Array }> {
  const T = ids.length;
  const out = await score.run({
    input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, T]),
    attention_mask: new ort.Tensor('int64', new BigInt64Array(T).fill(1n), [1, T]),
    temperatures: new ort.Tensor('float32', Float32Array.from(temperatures), [1, T]),
  });
  return { logprobs: out.logprobs!.data as Float32Array, entropy: out.entropy!.data as Float32Array };
}

async function rolloutsOf(policy: TemperaturePolicy): Promise<Rollout[]> {
  const task = getTask('synthetic-arith');
  const prompts = generateArithProblems('test', { count: 3, seed: 11 }).map((p) =>
    model.encodePrompt(p.question, { plainPrompt: task.prompt }),
  );
  return generateRollouts(model.decoder, {
    prompts,
    groupSize: 2,
    policy,
    head,
    maxNewTokens: 16,
    eosTokenIds: model.eosTokenIds,
    decodeText: (ids) => model.decodeText(ids),
    seed: 1,
    batchSize: 6,
  });
}

const policies: [string, () => TemperaturePolicy][] = [
  ['fixed:0.7', () => createPolicy('fixed:0.7')],
  ['edt (a different temperature at every token)', () => createPolicy('edt')],
  ["learned (the head's grid)", () => createPolicy('learned', { head: { kind: 'grid', grid: [0.3, 0.7, 1.1, 1.5] } })],
];

for (const [name, make] of policies) {
  test(`recorded logprobs and entropies equal the score graph's: ${name}`, async () => {
    const rollouts = await rolloutsOf(make());
    let worstLogprob = 0;
    let worstEntropy = 0;
    for (const r of rollouts) {
      const P = r.promptIds.length;
      const ids = [...r.promptIds, ...r.tokens];
      // Entry t of the score graph concerns ids[t]: the generated token j sits at P + j.
      const tempered = await scoreSequence(ids, [...new Array<number>(P).fill(1), ...r.temperatures]);
      const plain = await scoreSequence(ids, new Array<number>(ids.length).fill(1));
      r.tokens.forEach((_, j) => {
        worstLogprob = Math.max(worstLogprob, Math.abs(tempered.logprobs[P + j]! - r.logprobs[j]!));
        worstEntropy = Math.max(worstEntropy, Math.abs(plain.entropy[P + j]! - r.entropies[j]!));
      });
    }
    assert.ok(worstLogprob <= 1e-4, `max |logprob difference| ${worstLogprob}`);
    assert.ok(worstEntropy <= 1e-4, `max |entropy difference| ${worstEntropy}`);
    assert.ok(
      rollouts.every((r) => r.temperatures.every((t) => t > 0)),
      'sampled tokens only (greedy ones are scored at T = 1)',
    );
  });
}

test('the comparison can fail: scoring at other temperatures gives other logprobs', async () => {
  const [r] = await rolloutsOf(createPolicy('fixed:0.7'));
  const P = r!.promptIds.length;
  const wrong = await scoreSequence([...r!.promptIds, ...r!.tokens], new Array<number>(P + r!.tokens.length).fill(1));
  assert.ok(r!.tokens.some((_, j) => Math.abs(wrong.logprobs[P + j]! - r!.logprobs[j]!) > 1e-2));
});
