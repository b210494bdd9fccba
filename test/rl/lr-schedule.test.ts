import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLrSchedule } from '../../src/rl/lr-schedule.js';

const close = (a: number, b: number) => assert.ok(Math.abs(a - b) <= 1e-15 + 1e-12 * Math.abs(b), `${a} vs ${b}`);

test('constant: full rate from step 0 without warmup, linear ramp with warmup', () => {
  const flat = createLrSchedule('constant', { baseLr: 1e-3 });
  for (const s of [0, 1, 1000]) assert.equal(flat.lrAt(s), 1e-3);
  const warm = createLrSchedule('constant', { baseLr: 2, warmupSteps: 4 });
  assert.deepEqual(
    [0, 1, 2, 3, 4, 50].map((s) => warm.lrAt(s)),
    [0.5, 1, 1.5, 2, 2, 2],
  );
});

test('cosine: warmup, then half a cosine from baseLr down to minLrRatio * baseLr, then flat', () => {
  const lr = createLrSchedule('cosine', { baseLr: 1, warmupSteps: 2, totalSteps: 10, minLrRatio: 0.1 });
  const expected: [number, number][] = [
    [0, 0.5],
    [1, 1],
    [2, 1], // progress 0
    [4, 0.1 + 0.9 * ((1 + Math.SQRT1_2) / 2)], // progress 1/4: cos(pi/4)
    [6, 0.1 + 0.9 * 0.5], // progress 1/2
    [10, 0.1], // progress 1
    [25, 0.1],
  ];
  for (const [s, v] of expected) close(lr.lrAt(s), v);
  const toZero = createLrSchedule('cosine', { baseLr: 3, totalSteps: 4 });
  close(toZero.lrAt(0), 3);
  close(toZero.lrAt(2), 1.5);
  close(toZero.lrAt(4), 0);
});

test('lr schedules reject bad options and steps', () => {
  assert.throws(() => createLrSchedule('cosine', { baseLr: 1 }), /totalSteps/);
  assert.throws(() => createLrSchedule('cosine', { baseLr: 1, warmupSteps: 5, totalSteps: 5 }), /totalSteps > warmupSteps/);
  assert.throws(() => createLrSchedule('cosine', { baseLr: 1, totalSteps: 5, minLrRatio: 2 }), /minLrRatio/);
  assert.throws(() => createLrSchedule('constant', { baseLr: -1 }), /learning rate/);
  assert.throws(() => createLrSchedule('constant', { baseLr: 1, warmupSteps: 1.5 }), /warmup/);
  assert.throws(() => createLrSchedule('constant', { baseLr: 1 }).lrAt(-1), /step must be/);
  assert.throws(() => createLrSchedule('linear', { baseLr: 1 }), /valid: constant, cosine/);
});
