/**
 * Typed access to a raw `config.json` object, shared by the architecture readers: every failure
 * is a one-line {@link UserError} that names the file and the key.
 */
import { UserError } from '../util/errors.js';

/** Absent and `null` both count as missing (transformers writes `null` for unset options). */
export class ConfigFields {
  constructor(
    readonly raw: Record<string, unknown>,
    readonly source: string,
  ) {}

  fail(problem: string): never {
    throw new UserError(`${this.source}: ${problem}`);
  }

  has(key: string): boolean {
    return this.raw[key] !== undefined && this.raw[key] !== null;
  }

  int(key: string, fallback?: number): number {
    const value = this.raw[key] ?? fallback;
    if (!Number.isSafeInteger(value) || (value as number) <= 0) {
      this.fail(value === undefined ? `missing "${key}"` : `"${key}" must be a positive integer, got ${JSON.stringify(value)}`);
    }
    return value as number;
  }

  num(key: string, fallback?: number): number {
    const value = this.raw[key] ?? fallback;
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      this.fail(value === undefined ? `missing "${key}"` : `"${key}" must be a positive number, got ${JSON.stringify(value)}`);
    }
    return value;
  }

  bool(key: string, fallback: boolean): boolean {
    const value = this.raw[key] ?? fallback;
    if (typeof value !== 'boolean') this.fail(`"${key}" must be true or false, got ${JSON.stringify(value)}`);
    return value;
  }

  str(key: string, fallback: string): string {
    const value = this.raw[key] ?? fallback;
    if (typeof value !== 'string') this.fail(`"${key}" must be a string, got ${JSON.stringify(value)}`);
    return value;
  }

  /** Fails unless `key` is absent, null or equal to `allowed` (an option introspect does not implement). */
  only(key: string, allowed: unknown, why: string): void {
    if (this.has(key) && this.raw[key] !== allowed) this.fail(`"${key}": ${JSON.stringify(this.raw[key])} is not supported (${why})`);
  }

  /** A nested object field (e.g. `rope_parameters`), or null when absent. */
  object(key: string): ConfigFields | null {
    const value = this.raw[key];
    if (value === undefined || value === null) return null;
    if (typeof value !== 'object' || Array.isArray(value)) this.fail(`"${key}" must be an object`);
    return new ConfigFields(value as Record<string, unknown>, `${this.source} ${key}`);
  }
}
