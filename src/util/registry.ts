import { UserError } from './errors.js';

/**
 * A table of named implementations (temperature policies, advantage estimators, losses, tasks, ...).
 *
 * Registries are how introspect lets YAML and flags pick a variant by name without `if/else` chains:
 * registering a name twice throws (two modules silently fighting over a name is a bug), and a failed
 * lookup lists the valid names so a typo in a config file is a one-line fix.
 *
 * The names come from one `as const` tuple (config/names.ts), which the job schema's enums also use.
 * `Registered` tracks, in the types, the names a chain of {@link register} calls has added: declaring
 * a registry `Complete<Name, Entry>` makes a missing name a compile error (an unknown or repeated
 * name already is one). A registry filled by a loop or by other modules' imports, which the types
 * cannot follow, checks itself at run time with {@link expectNames}.
 */
export class Registry<Name extends string, Entry, Registered extends Name = never> {
  private readonly entries = new Map<Name, Entry>();
  /** Type-level only: the registered names, contravariant so that an incomplete registry is not a complete one. */
  declare readonly registeredNames?: (name: Registered) => void;

  /** @param kind what the entries are, for error messages ("temperature policy", "task", ...) */
  constructor(readonly kind: string) {}

  register<N extends Exclude<Name, Registered>>(name: N, entry: Entry): Registry<Name, Entry, Registered | N> {
    if (this.entries.has(name)) throw new Error(`${this.kind} "${name}" is already registered`);
    this.entries.set(name, entry);
    return this as Registry<Name, Entry, Registered | N>;
  }

  /** Throws unless exactly `names` are registered (any order): for registries the types cannot follow. */
  expectNames(names: readonly Name[]): this {
    const missing = names.filter((n) => !this.entries.has(n));
    const extra = this.names().filter((n) => !names.includes(n));
    if (missing.length > 0 || extra.length > 0) {
      throw new Error(
        `internal: ${this.kind} registry is out of step with its names: missing ${missing.join(', ') || 'none'}, extra ${extra.join(', ') || 'none'}`,
      );
    }
    return this;
  }

  has(name: string): name is Name {
    return this.entries.has(name as Name);
  }

  get(name: string): Entry {
    const entry = this.entries.get(name as Name);
    if (entry === undefined) {
      throw new UnknownNameError(this.kind, name, this.names());
    }
    return entry;
  }

  names(): Name[] {
    return [...this.entries.keys()];
  }
}

/** A registry with every name of `Name` registered (checked by the compiler). */
export type Complete<Name extends string, Entry> = Registry<Name, Entry, Name>;

/** Thrown by {@link Registry.get} for a name that is not registered; lists the valid names. */
export class UnknownNameError extends UserError {
  constructor(
    readonly kind: string,
    readonly requested: string,
    readonly valid: string[],
  ) {
    super(`unknown ${kind} "${requested}"; valid: ${valid.join(', ')}`);
    this.name = 'UnknownNameError';
  }
}
