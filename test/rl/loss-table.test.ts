/**
 * The loss table, table-driven: for every registered policy loss x every aggregation mode, the graph
 * that both training graphs build (policyObjective, with KL and entropy terms) against the plain
 * loops: each loss's own per-token reference, aggregated by the mode's plain-loop `aggregate` (not
 * by its weights), for the value, the clip fraction and, by central finite differences of that
 * reference, the gradients. Float64 graphs, so the tolerances are tight.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { GraphBuilder, createSession, grad, toModelBytes } from '../../src/onnx/index.js';
import { policyLosses, policyObjective, policyObjectiveReference } from '../../src/model/graphs/policy-losses.js';
import { aggregateLoss, lossAggregations } from '../../src/rl/loss-aggregation.js';

const B = 3;
const M = 5;
// Row 0: 3 tokens; row 1: all 5; row 2: none (an empty row, as a fully greedy completion leaves).
const mask = [
  [1, 1, 1, 0, 0],
  [1, 1, 1, 1, 1],
  [0, 0, 0, 0, 0],
];
const advantages = [1.3, -0.8, 0.5];
// log ratios: inside the clip range, above 1 + clipHigh, below 1 - clipLow, and (row 1, A < 0) far above the dual-clip cap
const logRatio = [
  [0.05, 0.6, -0.5, 0.1, 0],
  [1.6, -0.45, 0.02, 0.4, -0.1],
  [0.3, 0, 0, 0, 0],
];
const oldLogp = [
  [-1.2, -0.7, -2.1, -0.4, -3],
  [-0.9, -1.6, -0.3, -2.4, -1.1],
  [-0.5, -1, -1, -1, -1],
];
const logp = oldLogp.map((row, b) => row.map((x, t) => x + logRatio[b]![t]!));
const refLogp = logp.map((row, b) => row.map((x, t) => x + 0.3 * Math.sin(3 * b + t)));
const entropy = logp.map((row, b) => row.map((_, t) => 0.5 + 0.1 * (b + t)));
const [clipLow, clipHigh, klCoef, entropyCoef] = [0.2, 0.28, 0.07, 0.03];
const normLength = 7;
const flat = (m: number[][]) => m.flat();

/** The graph under test: policyObjective over [B, M] inputs, differentiated with respect to logprobs and entropy. */
async function lossGraph(name: string): Promise<ort.InferenceSession> {
  const g = new GraphBuilder(`loss_table_${name}`);
  const perToken = (n: string) => g.input(n, 'float64', ['B', 'M']);
  const scalar = (n: string) => g.input(n, 'float64', []);
  const logprobs = perToken('logprobs');
  const entropyIn = perToken('entropy');
  const { loss, clipFraction } = policyObjective(g, name, {
    logprobs,
    oldLogprobs: perToken('old_logprobs'),
    advantages: g.unsqueeze(g.input('advantages', 'float64', ['B']), { axes: [1] }),
    weights: perToken('weights'),
    clipLow: scalar('clip_low'),
    clipHigh: scalar('clip_high'),
    kl: { refLogprobs: perToken('ref_logprobs'), coef: scalar('kl_coef') },
    entropy: { perToken: entropyIn, coef: scalar('entropy_coef') },
  });
  g.output(loss, 'loss');
  g.output(clipFraction, 'clip_fraction');
  return createSession(toModelBytes(grad(g.build(), 'loss', ['logprobs', 'entropy'], { keepOutputs: ['clip_fraction'] })));
}

/** The reference: the loss's plain loop per token, aggregated by the mode's plain loop. */
function reference(name: string, mode: string, lp: number[][], ent: number[][]): number {
  const { perToken } = policyObjectiveReference(name, {
    logp: flat(lp),
    oldLogp: flat(oldLogp),
    advantages: flat(lp.map((row, b) => row.map(() => advantages[b]!))),
    weights: flat(mask), // only the per-token values are used here
    clipLow,
    clipHigh,
    kl: { refLogp: flat(refLogp), coef: klCoef },
    entropy: { perToken: flat(ent), coef: entropyCoef },
  });
  const matrix = lp.map((row, b) => Array.from(row, (_, t) => perToken[b * M + t]!));
  return aggregateLoss(mode, matrix, mask, { normLength });
}

