import { test } from 'node:test';
import assert from 'node:assert/strict';
import { advantageEstimators, computeAdvantages } from '../../src/rl/advantages.js';
import { UnknownNameError } from '../../src/util/registry.js';

const EPS = 1e-6;

function assertClose(actual: ArrayLike<number>, expected: number[], tol = 1e-12): void {
  assert.equal(actual.length, expected.length);
  expected.forEach((e, i) => assert.ok(Math.abs(actual[i]! - e) <= tol, `index ${i}: ${actual[i]} vs ${e}`));
}

// Three groups of G = 3: mixed binary, uniform, and spread.
// group 0: mean 1/3, sample var ((2/3)^2 + 2 (1/3)^2) / 2 = 1/3; group 2: mean 1/2, sample var (1/4 + 0 + 1/4) / 2 = 1/4.
const rewards = [1, 0, 0, 1, 1, 1, 0, 0.5, 1];
const s0 = Math.sqrt(1 / 3);
const grpoExpected = [2 / 3 / (s0 + EPS), -1 / 3 / (s0 + EPS), -1 / 3 / (s0 + EPS), 0, 0, 0, -0.5 / (0.5 + EPS), 0, 0.5 / (0.5 + EPS)];

test('grpo: (r - group mean) / (sample std + eps), uniform group gives zero without being dropped', () => {
  const { value, metrics } = computeAdvantages('grpo', { rewards, groupSize: 3 });
  assertClose(value.advantages, grpoExpected);
  assert.deepEqual([...value.kept], [1, 1, 1, 1, 1, 1, 1, 1, 1]);
  assert.equal(value.groups.length, 3);
  const [mixed, uniform, spread] = value.groups;
  assert.ok(Math.abs((mixed?.mean ?? NaN) - 1 / 3) < 1e-15);
  assert.ok(Math.abs((mixed?.std ?? NaN) - s0) < 1e-15);
  assert.deepEqual(uniform, { mean: 1, std: 0, min: 1, max: 1, dropped: false });
  assert.deepEqual([spread?.min, spread?.max, spread?.std], [0, 1, 0.5]);
  assert.equal(metrics['advantage/dropped_group_fraction'], 0);
  assert.ok(Math.abs(metrics['advantage/mean']) < 1e-12);
  assert.equal(metrics['advantage/max'], 2 / 3 / (s0 + EPS));
  assert.equal(metrics['advantage/min'], -0.5 / (0.5 + EPS));
});

test('grpo with dropUniformGroups marks the uniform group and keeps the others', () => {
  const { value, metrics } = computeAdvantages('grpo', { rewards, groupSize: 3, dropUniformGroups: true });
  assertClose(value.advantages, grpoExpected);
  assert.deepEqual([...value.kept], [1, 1, 1, 0, 0, 0, 1, 1, 1]);
  assert.deepEqual(
    value.groups.map((g) => g.dropped),
    [false, true, false],
  );
  assert.equal(metrics['advantage/dropped_group_fraction'], 1 / 3);
  // mean/std over the six kept advantages only
  const kept = grpoExpected.filter((_, i) => i < 3 || i >= 6);
  const mean = kept.reduce((a, b) => a + b, 0) / 6;
  const std = Math.sqrt(kept.reduce((a, b) => a + (b - mean) ** 2, 0) / 6);
  assert.ok(Math.abs(metrics['advantage/mean'] - mean) < 1e-12);
  assert.ok(Math.abs(metrics['advantage/std'] - std) < 1e-12);
});

test('grpo eps option and grpo-no-std (Dr. GRPO) centring only', () => {
  const withEps = computeAdvantages('grpo', { rewards: [0, 1], groupSize: 2, eps: 0.5 });
  // mean 0.5, sample std sqrt(0.5)
  assertClose(withEps.value.advantages, [-0.5 / (Math.SQRT1_2 + 0.5), 0.5 / (Math.SQRT1_2 + 0.5)]);
  const drGrpo = computeAdvantages('grpo-no-std', { rewards, groupSize: 3 });
  assertClose(drGrpo.value.advantages, [2 / 3, -1 / 3, -1 / 3, 0, 0, 0, -0.5, 0, 0.5], 1e-15);
});

test('G = 1: no baseline, advantage is the raw reward; with dropping every group is uniform', () => {
  for (const name of ['grpo', 'grpo-no-std']) {
    const plain = computeAdvantages(name, { rewards: [1, 0, 0.5], groupSize: 1 });
    assertClose(plain.value.advantages, [1, 0, 0.5]);
    assert.deepEqual(plain.value.groups[0], { mean: 0, std: 0, min: 1, max: 1, dropped: false });
    const dropped = computeAdvantages(name, { rewards: [1, 0, 0.5], groupSize: 1, dropUniformGroups: true });
    assertClose(dropped.value.advantages, [0, 0, 0]);
    assert.deepEqual([...dropped.value.kept], [0, 0, 0]);
    assert.equal(dropped.metrics['advantage/dropped_group_fraction'], 1);
    assert.equal(dropped.metrics['advantage/mean'], 0);
  }
});

test('advantages: bad inputs are rejected, unknown estimators list the valid names', () => {
  assert.throws(() => computeAdvantages('grpo', { rewards: [1, 0, 1], groupSize: 2 }), /do not split into groups of 2/);
  assert.throws(() => computeAdvantages('grpo', { rewards: [1, 0], groupSize: 0 }), /group size/);
  assert.throws(() => computeAdvantages('grpo', { rewards: [1, NaN], groupSize: 2 }), /not finite/);
  assert.throws(
    () => computeAdvantages('ppo', { rewards: [1], groupSize: 1 }),
    (e: unknown) => e instanceof UnknownNameError && /grpo, grpo-no-std/.test(e.message),
  );
  assert.deepEqual(advantageEstimators.names(), ['grpo', 'grpo-no-std']);
});
