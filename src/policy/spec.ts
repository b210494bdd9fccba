/**
 * Temperature policy specs as YAML and flags write them, parsed and validated against the registry.
 *
 * Accepted forms:
 * - `greedy`, `edt`: the name alone, all parameters at their defaults;
 * - `fixed:0.6`: name and the policy's positional parameter;
 * - `edt:T0=1,N=0.8`: name and `key=value` pairs;
 * - `{ name: edt, T0: 1, N: 0.8 }`: a YAML mapping; values must have the declared types.
 * Unknown names and parameters and out-of-range values are {@link UserError}s that list what is valid.
 */
import type { PolicySpec } from '../config/schema.js';
import { UserError } from '../util/errors.js';
import { coerceParam, type ParamValue } from './params.js';
import { temperaturePolicies } from './registry.js';
import type { PolicyContext, PolicyKind, ResolvedPolicySpec, TemperaturePolicy } from './types.js';

/** A policy spec as written in YAML or on the command line (the job schema's type). */
export type { PolicySpec };

/**
 * The one label of a policy spec, in records, reports, logs and tables: the spec in its text form,
 * which parses back to the same policy: `fixed:0.6`, `edt`, and `{name: edt, N: 0.8}` as `edt:N=0.8`.
 */
export function policyLabel(spec: PolicySpec): string {
  if (typeof spec === 'string') return spec;
  const { name, ...params } = spec;
  const pairs = Object.entries(params).map(([k, v]) => `${k}=${String(v)}`);
  return pairs.length === 0 ? name : `${name}:${pairs.join(',')}`;
}

/** Parses and validates a spec; returns its name and every parameter, defaults filled in. */
export function parsePolicySpec(spec: PolicySpec): ResolvedPolicySpec {
  const { name, given } = splitSpec(spec);
  const fromText = typeof spec === 'string';
  if (!temperaturePolicies.has(name)) {
    throw new UserError(`unknown temperature policy "${name}"; valid: ${temperaturePolicies.names().join(', ')}`);
  }
  const definition = temperaturePolicies.get(name);
  const declared = Object.keys(definition.params);
  const params: Record<string, ParamValue> = {};
  for (const [key, raw] of Object.entries(given)) {
    const p = definition.params[key];
    if (p === undefined) {
      const valid = declared.length === 0 ? 'it takes none' : `valid: ${declared.join(', ')}`;
      throw new UserError(`temperature policy "${name}" has no parameter "${key}"; ${valid}`);
    }
    const result = coerceParam(p, raw, fromText);
    if ('problem' in result) throw new UserError(`temperature policy "${name}": ${key} ${result.problem}`);
    params[key] = result.value;
  }
  for (const [key, param] of Object.entries(definition.params)) params[key] ??= param.default;
  const problem = definition.check?.(params);
  if (problem !== undefined) throw new UserError(`temperature policy "${name}": ${problem}`);
  return { name, params };
}

/**
 * Parses a spec and builds the policy.
 * @param context what the run provides: `learned` needs `context.head` (the run config's `head` section)
 */
export function createPolicy(spec: PolicySpec, context: PolicyContext = {}): TemperaturePolicy {
  const resolved = parsePolicySpec(spec);
  return temperaturePolicies.get(resolved.name).create(resolved.params, context);
}

/** The kind of policy a spec names: `head` (it needs a temperature head) or `per-token`. */
export function policyKindOf(spec: PolicySpec): PolicyKind {
  return temperaturePolicies.get(parsePolicySpec(spec).name).kind;
}

/** The YAML mapping form of a resolved spec (for the resolved config written beside a run); parses back to itself. */
export function policySpecObject(spec: ResolvedPolicySpec): { name: string } & Record<string, ParamValue> {
  return { name: spec.name, ...spec.params };
}

function splitSpec(spec: PolicySpec): { name: string; given: Record<string, unknown> } {
  if (typeof spec === 'string') return splitSpecText(spec);
  if (spec === null || typeof spec !== 'object' || typeof spec.name !== 'string') {
    throw new UserError(`a temperature policy must be a string like "fixed:0.6" or a mapping with a "name", got ${JSON.stringify(spec)}`);
  }
  const { name, ...given } = spec;
  return { name, given };
}

function splitSpecText(text: string): { name: string; given: Record<string, unknown> } {
  const colon = text.indexOf(':');
  const name = (colon < 0 ? text : text.slice(0, colon)).trim();
  const given: Record<string, unknown> = {};
  if (colon < 0) return { name, given };
  const rest = text.slice(colon + 1).trim();
  if (!rest.includes('=')) {
    const positional = temperaturePolicies.has(name) ? temperaturePolicies.get(name).positional : undefined;
    if (positional === undefined) {
      throw new UserError(`temperature policy "${name}" takes no bare value; write ${name}:key=value,... (got "${text}")`);
    }
    given[positional] = rest;
    return { name, given };
  }
  for (const pair of rest.split(',')) {
    const eq = pair.indexOf('=');
    const key = pair.slice(0, eq).trim();
    if (eq < 0 || key === '') throw new UserError(`temperature policy "${name}": expected key=value, got "${pair.trim()}" in "${text}"`);
    if (key in given) throw new UserError(`temperature policy "${name}": ${key} is given twice in "${text}"`);
    given[key] = pair.slice(eq + 1).trim();
  }
  return { name, given };
}
