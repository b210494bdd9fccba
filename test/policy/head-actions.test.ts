import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sampleGridAction } from '../../src/policy/grid-action.js';
import { logNormalLogDensity, sampleLogNormal } from '../../src/policy/log-normal.js';
import { createPolicy } from '../../src/policy/spec.js';
import type { HeadPolicy } from '../../src/policy/types.js';
import { streamFor } from '../../src/util/rng.js';
import { UserError } from '../../src/util/errors.js';
import { headGridProblem } from '../../src/config/index.js';
import { TemperatureHead } from '../../src/policy/head/index.js';

const close = (a: number, b: number, tol = 1e-12): boolean => Math.abs(a - b) <= tol;

test('sampleGridAction: frequencies and log-probs follow softmax(temperature logits)', () => {
  const row = Float32Array.of(0.25, 1, -0.5, 0.75);
  const grid = [0.5, 0.8, 1.1, 1.4];
  const e = Array.from(row, Math.exp);
  const z = e.reduce((a, b) => a + b, 0);
  const probs = e.map((v) => v / z);
  const rng = streamFor(31);
  const n = 20_000;
  const count = [0, 0, 0, 0];
  for (let i = 0; i < n; i++) {
    const { action, temperature, logprob } = sampleGridAction(row, grid, rng);
    assert.equal(temperature, grid[action]);
    assert.ok(close(logprob, Math.log(probs[action]!), 1e-7));
    count[action]!++;
  }
  const chi = count.reduce((s, c, k) => s + (c - n * probs[k]!) ** 2 / (n * probs[k]!), 0);
  assert.ok(chi < 16.27, `chi-square ${chi} (df 3, p = 0.001)`);
});

test('sampleGridAction: greedy takes the argmax, reports its log-prob, and draws one uniform', () => {
  const row = Float32Array.of(0, 2, 1);
  const rng = streamFor(4);
  const reference = rng.clone();
  const action = sampleGridAction(row, [0.3, 0.9, 1.5], rng, { greedy: true });
  assert.deepEqual({ ...action, logprob: 0, entropy: 0 }, { action: 1, temperature: 0.9, logprob: 0, entropy: 0 });
  assert.ok(close(action.logprob, 2 - Math.log(1 + Math.exp(2) + Math.E)));
  reference.uniform();
  assert.deepEqual(rng.exportState(), reference.exportState());
});

test('head actions report the entropy of the distribution they were drawn from', () => {
  // grid: -sum p log p of softmax(row), by hand; the same whatever is drawn, greedy included
  const row = Float32Array.of(0.25, 1, -0.5, 0.75);
  const e = Array.from(row, Math.exp);
  const z = e.reduce((a, b) => a + b, 0);
  const expected = -e.reduce((acc, v) => acc + (v / z) * Math.log(v / z), 0);
  for (const greedy of [false, true])
    assert.ok(close(sampleGridAction(row, [0.5, 0.8, 1.1, 1.4], streamFor(3), { greedy }).entropy, expected, 1e-9));
  assert.ok(
    close(sampleGridAction(new Float32Array(8), [1, 2, 3, 4, 5, 6, 7, 8], streamFor(0)).entropy, Math.log(8), 1e-9),
    'uniform: log K',
  );
  // log-normal: the differential entropy of T, -integral p(T) log p(T) dT (trapezoid in y = log T, dT = e^y dy)
  const mu = 0.2;
  const sigma = 0.3;
  const steps = 4000;
  const lo = mu - 12 * sigma;
  const h = (24 * sigma) / steps;
  let integral = 0;
  for (let i = 0; i <= steps; i++) {
    const y = lo + i * h;
    const logp = logNormalLogDensity(Math.exp(y), mu, Math.log(sigma));
    integral -= (i === 0 || i === steps ? 0.5 : 1) * h * Math.exp(logp) * logp * Math.exp(y);
  }
  assert.ok(close(sampleLogNormal(mu, Math.log(sigma), streamFor(5)).entropy, integral, 1e-9), `entropy vs integral ${integral}`);
});

test('sampleGridAction: mismatched lengths and bad grid temperatures are errors', () => {
  assert.throws(() => sampleGridAction(Float32Array.of(0, 1), [1, 2, 3], streamFor(0)), /2 entries but the grid has 3/);
  assert.throws(() => sampleGridAction(Float32Array.of(0, 5), [1, 0], streamFor(0), { greedy: true }), /grid temperature 1 is 0/);
});

