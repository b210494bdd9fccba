import { test } from 'node:test';
import assert from 'node:assert/strict';
import { binEdge } from '../../src/report/temperature-analysis.js';

test('entropy bin edges keep two significant digits below 0.01 nats, so equal-frequency bins stay distinguishable', () => {
  // hand-written expectations: fixed decimals at or above 0.01, exponent notation below
  assert.equal(binEdge(0, 'significant'), '0');
  assert.equal(binEdge(0.00012345, 'significant'), '1.2e-4');
  assert.equal(binEdge(0.0049, 'significant'), '4.9e-3');
  assert.equal(binEdge(0.16, 'significant'), '0.16');
  assert.equal(binEdge(2.5812, 'significant'), '2.58');
  assert.notEqual(binEdge(1e-6, 'significant'), binEdge(3e-5, 'significant'));
  // positions stay integers
  assert.equal(binEdge(4, 0), '4');
  assert.equal(binEdge(NaN, 'significant'), 'n/a');
});
