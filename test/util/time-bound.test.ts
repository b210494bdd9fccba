import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mapWithin, runWithin, TimeLimitExceeded } from '../../src/util/time-bound.js';

/** Busy for `ms` ms (no timers: only a watchdog can stop it early), then returns `ms`. */
function spin(ms: number): number {
  const end = performance.now() + ms;
  while (performance.now() < end);
  return ms;
}

test('runWithin returns the result and passes errors through, and stops a regex that backtracks catastrophically', () => {
  assert.equal(
    runWithin(1000, () => 7),
    7,
  );
  assert.throws(
    () =>
      runWithin(1000, () => {
        throw new RangeError('own error');
      }),
    RangeError,
  );
  const t0 = performance.now();
  // 2^40 paths: hours unless interrupted; the bound stops it inside the regex engine.
  assert.throws(
    () => runWithin(200, () => /(.+)+#/u.test('x'.repeat(40))),
    (e: unknown) => e instanceof TimeLimitExceeded && e.message === 'took longer than 200 ms',
  );
  assert.ok(performance.now() - t0 < 5000, `stopped after ${Math.round(performance.now() - t0)} ms`);
  assert.equal(
    runWithin(1000, () => 8),
    8,
    'usable again afterwards',
  );
});

test('mapWithin gives every item the whole limit, whatever the batch takes in all, and names the item that alone exceeds it', () => {
  // Five items of 0.6 of the limit: 3x the limit in all, each within it.
  assert.deepEqual(
    mapWithin([120, 120, 120, 120, 120], 200, spin, () => new Error('none is too slow')),
    [120, 120, 120, 120, 120],
  );
  const t0 = performance.now();
  assert.throws(
    () => mapWithin([10, 10, 1_000_000], 200, spin, (item, index) => new Error(`item ${index} (${item} ms)`)),
    /^Error: item 2 \(1000000 ms\)$/,
  );
  assert.ok(performance.now() - t0 < 5000, `stopped after ${Math.round(performance.now() - t0)} ms`);
  assert.deepEqual(
    mapWithin([], 200, spin, () => new Error('no items')),
    [],
  );
});
