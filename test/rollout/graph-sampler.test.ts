/**
 * The in-graph sampler (model/graphs/sampler-graph.ts) against the host sampler (rollout/sampling.ts)
 * with the same uniforms: hand-made rows for the edge cases, then every draw of many decode steps
 * on the four Hugging Face fixtures, and whole rollouts through the engine (both paths, CPU). How
 * far the two may disagree, and why, is in test/helpers/sampler-check.ts.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { DecodeSession } from '../../src/model/decode-session.js';
import { GraphSampler, floorToFloat32, type LastTensors } from '../../src/model/graph-sampler.js';
import { createPolicy } from '../../src/policy/index.js';
import { TemperatureHead } from '../../src/policy/head/index.js';
import { generateRollouts, type RolloutRequest } from '../../src/rollout/engine.js';
import { fixtureNames } from '../helpers/paths.js';
import { checkedDecoder, compareDraw, fixedUniform, host, newTally, withSampler } from '../helpers/sampler-check.js';
import { loadReference } from '../model/graphs-reference.js';

/** Runs the sampler graph on host rows [N, V] (one position each) with the rows' own temperatures and uniforms. */
async function drawRows(sampler: GraphSampler, rows: Float32Array[], temperatures: number[], uniforms: number[]) {
  const V = rows[0]!.length;
  const logits = new Float32Array(rows.length * V);
  rows.forEach((r, i) => logits.set(r, i * V));
  const last: LastTensors = {
    logits: new ort.Tensor('float32', logits, [rows.length, 1, V]),
    hidden: new ort.Tensor('float32', new Float32Array(rows.length * 2), [rows.length, 1, 2]),
  };
  return sampler.sample(
    last,
    rows.map((_, i) => i),
    temperatures,
    Float64Array.from(uniforms),
  );
}

for (const precision of ['float64', 'float32'] as const)
  test(`edge cases (${precision}): greedy ties, masked tokens, uniforms at 0 and just below 1, extreme temperatures, as the host sampler`, async () => {
    const V = 6;
    const sampler = await GraphSampler.open({ vocabSize: V, hiddenSize: 2 }, 'cpu', null, precision);
    try {
      const ties = Float32Array.from([0.5, 2, 2, -1, 2, 0]);
      const masked = Float32Array.from([-Infinity, 1, -Infinity, 0.5, 3, -Infinity]);
      const spread = Float32Array.from([3, -2, 0.1, 7, -30, 1]);
      const cases: [Float32Array, number, number][] = [
        [ties, 0, 0.3],
        [ties, 0, 0.999],
        [ties, 1, 0],
        [ties, 1, 1 - 2 ** -40],
        [ties, 1e-3, 0.5],
        [masked, 1, 0],
        [masked, 1, 1 - 2 ** -53],
        [masked, 0.3, 0.7],
        [masked, 0, 0.1],
        [masked, 50, 0.2],
        [spread, 1, 0.123],
        [spread, 0.05, 0.999],
        [spread, 8, 0.5],
        [spread, 1, 0.0009],
      ];
      const got = await drawRows(
        sampler,
        cases.map((c) => c[0]),
        cases.map((c) => c[1]),
        cases.map((c) => c[2]),
      );
      const tally = newTally();
      cases.forEach(([row, T, u], i) => {
        const expected = host.sample(row, T, fixedUniform(u));
        assert.equal(got.tokens[i], expected.token, `case ${i}: T ${T}, u ${u}`);
        compareDraw(tally, row, T, u, { token: got.tokens[i]!, logprob: got.logprobs[i]! }, `case ${i}`, precision);
      });
      assert.equal(got.tokens[1], 1, 'greedy: the lowest index among tied maxima');
      assert.equal(got.tokens[6], 4, 'u just below 1 with masked tokens last: the last token of positive weight');
      assert.ok(
        [5, 6, 7, 8, 9].every((i) => ![0, 2, 5].includes(got.tokens[i]!)),
        'masked tokens are never drawn',
      );
    } finally {
      await sampler.release();
    }
  });

test('uniforms are rounded down to float32, so u < 1 stays below 1', () => {
  const u = Float64Array.of(0, 0.1, 1 - 2 ** -30, 0.5, 1 - 2 ** -53);
  const f = floorToFloat32(u);
  f.forEach((x, i) => {
    assert.ok(x <= u[i]!, `value ${i}`);
    assert.ok(u[i]! - x < 2 ** -23, `value ${i} is the float32 just below`);
  });
  assert.ok(f[4]! < 1);
});

const policies = ['fixed:1.0', 'fixed:0.6', 'edt', 'entropy-threshold', 'greedy'];

