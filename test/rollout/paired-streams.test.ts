/**
 * Paired evaluation: the same problem, seed and sample index give every temperature policy the
 * same uniform for its k-th token, and a temperature head's action draws come from a substream of
 * their own. Checked against an independent inverse-CDF sampler fed by the stream the engine is
 * documented to use (streamFor(seed, promptIndex, sampleIndex)).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPolicy } from '../../src/policy/index.js';
import { generateRollouts } from '../../src/rollout/engine.js';
import type { BatchDecoder, DecodeOutput } from '../../src/rollout/types.js';
import type { TemperatureHeadSession } from '../../src/policy/types.js';
import { streamFor } from '../../src/util/rng.js';

const LOGITS = Float32Array.from([1.5, 0.2, -0.7, 0.9, 0.0]);
const H = 4;

/** A decoder whose next-token logits never change: sampling alone decides the tokens. */
function constantDecoder(): BatchDecoder {
  let rows = 0;
  const out = (): DecodeOutput =>
    ({
      logits: Array.from({ length: rows }, () => LOGITS),
      hidden: Array.from({ length: rows }, () => new Float32Array(H).fill(0.1)),
    }) as DecodeOutput;
  return {
    async prefill(prompts) {
      rows = prompts.length;
      return out();
    },
    async step(tokens) {
      rows = tokens.length;
      return out();
    },
    keepRows(keep) {
      rows = keep.length;
    },
  };
}

/** Inverse-CDF draw from softmax(LOGITS / T) with uniform u, computed from scratch. */
function referenceToken(T: number, u: number): number {
  const w = Array.from(LOGITS, (l) => Math.exp(l / T));
  const total = w.reduce((a, b) => a + b, 0);
  let acc = 0;
  for (let i = 0; i < w.length; i++) {
    acc += w[i]! / total;
    if (u < acc) return i;
  }
  return w.length - 1;
}

const base = {
  prompts: [[1, 2], [3]],
  groupSize: 3,
  maxNewTokens: 12,
  eosTokenIds: [99],
  decodeText: (ids: readonly number[]) => ids.join(' '),
  seed: 11,
  batchSize: 4,
};

test('paired streams: two fixed temperatures draw the same uniforms for the same problem, seed and sample', async () => {
  for (const T of [0.4, 1.6]) {
    const rollouts = await generateRollouts(constantDecoder(), { ...base, policy: createPolicy(`fixed:${T}`) });
    for (const r of rollouts) {
      const rng = streamFor(base.seed, r.promptIndex, r.sampleIndex);
      const expected = Array.from({ length: base.maxNewTokens }, () => referenceToken(T, rng.uniform()));
      assert.deepEqual(r.tokens, expected, `T ${T}, prompt ${r.promptIndex}, sample ${r.sampleIndex}`);
    }
  }
  // Consequence: a token drawn from the same uniform can only move toward likelier tokens as T falls.
  const cold = await generateRollouts(constantDecoder(), { ...base, policy: createPolicy('fixed:0.4') });
  const hot = await generateRollouts(constantDecoder(), { ...base, policy: createPolicy('fixed:1.6') });
  const sameTokens = cold.flatMap((r, i) => r.tokens.filter((t, j) => t === hot[i]!.tokens[j])).length;
  assert.ok(sameTokens > 0.3 * cold.length * base.maxNewTokens, 'paired draws agree often');
});

test('paired streams: a temperature head draws its actions from its own substream, leaving token draws shared', async () => {
  // A grid head whose logits put all mass on one temperature (the 3rd grid value): tokens follow
  // exactly the fixed policy at that temperature only if the action draw did not consume the token stream.
  const grid = [0.5, 0.8, 1.2];
  const policy = createPolicy('learned', { head: { kind: 'grid', grid, hiddenSize: 8, initTemperature: 1.2, initSpread: 0.3 } as never });
  const head: TemperatureHeadSession = {
    async run(_hidden, rows) {
      const out = new Float32Array(rows * grid.length).fill(-1e4);
      for (let r = 0; r < rows; r++) out[r * grid.length + 2] = 0;
      return out;
    },
  };
  const learned = await generateRollouts(constantDecoder(), { ...base, policy, head });
  const fixed = await generateRollouts(constantDecoder(), { ...base, policy: createPolicy('fixed:1.2') });
  learned.forEach((r, i) => {
    assert.deepEqual(Array.from(r.temperatures), Array(base.maxNewTokens).fill(Math.fround(1.2)));
    assert.deepEqual(r.tokens, fixed[i]!.tokens, `sequence ${i}`);
  });
});
