/**
 * The job-file reference (configs/README.md), generated from the schema so that documentation cannot
 * drift from validation: one row per key with its type, default, range and the reason to change it.
 */
import { z } from 'zod';
import { jobSchema } from './schema.js';

interface JsonSchema {
  type?: string | string[];
  description?: string;
  default?: unknown;
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema | JsonSchema[];
  prefixItems?: JsonSchema[];
  anyOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
}

function typeOf(s: JsonSchema): string {
  if (s.enum) return s.enum.map((v) => `\`${String(v)}\``).join(' \\| ');
  if (s.const !== undefined) return `\`${String(s.const)}\``;
  if (s.anyOf) return s.anyOf.map(typeOf).join(' \\| ');
  if (s.prefixItems) return `[${s.prefixItems.map(typeOf).join(', ')}]`;
  if (s.type === 'array' && s.items && !Array.isArray(s.items)) return `list of ${typeOf(s.items)}`;
  if (s.type === 'object') return s.properties ? `{${Object.keys(s.properties).join(', ')}}` : 'object';
  if (s.type === 'integer') return 'integer';
  return Array.isArray(s.type) ? s.type.join(' \\| ') : (s.type ?? 'any');
}

function rangeOf(s: JsonSchema): string {
  // zod reports safe-integer bounds on every integer; they are not a range anyone chose.
  const chosen = (v: number | undefined) => (v === undefined || Math.abs(v) >= Number.MAX_SAFE_INTEGER ? undefined : v);
  const lo = chosen(s.minimum ?? s.exclusiveMinimum);
  const hi = chosen(s.maximum ?? s.exclusiveMaximum);
  if (lo === undefined && hi === undefined) return s.minItems ? `at least ${s.minItems} items` : '';
  const left = lo === undefined ? '' : `${s.exclusiveMinimum !== undefined ? '>' : '≥'} ${lo}`;
  const right = hi === undefined ? '' : `${s.exclusiveMaximum !== undefined ? '<' : '≤'} ${hi}`;
  return [left, right].filter(Boolean).join(', ');
}

function rows(schema: JsonSchema, prefix: string, out: string[]): void {
  for (const [key, child] of Object.entries(schema.properties ?? {})) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (child.type === 'object' && child.properties) {
      out.push(`| **${path}** | section | | | ${child.description ?? ''} |`);
      rows(child, path, out);
      continue;
    }
    const def = child.default === undefined ? '' : `\`${JSON.stringify(child.default)}\``;
    out.push(`| \`${path}\` | ${typeOf(child)} | ${def} | ${rangeOf(child)} | ${(child.description ?? '').replace(/\|/g, '\\|')} |`);
  }
}

export function configReference(): string {
  const schema = z.toJSONSchema(jobSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const out = [
    '# Job file reference',
    '',
    'Generated from `src/config/schema.ts` by `npm run docs:config`; a test fails when this file is out of date.',
    'Every key is optional; unknown keys and wrong types are errors naming the file, line and key.',
    'Any key can be overridden on the command line with `--set key.path=value` (the value is read as YAML).',
    "Relative paths resolve against the job file's folder. The resolved job is written to `<run-dir>/config.yaml`.",
    '',
    '| key | type | default | range | what it is and why you would change it |',
    '| --- | --- | --- | --- | --- |',
  ];
  rows(schema, '', out);
  return `${out.join('\n')}\n`;
}

let described: Map<string, string> | undefined;

/**
 * The schema's description of a job key, e.g. `eval.k`: the help of a command-line flag that sets
 * that key, so flag help and the job-file reference say the same thing. Throws for an unknown key.
 */
export function describeJobKey(path: string): string {
  if (!described) {
    described = new Map();
    const walk = (node: JsonSchema, prefix: string): void => {
      for (const [key, child] of Object.entries(node.properties ?? {})) {
        const at = prefix ? `${prefix}.${key}` : key;
        described!.set(at, child.description ?? '');
        walk(child, at);
      }
    };
    walk(z.toJSONSchema(jobSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema, '');
  }
  const description = described.get(path);
  if (description === undefined) throw new Error(`no job key ${path} in the schema`);
  return description;
}