test('logNormalLogDensity: hand-computed value; a density over T that integrates to 1', () => {
  // T = 0.8, mu = -0.1, sigma = 0.5: z = (log 0.8 + 0.1) / 0.5 = -0.246287...
  // log p = -log 0.8 - log 0.5 - log(2 pi) / 2 - z^2 / 2 = 0.223144 + 0.693147 - 0.918939 - 0.030329
  assert.ok(close(logNormalLogDensity(0.8, -0.1, Math.log(0.5)), -0.03297646979106847));
  assert.equal(logNormalLogDensity(0, 0, 0), -Infinity);
  assert.equal(logNormalLogDensity(-1, 0, 0), -Infinity);
  // Integrate p(T) dT with T = e^y, dT = e^y dy (trapezoid over mu +- 12 sigma): 1 only if the Jacobian -log T is in.
  const mu = 0.2;
  const logStd = Math.log(0.3);
  const steps = 4000;
  const lo = mu - 12 * 0.3;
  const h = (24 * 0.3) / steps;
  let mass = 0;
  let mean = 0;
  for (let i = 0; i <= steps; i++) {
    const y = lo + i * h;
    const weight = (i === 0 || i === steps ? 0.5 : 1) * h;
    const p = Math.exp(logNormalLogDensity(Math.exp(y), mu, logStd)) * Math.exp(y);
    mass += weight * p;
    mean += weight * p * Math.exp(y);
  }
  assert.ok(close(mass, 1, 1e-9), `mass ${mass}`);
  assert.ok(close(mean, Math.exp(mu + 0.09 / 2), 1e-9), `E[T] ${mean}`); // exp(mu + sigma^2 / 2)
  assert.throws(() => logNormalLogDensity(1, Number.NaN, 0), RangeError);
});

test('sampleLogNormal: log T ~ Normal(mu, sigma); logprob is the density at the sample', () => {
  const mu = -0.3;
  const logStd = Math.log(0.4);
  const rng = streamFor(12);
  const n = 20_000;
  let sum = 0;
  let sumSq = 0;
  for (let i = 0; i < n; i++) {
    const { temperature, logprob } = sampleLogNormal(mu, logStd, rng);
    assert.ok(temperature > 0);
    assert.ok(close(logprob, logNormalLogDensity(temperature, mu, logStd), 1e-12));
    const y = Math.log(temperature);
    sum += y;
    sumSq += y * y;
  }
  const mean = sum / n;
  assert.ok(Math.abs(mean - mu) < 0.015, `mean of log T ${mean}`); // standard error 0.4 / sqrt(n) = 0.0028
  assert.ok(Math.abs(Math.sqrt(sumSq / n - mean * mean) - 0.4) < 0.01);

  const greedyRng = streamFor(1);
  const reference = greedyRng.clone();
  const greedy = sampleLogNormal(mu, logStd, greedyRng, { greedy: true });
  assert.ok(close(greedy.temperature, Math.exp(mu)));
  reference.normal();
  assert.deepEqual(greedyRng.exportState(), reference.exportState(), 'one normal drawn, greedy included');
  assert.throws(() => sampleLogNormal(800, 0, streamFor(0)), /over\/underflowed to Infinity/);
});

test('learned policy: head-driven, its action space comes from the head config', () => {
  const headGrid = [0.2, 0.4, 0.6, 0.8, 1, 1.2, 1.4, 1.6];
  const grid = createPolicy('learned', { head: { kind: 'grid', grid: headGrid } }) as HeadPolicy;
  assert.equal(grid.kind, 'head');
  assert.equal(grid.distribution, 'grid');
  assert.equal(grid.outputWidth, 8);
  assert.equal(grid.greedy, false);
  const row = new Float32Array(8);
  row[6] = 3;
  const rng = streamFor(2);
  for (let i = 0; i < 50; i++) {
    const action = grid.act(row, rng);
    assert.equal(action.distribution, 'grid');
    if (action.distribution === 'grid') assert.equal(action.temperature, headGrid[action.action]);
  }
  assert.throws(() => grid.act(new Float32Array(5), rng), /5 entries but the grid has 8/);

  const greedy = createPolicy('learned:greedy=true', { head: { kind: 'grid', grid: [0.4, 0.6, 0.8, 1] } }) as HeadPolicy;
  const picked = greedy.act(Float32Array.of(0, 0, 1, 0), rng);
  assert.equal(picked.temperature, 0.8);

  const logNormal = createPolicy('learned', { head: { kind: 'lognormal', grid: [] } }) as HeadPolicy;
  assert.equal(logNormal.outputWidth, 2);
  assert.equal(logNormal.grid, null);
  const headRow = Float32Array.of(0, Math.log(0.2)); // (mu, logStd), rounded to float32 as the head emits them
  const drawn = logNormal.act(headRow, rng);
  assert.equal(drawn.distribution, 'lognormal');
  assert.ok(close(drawn.logprob, logNormalLogDensity(drawn.temperature, headRow[0]!, headRow[1]!)));
  assert.throws(() => logNormal.act(Float32Array.of(0, 1, 2), rng), /\(mu, logStd\)/);

  assert.throws(
    () => createPolicy('learned'),
    (e: unknown) => e instanceof UserError && /needs a temperature head/.test(e.message),
  );
  // The head's grid is validated in one place, when the head's config is made (a head's config is
  // what the policy receives): headGridProblem, also behind the `head` section's config check.
  for (const grid of [[0.5, 0], [], [1, 0.5], [0.5, Infinity]]) {
    assert.notEqual(headGridProblem({ kind: 'grid', grid, initTemperature: 0.5 }), undefined, `[${grid.join(', ')}]`);
    assert.throws(() => TemperatureHead.create({ kind: 'grid', grid, inputSize: 4, initTemperature: 0.5 }), UserError);
  }
});