for (const name of policyLosses.names()) {
  for (const mode of lossAggregations.names()) {
    test(`${name} x ${mode}: graph value, clip fraction and gradients equal the plain-loop reference`, async () => {
      const session = await lossGraph(name);
      const weights = Float64Array.from(lossAggregations.get(mode).weights(mask, { normLength }));
      const f64 = (v: ArrayLike<number>, dims: number[]) => new ort.Tensor('float64', Float64Array.from(v), dims);
      const out = await session.run({
        logprobs: f64(flat(logp), [B, M]),
        old_logprobs: f64(flat(oldLogp), [B, M]),
        advantages: f64(advantages, [B]),
        weights: f64(weights, [B, M]),
        ref_logprobs: f64(flat(refLogp), [B, M]),
        entropy: f64(flat(entropy), [B, M]),
        clip_low: f64([clipLow], []),
        clip_high: f64([clipHigh], []),
        kl_coef: f64([klCoef], []),
        entropy_coef: f64([entropyCoef], []),
      });
      const value = (out.loss!.data as Float64Array)[0]!;
      const want = reference(name, mode, logp, entropy);
      assert.ok(Math.abs(value - want) < 1e-12, `loss ${value} vs ${want}`);

      // The clip fraction: tokens whose gradient the loss clips away, weighted by the aggregation.
      const fromTable = policyObjectiveReference(name, {
        logp: flat(logp),
        oldLogp: flat(oldLogp),
        advantages: flat(logp.map((row, b) => row.map(() => advantages[b]!))),
        weights,
        clipLow,
        clipHigh,
      });
      const clipFraction = (out.clip_fraction!.data as Float64Array)[0]!;
      assert.ok(Math.abs(clipFraction - fromTable.clipFraction) < 1e-12, `clip fraction ${clipFraction} vs ${fromTable.clipFraction}`);
      assert.ok(clipFraction > 0 && clipFraction < 1, 'some but not all tokens clipped');

      // Gradients by central differences of the reference.
      const eps = 1e-6;
      for (const [input, base] of [
        ['logprobs', logp],
        ['entropy', entropy],
      ] as const) {
        const analytic = out[`grad.${input}`]!.data as Float64Array;
        for (let b = 0; b < B; b++) {
          for (let t = 0; t < M; t++) {
            const at = (delta: number) => {
              const moved = base.map((row, i) => row.map((x, j) => (i === b && j === t ? x + delta : x)));
              return input === 'logprobs' ? reference(name, mode, moved, entropy) : reference(name, mode, logp, moved);
            };
            const numeric = (at(eps) - at(-eps)) / (2 * eps);
            assert.ok(Math.abs(analytic[b * M + t]! - numeric) < 1e-7, `${input}[${b}][${t}]: ${analytic[b * M + t]} vs ${numeric}`);
          }
        }
      }
      await session.release();
    });
  }
}

test('dual-clip caps negative-advantage tokens far above the ratio range; clipped does not', () => {
  const token = { logp: Math.log(4.5), oldLogp: 0, advantage: -0.8, clipLow: 0.2, clipHigh: 0.28 };
  assert.ok(Math.abs(policyLosses.get('clipped').reference(token).loss - 4.5 * 0.8) < 1e-12);
  assert.deepEqual(policyLosses.get('dual-clip').reference(token), { loss: 3 * 0.8, clipped: true });
  // positive advantage: the two agree
  const positive = { ...token, advantage: 0.8 };
  assert.deepEqual(policyLosses.get('dual-clip').reference(positive), policyLosses.get('clipped').reference(positive));
});