for (const name of fixtureNames) {
  describe(`${name}: in-graph sampling on CPU`, () => {
    const ref = loadReference(name);
    const prompts = [ref.ids[0]!.slice(0, 3), ref.ids[1]!.slice(0, 7), ref.ids[0]!.slice(2, 9)];
    const base = { prompts, groupSize: 2, maxNewTokens: 24, decodeText: () => '', batchSize: 6, recordHidden: true } as const;

    for (const precision of ['float64', 'float32'] as const) {
      test(`every draw of many decode steps picks the host sampler's token for the same uniform (${precision}: ${precision === 'float64' ? 'always' : 'but at boundaries'})`, async (t) => {
        const session = await DecodeSession.load(ref.checkpoint, { sampling: 'graph' });
        const sampler = await GraphSampler.open(ref.checkpoint.config, 'cpu', null, precision);
        const tally = newTally();
        try {
          for (const spec of policies) {
            for (const seed of [1, 2]) {
              await generateRollouts(
                checkedDecoder(session, sampler, tally, async (last) => last.logits.data as Float32Array),
                {
                  ...base,
                  policy: createPolicy(spec),
                  eosTokenIds: [ref.greedy[0]![8]!],
                  seed,
                },
              );
            }
          }
        } finally {
          await Promise.all([session.release(), sampler.release()]);
        }
        t.diagnostic(
          `${precision}: ${tally.draws} draws, ${tally.mismatches} mismatches, ${tally.nearBoundary} within the rounding bound of a boundary, worst logprob difference ${tally.worstLogprob.toExponential(2)}`,
        );
        assert.ok(tally.draws >= 1000, `many draws compared (${tally.draws})`);
        assert.ok(tally.mismatches <= tally.nearBoundary, 'only near-boundary draws can differ');
        if (precision === 'float64') assert.equal(tally.mismatches, 0, "float64 in the host's order draws as the host");
      });
    }

    test("whole rollouts: the same tokens, temperatures and entropies as the host path, log-probs within 1e-5 (fixed, EDT and a learned head run on the decode step's output)", async () => {
      const [hostSession, graphSession] = await Promise.all([
        DecodeSession.load(ref.checkpoint),
        DecodeSession.load(ref.checkpoint, { sampling: 'graph' }),
      ]);
      assert.equal(hostSession.sampler, null);
      const { hiddenSize } = ref.checkpoint.config;
      const head = TemperatureHead.create({
        kind: 'grid',
        grid: [0.3, 0.7, 1.1, 1.5],
        hiddenSize: 16,
        initTemperature: 0.7,
        initSpread: 1,
        inputSize: hiddenSize,
        seed: 5,
      });
      // Spread the head's outputs so its actions depend on the hidden state.
      head.params.get('fc2.weight')!.forEach((_, i, w) => (w[i] = Math.sin(i) * 2));
      head.paramsChanged();
      try {
        for (const spec of ['fixed:0.8', 'edt', 'learned']) {
          const policy = createPolicy(spec, { head: head.config });
          const request: RolloutRequest = { ...base, policy, head, eosTokenIds: [ref.greedy[1]![9]!], seed: 7 };
          const [a, b] = [await generateRollouts(hostSession, request), await generateRollouts(graphSession, request)];
          a.forEach((r, i) => {
            const g = b[i]!;
            assert.deepEqual(g.tokens, r.tokens, `${spec}: rollout ${i}`);
            assert.deepEqual(g.temperatures, r.temperatures, `${spec}: temperatures ${i}`);
            assert.deepEqual(g.entropies, r.entropies, `${spec}: entropies ${i}`);
            assert.deepEqual(g.hidden, r.hidden, `${spec}: recorded hidden states ${i}`);
            if (spec === 'learned') {
              assert.deepEqual(g.actions, r.actions, `actions ${i}`);
              g.actionLogprobs!.forEach((lp, j) => assert.ok(Math.abs(lp - r.actionLogprobs![j]!) < 1e-5, `action logprob ${i},${j}`));
            }
            g.logprobs.forEach((lp, j) =>
              assert.ok(Math.abs(lp - r.logprobs[j]!) < 1e-6, `${spec}: logprob ${i},${j}: ${lp} vs ${r.logprobs[j]}`),
            );
          });
        }
      } finally {
        await Promise.all([hostSession.release(), graphSession.release(), head.dispose()]);
      }
    });
  });
}

test('top-k/top-p requests draw on the host even with a graph sampler; sampling: graph needs the entropy output', async () => {
  const ref = loadReference('qwen2-tiny');
  const session = await DecodeSession.load(ref.checkpoint, { sampling: 'graph' });
  let calls = 0;
  const counting = withSampler(session, { sample: (...args) => (calls++, session.sampler!.sample(...args)) });
  try {
    const request = {
      prompts: [ref.ids[0]!.slice(0, 4)],
      groupSize: 2,
      maxNewTokens: 5,
      eosTokenIds: [],
      decodeText: () => '',
      seed: 3,
      batchSize: 2,
      policy: createPolicy('fixed:1.0'),
    };
    const truncated = await generateRollouts(counting, { ...request, sampling: { topK: 5 } });
    assert.equal(calls, 0, 'top-k drew on the host');
    const hostTruncated = await generateRollouts(await DecodeSession.load(ref.checkpoint), { ...request, sampling: { topK: 5 } });
    assert.deepEqual(
      truncated.map((r) => r.tokens),
      hostTruncated.map((r) => r.tokens),
    );
    await generateRollouts(counting, request);
    assert.equal(calls, 5, 'one graph draw per step otherwise');
  } finally {
    await session.release();
  }
  await assert.rejects(DecodeSession.load(ref.checkpoint, { sampling: 'graph', entropyOutput: false }), /entropy output/);
});
