/** The entry every temperature policy registers: what it is called, its parameters, and how to build it. */
import type { ParamSchema, ParamsOf } from './params.js';
import type { PolicyContext, PolicyKind, PolicyName, TemperaturePolicy } from './types.js';

export interface PolicyDefinition<S extends ParamSchema = ParamSchema> {
  readonly name: PolicyName;
  readonly kind: PolicyKind;
  /** one line for --help and the config docs: what the policy does, with its formula */
  readonly summary: string;
  readonly params: S;
  /** the parameter a bare `name:value` sets (e.g. `fixed:0.6`), if any */
  readonly positional?: keyof S & string;
  /** Cross-parameter checks; returns a problem phrased for the user, or undefined. */
  check?(params: ParamsOf<S>): string | undefined;
  /** Builds the policy from validated parameters (defaults filled in) and what the run provides. */
  create(params: ParamsOf<S>, context: PolicyContext): TemperaturePolicy;
}

/**
 * Declares a policy with its parameter types inferred from the schema, and erases them for the
 * registry (one entry type for all policies). The cast is sound because the only caller of `check`
 * and `create` is `parsePolicySpec`/`createPolicy`, which pass values validated against `params`.
 */
export function definePolicy<const S extends ParamSchema>(definition: PolicyDefinition<S>): PolicyDefinition {
  return definition as unknown as PolicyDefinition;
}
