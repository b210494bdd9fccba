import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry, UnknownNameError, type Complete } from '../../src/util/registry.js';

test('registry: duplicate names throw, lookups list valid names', () => {
  const r: Complete<'a' | 'b', number> = new Registry<'a' | 'b', number>('thing').register('a', 1).register('b', 2);
  assert.equal(r.get('b'), 2);
  assert.deepEqual(r.names(), ['a', 'b']);
  // @ts-expect-error registering a name twice is a compile error too (a chain knows what it registered)
  assert.throws(() => r.register('a', 3), /thing "a" is already registered/);
  assert.throws(
    () => r.get('c'),
    (e: unknown) => e instanceof UnknownNameError && /valid: a, b/.test(e.message),
  );
});

test('registry: a registry declared complete must register every name, and no other (checked by tsc)', () => {
  // These lines are the test: `tsc` (npm run build) fails if either stops being an error.
  // @ts-expect-error 'b' is missing
  const incomplete: Complete<'a' | 'b', number> = new Registry<'a' | 'b', number>('thing').register('a', 1);
  // @ts-expect-error 'c' is not a name of the registry
  new Registry<'a' | 'b', number>('thing').register('c', 1);
  assert.deepEqual(incomplete.names(), ['a']);
});

test('registry: expectNames checks a registry filled by a loop against its names', () => {
  const r = new Registry<'a' | 'b', number>('thing');
  for (const name of ['a'] as const) r.register(name, 1);
  assert.throws(() => r.expectNames(['a', 'b']), /thing registry is out of step with its names: missing b, extra none/);
  r.register('b', 2);
  assert.equal(r.expectNames(['b', 'a']), r);
});
