import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPolicy, type PolicySpec } from '../../src/policy/spec.js';
import type { PerTokenPolicy, StepContext } from '../../src/policy/types.js';
import { UserError } from '../../src/util/errors.js';

function perToken(spec: PolicySpec): PerTokenPolicy {
  const policy = createPolicy(spec);
  assert.equal(policy.kind, 'per-token');
  return policy as PerTokenPolicy;
}

function ctx(fields: Partial<StepContext>): StepContext {
  return { logits: Float32Array.of(0, 1), entropy: 1, step: 0, progress: 0, ...fields };
}

// Expected values are the policies' formulas evaluated by hand for the given entropies (nats) and steps.
const table: { spec: PolicySpec; context: Partial<StepContext>; expected: number; why: string }[] = [
  { spec: 'greedy', context: { entropy: 3 }, expected: 0, why: 'always 0' },
  { spec: 'fixed:0.6', context: { entropy: 0.1 }, expected: 0.6, why: 'constant' },
  { spec: 'fixed', context: {}, expected: 1, why: 'default t = 1' },
  { spec: 'edt', context: { entropy: 2 }, expected: 0.894427190999916, why: '1 * 0.8^(1/2) = sqrt(0.8)' },
  { spec: 'edt', context: { entropy: 0.5 }, expected: 0.64, why: '1 * 0.8^2' },
  { spec: 'edt', context: { entropy: 1 }, expected: 0.8, why: 'H = theta gives T0 * N' },
  { spec: { name: 'edt', T0: 1.5, N: 0.5, theta: 2 }, context: { entropy: 4 }, expected: 1.0606601717798212, why: '1.5 * 0.5^(1/2)' },
  { spec: 'edt', context: { entropy: 0.1 }, expected: 0.1073741824, why: '0.8^10 above the floor' },
  { spec: 'edt', context: { entropy: 0.01 }, expected: 0.05, why: '0.8^100 = 2e-10, clamped to minT' },
  { spec: 'edt', context: { entropy: 0 }, expected: 0.05, why: 'H = 0: N^inf = 0, clamped to minT' },
  { spec: 'edt:N=1,T0=0.7', context: { entropy: 0 }, expected: 0.7, why: 'N = 1: T0 at every entropy, even H = 0' },
  { spec: 'edt:minT=0.2', context: { entropy: 0.1 }, expected: 0.2, why: 'custom floor' },
  { spec: 'entropy-threshold', context: { entropy: 0.5 }, expected: 0.6, why: 'H < 1 nat: low' },
  { spec: 'entropy-threshold', context: { entropy: 1 }, expected: 1.2, why: 'H = threshold counts as high' },
  { spec: 'entropy-threshold', context: { entropy: 2.3 }, expected: 1.2, why: 'H > 1 nat: high' },
  { spec: 'entropy-threshold:low=0.2,high=0.9,threshold=2', context: { entropy: 1.5 }, expected: 0.2, why: 'custom' },
  { spec: 'schedule', context: { trainingStep: 0, totalTrainingSteps: 100 }, expected: 1, why: 'linear start = from' },
  { spec: 'schedule', context: { trainingStep: 50, totalTrainingSteps: 100 }, expected: 0.8, why: 'linear mid: (1 + 0.6) / 2' },
  { spec: 'schedule', context: { trainingStep: 25, totalTrainingSteps: 100 }, expected: 0.9, why: 'linear quarter: 1 - 0.4 / 4' },
  { spec: 'schedule', context: { trainingStep: 100, totalTrainingSteps: 100 }, expected: 0.6, why: 'linear end = to' },
  { spec: 'schedule', context: { trainingStep: 130, totalTrainingSteps: 100 }, expected: 0.6, why: 'held at `to` past the end' },
  {
    spec: 'schedule:from=1.2,to=0.6,shape=cosine',
    context: { trainingStep: 0, totalTrainingSteps: 100 },
    expected: 1.2,
    why: 'cosine start',
  },
  {
    spec: 'schedule:from=1.2,to=0.6,shape=cosine',
    context: { trainingStep: 50, totalTrainingSteps: 100 },
    expected: 0.9,
    why: 'cosine mid: average',
  },
  {
    spec: 'schedule:from=1.2,to=0.6,shape=cosine',
    context: { trainingStep: 25, totalTrainingSteps: 100 },
    expected: 0.6 + (0.6 * (1 + Math.SQRT1_2)) / 2,
    why: 'cosine quarter: to + (from - to)(1 + cos(pi/4)) / 2 = 1.11213...',
  },
  {
    spec: 'schedule:from=1.2,to=0.6,shape=cosine',
    context: { trainingStep: 100, totalTrainingSteps: 100 },
    expected: 0.6,
    why: 'cosine end',
  },
  {
    spec: { name: 'schedule', from: 0.5, to: 1.5 },
    context: { trainingStep: 3, totalTrainingSteps: 4 },
    expected: 1.25,
    why: 'annealing upwards works too',
  },
];

test('heuristic policies: hand-computed temperatures', () => {
  for (const { spec, context, expected, why } of table) {
    const got = perToken(spec).temperature(ctx(context));
    assert.ok(Math.abs(got - expected) < 1e-12, `${JSON.stringify(spec)} (${why}): got ${got}, expected ${expected}`);
  }
});

test('edt: temperature rises with entropy towards T0 and never drops below minT', () => {
  const edt = perToken('edt');
  let previous = 0;
  for (const entropy of [0, 1e-6, 0.05, 0.2, 0.7, 1.5, 4, 12, 1e6]) {
    const t = edt.temperature(ctx({ entropy }));
    assert.ok(t >= previous && t >= 0.05 && t <= 1, `H=${entropy}: ${t}`);
    previous = t;
  }
  assert.ok(previous > 0.9999);
});

test('schedule: needs training progress, and says so', () => {
  const schedule = perToken('schedule');
  assert.equal(schedule.needsTrainingProgress, true);
  assert.equal(perToken('edt').needsTrainingProgress, false);
  assert.throws(
    () => schedule.temperature(ctx({})),
    (e: unknown) => e instanceof UserError && /trainingStep and totalTrainingSteps/.test(e.message),
  );
  assert.throws(() => schedule.temperature(ctx({ trainingStep: 3 })), UserError);
  assert.throws(() => schedule.temperature(ctx({ trainingStep: -1, totalTrainingSteps: 10 })), RangeError);
  assert.throws(() => schedule.temperature(ctx({ trainingStep: 1, totalTrainingSteps: 0 })), RangeError);
});

test('entropy-reading policies reject a bad entropy from the engine', () => {
  for (const spec of ['edt', 'entropy-threshold']) {
    for (const entropy of [Number.NaN, -0.1, Infinity]) {
      assert.throws(() => perToken(spec).temperature(ctx({ entropy })), RangeError, `${spec} H=${entropy}`);
    }
  }
});
