/** The comparison's ETA (api/compare-progress.ts) against hand-computed values. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CellPace, CompareProgress } from '../../src/api/compare-progress.js';

test('the pace: seconds per iteration and per evaluation sample, fitted over measured cells (hand-computed)', () => {
  const pace = new CellPace();
  assert.ok(Number.isNaN(pace.secondsFor([{ iterations: 10, evalSamples: 100 }])), 'no measurement: unknown');
  assert.equal(pace.secondsFor([]), 0, 'nothing left: 0');
  // 10 iterations in 50 s (5 s each), 100 samples in 10 s (0.1 s each)
  pace.record({ iterations: 10, evalSamples: 100, trainSeconds: 50, evalSeconds: 10 });
  // a coordinate-ascent cell (20 iterations) and a cell with twice the evaluation: 20*5 + 100*0.1 + 10*5 + 200*0.1
  assert.equal(
    pace.secondsFor([
      { iterations: 20, evalSamples: 100 },
      { iterations: 10, evalSamples: 200 },
    ]),
    180,
  );
  // a second cell: 20 iterations in 60 s, 100 samples in 30 s -> 110 s / 30 iterations, 40 s / 200 samples
  pace.record({ iterations: 20, evalSamples: 100, trainSeconds: 60, evalSeconds: 30 });
  assert.ok(Math.abs(pace.secondsFor([{ iterations: 10, evalSamples: 200 }]) - ((10 * 110) / 30 + 200 * 0.2)) < 1e-9);
  // a cell resumed with no iterations left costs only its evaluation
  assert.ok(Math.abs(pace.secondsFor([{ iterations: 0, evalSamples: 50 }]) - 10) < 1e-9);
});

test('cell k/N: reused cells count as done and leave the pace alone; the ETA covers every cell not done', () => {
  const progress = new CompareProgress([
    { method: 'fixed-0.6', seed: 0, iterations: 10, evalSamples: 100, done: true },
    { method: 'fixed-1.0', seed: 0, iterations: 10, evalSamples: 100, done: false },
    { method: 'learned', seed: 0, iterations: 20, evalSamples: 300, done: false },
    // planned as done (its result matched), but it will turn out to need training
    { method: 'learned', seed: 1, iterations: 20, evalSamples: 300, done: true },
  ]);
  assert.deepEqual([progress.total, progress.done], [4, 2]);
  const reused = progress.reused('fixed-0.6', 0);
  assert.deepEqual(reused.fields, { cell: 1, cells: 4, done: 2, method: 'fixed-0.6', seed: 0, etaSeconds: null });
  assert.equal(reused.message, 'cell 1/4 fixed-0.6 seed 0: reused (finished before) · ETA ?');
  assert.equal(
    progress.started('fixed-1.0', 0, { iterations: 10, evalSamples: 100 }).message,
    'cell 2/4 fixed-1.0 seed 0: training 10 iterations · ETA ?',
  );
  // 10 iterations in 40 s (4 s each), 100 samples in 20 s (0.2 s each): learned seed 0 left, 20*4 + 300*0.2 = 140 s
  const done = progress.finished('fixed-1.0', 0, { iterations: 10, evalSamples: 100, trainSeconds: 40, evalSeconds: 20 });
  assert.deepEqual([done.fields.done, done.fields.etaSeconds], [3, 140]);
  assert.equal(done.message, 'cell 2/4 fixed-1.0 seed 0: done in 1m00s · ETA 2m20s');
  // learned seed 1 was planned done; it retrains from a checkpoint at iteration 5 of 20: 140 + 15*4 + 300*0.2 = 260 s
  assert.equal(progress.started('learned', 1, { iterations: 15, evalSamples: 300 }).fields.etaSeconds, 260);
  assert.throws(() => progress.position('edt', 0), /not in the comparison's plan/);
});
