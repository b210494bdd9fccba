/**
 * A fresh head is the configured prior: for random hidden states its distribution over temperatures
 * has mean initTemperature and about initSpread standard deviation, for both kinds; and the config is
 * validated before anything is built.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type HeadKind, TemperatureHead, headForwardReference, resolveHeadConfig } from '../../src/policy/head/index.js';
import { streamFor } from '../../src/util/rng.js';
import { UserError } from '../../src/util/errors.js';

const ROWS = 64;
const H = 32;

/** Hidden states with an RMS of 3, like an LLM's final hidden state after its norm. */
function randomHidden(seed: number): Float64Array {
  const rng = streamFor(seed);
  return Float64Array.from({ length: ROWS * H }, () => 3 * rng.normal());
}

/** Mean and std of T under each row's distribution, computed from the definitions. */
function temperatureMoments(kind: HeadKind, grid: readonly number[], out: Float64Array): { mean: number; std: number }[] {
  const K = out.length / ROWS;
  return Array.from({ length: ROWS }, (_, n) => {
    const row = out.subarray(n * K, (n + 1) * K);
    if (kind === 'lognormal') {
      const [mu, sigma] = [row[0] as number, Math.exp(row[1] as number)];
      const mean = Math.exp(mu + sigma ** 2 / 2);
      return { mean, std: mean * Math.sqrt(Math.expm1(sigma ** 2)) };
    }
    const top = Math.max(...row);
    const w = Array.from(row, (z) => Math.exp(z - top));
    const total = w.reduce((a, b) => a + b, 0);
    const mean = w.reduce((acc, wk, k) => acc + (wk / total) * (grid[k] as number), 0);
    const variance = w.reduce((acc, wk, k) => acc + (wk / total) * ((grid[k] as number) - mean) ** 2, 0);
    return { mean, std: Math.sqrt(variance) };
  });
}

/** `stdTolerance` is absolute; null where the grid's end cuts the Gaussian off (then the std is smaller). */
const cases: { kind: HeadKind; initTemperature: number; initSpread: number; stdTolerance: number | null }[] = [
  { kind: 'grid', initTemperature: 1.0, initSpread: 0.3, stdTolerance: 0.02 },
  { kind: 'grid', initTemperature: 0.7, initSpread: 0.2, stdTolerance: 0.01 },
  { kind: 'grid', initTemperature: 0.4, initSpread: 0.4, stdTolerance: null },
  { kind: 'lognormal', initTemperature: 1.0, initSpread: 0.3, stdTolerance: 0.01 },
  { kind: 'lognormal', initTemperature: 0.6, initSpread: 0.5, stdTolerance: 0.01 },
];

for (const c of cases) {
  test(`fresh ${c.kind} head is centred on T0 = ${c.initTemperature} with spread ${c.initSpread}`, () => {
    const head = TemperatureHead.create({
      kind: c.kind,
      inputSize: H,
      initTemperature: c.initTemperature,
      initSpread: c.initSpread,
      seed: 3,
    });
    const moments = temperatureMoments(c.kind, head.config.grid, headForwardReference(head.config, head.params, randomHidden(1), ROWS));
    for (const [n, m] of moments.entries()) {
      assert.ok(Math.abs(m.mean - c.initTemperature) < 0.01, `row ${n}: mean T ${m.mean}, configured ${c.initTemperature}`);
      if (c.stdTolerance !== null)
        assert.ok(Math.abs(m.std - c.initSpread) < c.stdTolerance, `row ${n}: std T ${m.std}, configured ${c.initSpread}`);
      else assert.ok(m.std < c.initSpread && m.std > 0.1, `row ${n}: std T ${m.std}, a cut-off Gaussian of std ${c.initSpread}`);
    }
    // the prior barely depends on the hidden state, but it does depend on it (fc2 is not all zero)
    const means = moments.map((m) => m.mean);
    const spreadOfMeans = Math.max(...means) - Math.min(...means);
    assert.ok(spreadOfMeans > 0 && spreadOfMeans < 0.01, `row means differ by ${spreadOfMeans}`);
  });
}

test('initialisation is deterministic in the seed', () => {
  const a = TemperatureHead.create({ inputSize: 8, seed: 5 });
  const b = TemperatureHead.create({ inputSize: 8, seed: 5 });
  const c = TemperatureHead.create({ inputSize: 8, seed: 6 });
  assert.deepEqual(a.params, b.params);
  assert.notDeepEqual(a.params.get('fc1.weight'), c.params.get('fc1.weight'));
  assert.deepEqual(a.params.get('fc1.bias'), new Float32Array(64), 'first-layer biases start at 0');
});

test("first-layer weights have variance 1/H (pre-activations keep the hidden state's scale)", () => {
  const head = TemperatureHead.create({ inputSize: 256, hiddenSize: 128, seed: 9 });
  const w = head.params.get('fc1.weight') as Float32Array;
  const variance = w.reduce((acc, x) => acc + x * x, 0) / w.length;
  assert.ok(Math.abs(variance * 256 - 1) < 0.05, `variance x H = ${variance * 256}`);
});

test('config validation names the bad field', () => {
  const bad: [Parameters<typeof resolveHeadConfig>[0], RegExp][] = [
    [{ inputSize: 8, initTemperature: 2 }, /initTemperature \(2\) must lie within the grid \[0\.2, 1\.6\]/],
    [{ inputSize: 8, grid: [0.5, 0.4, 1] }, /grid must be finite temperatures > 0 in strictly increasing order/],
    [{ inputSize: 8, grid: [1] }, /grid needs at least 2 temperatures/],
    [{ inputSize: 0 }, /inputSize must be an integer >= 1/],
    [{ inputSize: 8, initSpread: 0 }, /initSpread must be finite and > 0/],
    [{ inputSize: 8, kind: 'beta' as HeadKind }, /kind must be one of grid, lognormal/],
  ];
  for (const [options, message] of bad)
    assert.throws(
      () => resolveHeadConfig(options),
      (e: unknown) => e instanceof UserError && message.test(e.message),
    );
  // a lognormal head ignores the grid, so its T0 may lie outside it
  assert.equal(resolveHeadConfig({ inputSize: 8, kind: 'lognormal', initTemperature: 2 }).initTemperature, 2);
});
