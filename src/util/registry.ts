import { UserError } from './errors.js';

/**
 * A table of named implementations (temperature policies, advantage estimators, losses, tasks, ...).
 *
 * Registries are how introspect lets YAML and flags pick a variant by name without `if/else` chains:
 * registering a name twice throws (two modules silently fighting over a name is a bug), and a failed
 * lookup lists the valid names so a typo in a config file is a one-line fix.
 */
export class Registry<Name extends string, Entry> {
  private readonly entries = new Map<Name, Entry>();

  /** @param kind what the entries are, for error messages ("temperature policy", "task", ...) */
  constructor(readonly kind: string) {}

  register(name: Name, entry: Entry): this {
    if (this.entries.has(name)) throw new Error(`${this.kind} "${name}" is already registered`);
    this.entries.set(name, entry);
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

/** Thrown by {@link Registry.get} for a name that is not registered; lists the valid names. */
export class UnknownNameError extends UserError {
  constructor(readonly kind: string, readonly requested: string, readonly valid: string[]) {
    super(`unknown ${kind} "${requested}"; valid: ${valid.join(', ')}`);
    this.name = 'UnknownNameError';
  }
}
