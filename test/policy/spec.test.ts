import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPolicy, parsePolicySpec, policySpecObject, type PolicySpec } from '../../src/policy/spec.js';
import { describePolicies, describePolicy, describePolicyParams, temperaturePolicies } from '../../src/policy/registry.js';
import { UserError } from '../../src/util/errors.js';

test('parsePolicySpec: string and mapping forms, defaults filled in', () => {
  const cases: { spec: PolicySpec; name: string; params: Record<string, unknown> }[] = [
    { spec: 'greedy', name: 'greedy', params: {} },
    { spec: 'fixed:0.6', name: 'fixed', params: { t: 0.6 } },
    { spec: ' fixed : 0.7 ', name: 'fixed', params: { t: 0.7 } },
    { spec: 'fixed:t=0', name: 'fixed', params: { t: 0 } },
    { spec: { name: 'fixed', t: 0.7 }, name: 'fixed', params: { t: 0.7 } },
    { spec: 'edt', name: 'edt', params: { T0: 1, N: 0.8, theta: 1, minT: 0.05 } },
    { spec: 'edt:N=0.5,theta=2', name: 'edt', params: { T0: 1, N: 0.5, theta: 2, minT: 0.05 } },
    { spec: { name: 'edt', T0: 1, N: 0.8, theta: 1 }, name: 'edt', params: { T0: 1, N: 0.8, theta: 1, minT: 0.05 } },
    { spec: 'entropy-threshold', name: 'entropy-threshold', params: { low: 0.6, high: 1.2, threshold: 1 } },
    { spec: 'schedule:shape=cosine', name: 'schedule', params: { from: 1, to: 0.6, shape: 'cosine' } },
    { spec: 'learned', name: 'learned', params: { greedy: false } },
    { spec: { name: 'learned', greedy: true }, name: 'learned', params: { greedy: true } },
    { spec: 'learned:greedy=true', name: 'learned', params: { greedy: true } },
  ];
  for (const { spec, name, params } of cases) {
    const resolved = parsePolicySpec(spec);
    assert.equal(resolved.name, name);
    assert.deepEqual({ ...resolved.params }, params, JSON.stringify(spec));
    // The mapping form written into a resolved config parses back to the same spec.
    assert.deepEqual(parsePolicySpec(policySpecObject(resolved)), resolved);
  }
});

test('parsePolicySpec: mistakes are one-line user errors that list what is valid', () => {
  const cases: { spec: unknown; message: RegExp }[] = [
    { spec: 'edtt', message: /unknown temperature policy "edtt"; valid: greedy, fixed, edt, entropy-threshold, schedule, learned/ },
    { spec: { name: 'nope' }, message: /unknown temperature policy "nope"/ },
    { spec: 'edt:beta=1', message: /"edt" has no parameter "beta"; valid: T0, N, theta, minT/ },
    { spec: { name: 'fixed', T: 0.5 }, message: /"fixed" has no parameter "T"; valid: t/ },
    { spec: 'greedy:t=1', message: /"greedy" has no parameter "t"; it takes none/ },
    { spec: 'greedy:1', message: /"greedy" takes no bare value/ },
    { spec: 'edt:0.8', message: /"edt" takes no bare value; write edt:key=value/ },
    { spec: 'fixed:-0.5', message: /fixed": t must be in \[0, inf\), got -0.5/ },
    { spec: 'fixed:abc', message: /t must be a finite number, got "abc"/ },
    { spec: 'fixed:', message: /t must be a finite number, got ""/ },
    { spec: { name: 'fixed', t: '0.5' }, message: /t must be a finite number, got "0.5"/ },
    { spec: 'edt:N=1.5', message: /N must be in \(0, 1\], got 1.5/ },
    { spec: 'edt:N=0', message: /N must be in \(0, 1\], got 0/ },
    { spec: 'edt:T0=0.5,minT=0.6', message: /minT \(0.6\) must not exceed T0 \(0.5\)/ },
    { spec: 'edt:N=0.5,N=0.6', message: /N is given twice/ },
    { spec: 'edt:N', message: /"edt" takes no bare value/ },
    { spec: 'edt:N=0.5,theta', message: /expected key=value, got "theta"/ },
    { spec: 'schedule:shape=exp', message: /shape must be one of linear, cosine, got "exp"/ },
    { spec: 'learned:greedy=yes', message: /greedy must be true or false, got "yes"/ },
    { spec: { name: 'learned', greedy: 'true' }, message: /greedy must be true or false, got "true"/ },
    { spec: 'learned:bins=8', message: /"learned" has no parameter "bins"; valid: greedy/ },
    { spec: 42, message: /must be a string like "fixed:0.6" or a mapping with a "name"/ },
    { spec: { t: 1 }, message: /mapping with a "name"/ },
  ];
  for (const { spec, message } of cases) {
    assert.throws(
      () => parsePolicySpec(spec as PolicySpec),
      (e: unknown) => e instanceof UserError && message.test(e.message) && !e.message.includes('\n'),
      JSON.stringify(spec),
    );
    assert.throws(() => createPolicy(spec as PolicySpec, { head: { kind: 'grid', grid: [0.5, 1] } }), UserError);
  }
});

test('registry: every policy has a kind and a help line with its defaults', () => {
  assert.deepEqual(temperaturePolicies.names(), ['greedy', 'fixed', 'edt', 'entropy-threshold', 'schedule', 'learned']);
  const kinds = Object.fromEntries(temperaturePolicies.names().map((n) => [n, temperaturePolicies.get(n).kind]));
  assert.deepEqual(kinds, {
    greedy: 'per-token',
    fixed: 'per-token',
    edt: 'per-token',
    'entropy-threshold': 'per-token',
    schedule: 'per-token',
    learned: 'head',
  });
  const lines = describePolicies();
  assert.equal(lines.length, 6);
  assert.match(describePolicy('edt'), /^edt:T0=1,N=0.8,theta=1,minT=0.05 {2}entropy-based dynamic temperature/);
  assert.match(describePolicy('greedy'), /^greedy {2}/);
  // Each help line's spec part parses back to the defaults.
  for (const line of lines) {
    const [form = ''] = line.split('  ');
    const [name = ''] = form.split(':');
    assert.deepEqual(parsePolicySpec(form), parsePolicySpec(name), form);
  }
  assert.deepEqual(
    describePolicyParams('edt').map((l) => l.split('  ')[0]),
    ['T0', 'N', 'theta', 'minT'],
  );
  assert.match(describePolicyParams('edt')[1] ?? '', /^N {2}number in \(0, 1\], default 0.8: /);
  assert.match(describePolicyParams('schedule')[2] ?? '', /^shape {2}one of linear\|cosine, default linear: /);
});

test('createPolicy: the built policy carries its resolved spec', () => {
  const policy = createPolicy('edt:theta=2');
  assert.deepEqual(policy.spec, parsePolicySpec('edt:theta=2'));
});
