/**
 * The schema is the one source of validation, docs and flag help, so: every field says what it is
 * (an empty description fails here). Its enums and its registries share one list of names each
 * (config/names.ts); the compiler keeps a chained registry complete and the registries filled by a
 * loop check their names at load (test/helpers/registry.test.ts shows both), so no test compares them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { jobSchema } from '../../src/config/schema.js';
import { temperaturePolicies } from '../../src/policy/index.js';
import { tasks } from '../../src/tasks/index.js';

interface Node {
  description?: string;
  type?: string;
  enum?: unknown[];
  properties?: Record<string, Node>;
  items?: Node;
}
const schema = z.toJSONSchema(jobSchema, { io: 'input', unrepresentable: 'any' }) as Node;

/** Every field (sections, array items' fields included) by key path. */
function fields(node: Node, path = ''): [string, Node][] {
  return Object.entries(node.properties ?? {}).flatMap(([key, child]) => {
    const at = path ? `${path}.${key}` : key;
    return [[at, child] as [string, Node], ...fields(child, at), ...(child.items ? fields(child.items, `${at}[]`) : [])];
  });
}
const at = (path: string): Node => {
  const found = fields(schema).find(([p]) => p === path);
  assert.ok(found, `no field ${path}`);
  return found[1];
};

test('every field of the job schema has a description', () => {
  const all = fields(schema);
  assert.ok(all.length > 80, `${all.length} fields`);
  const missing = all.filter(([, n]) => !(n.description ?? '').trim()).map(([p]) => p);
  assert.deepEqual(missing, [], `fields without a description: ${missing.join(', ')}`);
});

test('the descriptions of free-text names list every registered name', () => {
  for (const name of temperaturePolicies.names()) assert.match(at('policy').description!, new RegExp(`\\b${name}\\b`), `policy: ${name}`);
  for (const name of tasks.names()) assert.ok(at('task.name').description!.includes(name), `task.name: ${name}`);
});

test("flags that set a job key show that key's description as their help", async () => {
  const { describeJobKey } = await import('../../src/config/docs.js');
  const { default: Eval } = await import('../../src/commands/eval.js');
  const pairs: [flag: string, key: string][] = [
    ['k', 'eval.k'],
    ['limit', 'eval.limit'],
    ['policy', 'policy'],
    ['max-new-tokens', 'rollout.maxNewTokens'],
    ['data-dir', 'task.dataDir'],
  ];
  for (const [flag, key] of pairs) {
    assert.ok(describeJobKey(key).length > 10, key);
    assert.equal((Eval.flags as Record<string, { summary?: string }>)[flag]?.summary, describeJobKey(key), `--${flag}`);
  }
  assert.throws(() => describeJobKey('eval.nope'), /no job key eval\.nope/);
});
