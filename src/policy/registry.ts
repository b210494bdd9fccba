/** The table of temperature policies, by name, and their help text. */
import { Registry } from '../util/registry.js';
import type { PolicyDefinition } from './definition.js';
import { describeParam } from './params.js';
import type { PolicyName } from './types.js';
import { fixedPolicy, greedyPolicy } from './fixed.js';
import { edtPolicy } from './edt.js';
import { entropyThresholdPolicy } from './entropy-threshold.js';
import { schedulePolicy } from './schedule.js';
import { learnedPolicy } from './learned.js';
import { TEMPERATURE_POLICY_NAMES } from '../config/names.js';

export const temperaturePolicies = new Registry<PolicyName, PolicyDefinition>('temperature policy');
for (const definition of [greedyPolicy, fixedPolicy, edtPolicy, entropyThresholdPolicy, schedulePolicy, learnedPolicy]) {
  temperaturePolicies.register(definition.name, definition);
}
temperaturePolicies.expectNames(TEMPERATURE_POLICY_NAMES); // a loop the types cannot follow: check the names once, at load

/**
 * One help line for a policy: its spec with defaults, then what it does, e.g.
 * `edt:T0=1,N=0.8,theta=1,minT=0.05  entropy-based dynamic temperature ...`.
 */
export function describePolicy(name: PolicyName): string {
  const d = temperaturePolicies.get(name);
  const defaults = Object.entries(d.params).map(([k, p]) => `${k}=${p.default}`);
  const form = defaults.length === 0 ? d.name : `${d.name}:${defaults.join(',')}`;
  return `${form}  ${d.summary}`;
}

/** Help lines for every registered policy, in registration order. */
export function describePolicies(): string[] {
  return temperaturePolicies.names().map(describePolicy);
}

/** One help line per parameter of a policy (type, range, default, why change it). */
export function describePolicyParams(name: PolicyName): string[] {
  return Object.entries(temperaturePolicies.get(name).params).map(([k, p]) => describeParam(k, p));
}
