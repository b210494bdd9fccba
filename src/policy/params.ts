/**
 * Declared parameters of temperature policies: each with its type, default, range and a sentence
 * on why you would change it. One declaration drives parsing (string and YAML forms), validation,
 * defaults and help text, so they cannot drift apart.
 */

/** A numeric parameter; bounds are inclusive unless marked exclusive. */
export interface NumberParam {
  readonly type: 'number';
  readonly default: number;
  readonly min?: number;
  readonly max?: number;
  readonly exclusiveMin?: boolean;
  readonly exclusiveMax?: boolean;
  readonly integer?: boolean;
  readonly description: string;
}

/** A parameter that takes one of a fixed set of names. */
export interface ChoiceParam<C extends string = string> {
  readonly type: 'choice';
  readonly default: C;
  readonly choices: readonly C[];
  readonly description: string;
}

export interface BooleanParam {
  readonly type: 'boolean';
  readonly default: boolean;
  readonly description: string;
}

export type ParamSpec = NumberParam | ChoiceParam | BooleanParam;
export type ParamSchema = Readonly<Record<string, ParamSpec>>;
export type ParamValue = number | string | boolean;
export type ParamValues = Readonly<Record<string, ParamValue>>;

/** The typed values a schema declares (a plain record for the erased `ParamSchema`). */
export type ParamsOf<S extends ParamSchema> = string extends keyof S
  ? ParamValues
  : { readonly [K in keyof S]: S[K] extends NumberParam ? number : S[K] extends ChoiceParam<infer C> ? C : boolean };

/** The range of a numeric parameter in interval notation, e.g. `(0, 1]`, `[0, inf)`. */
export function rangeText(p: NumberParam): string {
  const lo = p.min === undefined ? '(-inf' : `${p.exclusiveMin ? '(' : '['}${p.min}`;
  const hi = p.max === undefined ? 'inf)' : `${p.max}${p.exclusiveMax ? ')' : ']'}`;
  return `${lo}, ${hi}${p.integer ? ' (integer)' : ''}`;
}

/**
 * Checks one value against its declaration; returns the value or a problem phrased for the user.
 * Text values (`fromText`, from the `name:key=value` form) are converted first; YAML values must
 * already have the declared type (a quoted "0.5" for a number is a mistake worth reporting).
 */
export function coerceParam(p: ParamSpec, raw: unknown, fromText: boolean): { value: ParamValue } | { problem: string } {
  switch (p.type) {
    case 'number': {
      const value = fromText && typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
      if (typeof value !== 'number' || !Number.isFinite(value)) return { problem: `must be a finite number, got ${JSON.stringify(raw)}` };
      const ok =
        (p.min === undefined || (p.exclusiveMin ? value > p.min : value >= p.min)) &&
        (p.max === undefined || (p.exclusiveMax ? value < p.max : value <= p.max)) &&
        (!p.integer || Number.isInteger(value));
      return ok ? { value } : { problem: `must be in ${rangeText(p)}, got ${value}` };
    }
    case 'choice':
      return typeof raw === 'string' && (p.choices as readonly string[]).includes(raw)
        ? { value: raw }
        : { problem: `must be one of ${p.choices.join(', ')}, got ${JSON.stringify(raw)}` };
    case 'boolean': {
      const value = fromText && raw === 'true' ? true : fromText && raw === 'false' ? false : raw;
      return typeof value === 'boolean' ? { value } : { problem: `must be true or false, got ${JSON.stringify(raw)}` };
    }
  }
}

/** One help line for a parameter: `N  number in (0, 1], default 0.8: <description>`. */
export function describeParam(name: string, p: ParamSpec): string {
  const type = p.type === 'number' ? `number in ${rangeText(p)}` : p.type === 'choice' ? `one of ${p.choices.join('|')}` : 'true|false';
  return `${name}  ${type}, default ${p.default}: ${p.description}`;
}
