/** Temperature policies: the public surface for the rollout engine, config and commands. */
export type {
  StepContext,
  TemperatureFn,
  PolicyKind,
  PolicyName,
  ResolvedPolicySpec,
  PerTokenPolicy,
  HeadPolicy,
  HeadAction,
  HeadDistribution,
  HeadActionSpace,
  PolicyContext,
  TemperaturePolicy,
  TemperatureHeadSession,
} from './types.js';
export { parsePolicySpec, createPolicy, policyKindOf, policySpecObject, policyLabel, type PolicySpec } from './spec.js';
export { temperaturePolicies, describePolicy, describePolicies, describePolicyParams } from './registry.js';
export { sampleGridAction, type GridAction } from './grid-action.js';
export { sampleLogNormal, logNormalLogDensity, type LogNormalAction } from './log-normal.js';
