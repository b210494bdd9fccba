/** Where a job's rollouts draw their tokens: `rollout.sampler` and `rollout.samplerPrecision` resolved against the provider. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jobSchema, samplingOf } from '../../src/config/index.js';

test('rollout.sampler: auto draws in the graph on device providers and on the host on CPU; top-k/top-p always on the host', () => {
  const job = (model: object, rollout: object) => jobSchema.parse({ model, rollout });
  assert.deepEqual(samplingOf(job({}, {})), { sampling: 'host' });
  assert.deepEqual(samplingOf(job({ executionProvider: 'webgpu' }, {})), { sampling: 'graph' });
  assert.deepEqual(samplingOf(job({ executionProvider: 'cuda' }, {})), { sampling: 'graph' });
  assert.deepEqual(samplingOf(job({}, { sampler: 'graph', samplerPrecision: 'float32' })), {
    sampling: 'graph',
    samplerPrecision: 'float32',
  });
  assert.deepEqual(samplingOf(job({ executionProvider: 'webgpu' }, { topP: 0.9 })), { sampling: 'host' });
  assert.deepEqual(samplingOf(job({}, { sampler: 'graph', topK: 5 })), { sampling: 'host' });
  assert.throws(() => job({}, { sampler: 'device' }));
});
