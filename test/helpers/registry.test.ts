import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry, UnknownNameError } from '../../src/util/registry.js';

test('registry: duplicate names throw, lookups list valid names', () => {
  const r = new Registry<'a' | 'b', number>('thing').register('a', 1).register('b', 2);
  assert.equal(r.get('b'), 2);
  assert.deepEqual(r.names(), ['a', 'b']);
  assert.throws(() => r.register('a', 3), /thing "a" is already registered/);
  assert.throws(() => r.get('c'), (e: unknown) => e instanceof UnknownNameError && /valid: a, b/.test(e.message));
});
