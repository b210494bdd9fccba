/**
 * Checks of the in-graph sampler against the host sampler with the same uniform, shared by the CPU
 * and WebGPU tests.
 *
 * The bound on mismatches. The host draws in float64; the graph in float64 on CPU (the host's
 * arithmetic in its order: only exp's last bits differ, so TOL below is ~1e-13 and mismatches
 * should not occur) or in float32 on devices. With z = (x - max) / T the float32 weight e^z carries
 * a relative error of at most (2|z| + 3)·2^-24 (the subtraction and division round z, exp adds
 * about an ulp); weights with |z| > 40 are below 4e-18 of the largest and do not matter, so the
 * weights are within 83·2^-24 relative. Their running sum, in blocks of b = ceil(sqrt(V)) tokens
 * and then over the n = ceil(V / b) block sums, adds at most (b + n)·2^-24 relative (recursive
 * summation bounds, any order within a block), and the target u·total two more roundings (u
 * rounded down to float32, the product). So every float32 cumulative weight is within
 * TOL = (b + n + 90)·2^-24 of the total of its float64 value, and the two samplers can only pick
 * different tokens when the float64 target lies within TOL·total of the cumulative weights at both
 * ends of the range between the two picks. {@link compareDraw} checks exactly that for every
 * mismatch and counts the mismatches and the near-boundary draws (those within TOL·total of any
 * boundary), whose share bounds the mismatch rate.
 */
import assert from 'node:assert/strict';
import { TokenSampler } from '../../src/rollout/sampling.js';
import type { GraphSampler, LastTensors } from '../../src/model/graph-sampler.js';
import type { BatchDecoder } from '../../src/rollout/types.js';
import type { Rng } from '../../src/util/rng.js';

export const fixedUniform = (u: number): Rng => ({ uniform: () => u }) as Rng;
export const host = new TokenSampler();

/** The host's float64 cumulative weights of one row at temperature T (T = 0 scored at 1). */
function cumulative(logits: Float32Array, T: number): Float64Array {
  let m = -Infinity;
  for (const x of logits) m = Math.max(m, x);
  const t = T === 0 ? 1 : T;
  const c = new Float64Array(logits.length);
  let sum = 0;
  logits.forEach((x, i) => (c[i] = sum += Math.exp((x - m) / t)));
  return c;
}

export interface Tally {
  draws: number;
  mismatches: number;
  nearBoundary: number;
  worstLogprob: number;
}

/**
 * Compares one graph draw with the host sampler on the same row and uniform; a mismatch must be a
 * boundary straddle (see the module comment).
 */
export function compareDraw(
  tally: Tally,
  logits: Float32Array,
  T: number,
  u: number,
  graph: { token: number; logprob: number },
  where: string,
  precision: 'float32' | 'float64',
): void {
  const expected = host.sample(logits, T, fixedUniform(u));
  const V = logits.length;
  const b = Math.ceil(Math.sqrt(V));
  const tol = precision === 'float64' ? (V + 90) / 2 ** 53 : (b + Math.ceil(V / b) + 90) / 2 ** 24;
  tally.draws++;
  if (graph.token === expected.token) {
    tally.worstLogprob = Math.max(tally.worstLogprob, Math.abs(graph.logprob - expected.logprob));
    const allowed = precision === 'float64' ? 1e-12 : 1e-5 + 1e-6 * Math.abs(expected.logprob);
    assert.ok(Math.abs(graph.logprob - expected.logprob) <= allowed, `${where}: logprob ${graph.logprob} vs ${expected.logprob}`);
  }
  if (T === 0) {
    assert.equal(graph.token, expected.token, `${where}: greedy picks the first argmax`);
    return;
  }
  const c = cumulative(logits, T);
  const total = c[V - 1]!;
  const target = u * total;
  if (c.some((ck) => Math.abs(ck - target) <= tol * total)) tally.nearBoundary++;
  if (graph.token === expected.token) return;
  tally.mismatches++;
  const lo = Math.min(graph.token, expected.token);
  const hi = Math.max(graph.token, expected.token);
  const off = Math.max(Math.abs(c[lo]! - target), Math.abs(c[hi - 1]! - target)) / total;
  assert.ok(
    off <= tol,
    `${where}: graph token ${graph.token}, host ${expected.token}, and the target is ${off} of the total from the boundary (bound ${tol})`,
  );
}

export function newTally(): Tally {
  return { draws: 0, mismatches: 0, nearBoundary: 0, worstLogprob: 0 };
}

/**
 * `decoder` (a DecodeSession) whose draws are made by `sampler` and each checked with
 * {@link compareDraw} against the host sampler on the logits `hostLogits` gives for the check.
 */
export function checkedDecoder(
  decoder: Omit<BatchDecoder, 'sampler'>,
  sampler: GraphSampler,
  tally: Tally,
  hostLogits: (last: LastTensors) => Promise<Float32Array>,
): BatchDecoder {
  return withSampler(decoder, {
    async sample(last, rows, temperatures, uniforms, opts) {
      const got = await sampler.sample(last, rows, temperatures, uniforms, opts);
      const V = last.logits.dims[2] as number;
      const logits = await hostLogits(last);
      rows.forEach((r, i) => {
        const graph = { token: got.tokens[i]!, logprob: got.logprobs[i]! };
        compareDraw(tally, logits.subarray(r * V, (r + 1) * V), temperatures[i]!, uniforms[i]!, graph, `row ${r}`, sampler.precision);
      });
      return got;
    },
  });
}

/** `decoder` (a DecodeSession) with its draws made by `sampler` instead: for checking or counting them. */
export function withSampler(decoder: Omit<BatchDecoder, 'sampler'>, sampler: NonNullable<BatchDecoder['sampler']>): BatchDecoder {
  return { prefill: (p) => decoder.prefill(p), step: (t) => decoder.step(t), keepRows: (r) => decoder.keepRows(r), sampler };
}
