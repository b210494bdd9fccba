/**
 * Loading a job file: YAML -> `--set` overrides -> schema validation -> cross-field checks ->
 * path resolution. Every error is one line naming the file, the key path and (when the YAML
 * parser can tell) the line, e.g. `configs/x.yaml:7: train.groupSize: expected number, got string`.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { LineCounter, parseDocument, parse as parseYamlValue, isMap, type Document } from 'yaml';
import type { z } from 'zod';
import { UserError } from '../util/errors.js';
import { checkJob, jobSchema, PATH_KEYS, type JobConfig } from './schema.js';
import { last, must } from '../util/must.js';

export class JobConfigError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'JobConfigError';
  }
}

export interface LoadedJob {
  config: JobConfig;
  /** Absolute path of the job file, or undefined when the job came from flags only. */
  file?: string;
}

/** Alias expansions allowed in a job file (yaml's own default is 100). */
export const MAX_YAML_ALIASES = 50;

/** Reads, overrides, validates and resolves a YAML job file. */
export function loadJobFile(file: string, overrides: readonly string[] = []): LoadedJob {
  const path = resolve(file);
  if (!existsSync(path)) throw new JobConfigError(`${file}: no such job file`);
  if (statSync(path).isDirectory()) throw new JobConfigError(`${file}: is a folder, not a job file`);
  const text = readFileSync(path, 'utf8');
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    const err = must(doc.errors[0], 'the first YAML error');
    const line = lineCounter.linePos(err.pos[0]).line;
    throw new JobConfigError(`${file}:${line}: invalid YAML: ${err.message.split('\n')[0]}`);
  }
  let raw: unknown;
  try {
    // An alias expands to a copy of its anchor: a few nested ones (a "billion laughs" file) would
    // fill memory, so beyond MAX_YAML_ALIASES expansions the file is refused.
    raw = doc.toJS({ maxAliasCount: MAX_YAML_ALIASES }) ?? {};
  } catch (error) {
    if (error instanceof ReferenceError)
      throw new JobConfigError(`${file}: too many YAML alias expansions (limit ${MAX_YAML_ALIASES}); write the values out`);
    throw error;
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new JobConfigError(`${file}: a job file must be a mapping of sections (run, model, task, ...)`);
  }
  const locate = (keyPath: (string | number)[]) => lineOf(doc, lineCounter, keyPath);
  return { config: validateJob(raw as Record<string, unknown>, { source: file, baseDir: dirname(path), overrides, locate }), file: path };
}

export interface ValidateOptions {
  /** Name of the source in error messages (a file name, or "flags"). */
  source: string;
  /** Folder that relative paths resolve against. */
  baseDir: string;
  overrides?: readonly string[];
  /** Line of a key path in the source, when known. */
  locate?: (keyPath: (string | number)[]) => number | undefined;
}

/** Validates a plain object as a job (used for files and for jobs assembled from CLI flags). */
export function validateJob(raw: Record<string, unknown>, options: ValidateOptions): JobConfig {
  const setKeys = new Set<string>();
  for (const assignment of options.overrides ?? []) {
    const { keyPath, value } = parseOverride(assignment);
    setIn(raw, keyPath, value);
    setKeys.add(keyPath.join('.'));
  }
  const parsed = jobSchema.safeParse(raw);
  if (!parsed.success) {
    throw new JobConfigError(describeIssue(must(parsed.error.issues[0], 'the first schema issue'), options, setKeys));
  }
  const config = parsed.data;
  const crossIssue = checkJob(config)[0];
  if (crossIssue) {
    throw new JobConfigError(describeIssue({ path: crossIssue.path, message: crossIssue.message }, options, setKeys));
  }
  resolvePaths(config, options.baseDir);
  return config;
}

/** `a.b.c=value` -> key path and value; the value is read as YAML, so numbers, booleans and `[1, 2]` work. */
export function parseOverride(assignment: string): { keyPath: string[]; value: unknown } {
  const eq = assignment.indexOf('=');
  if (eq <= 0) throw new JobConfigError(`--set ${assignment}: expected key.path=value`);
  const keyPath = assignment.slice(0, eq).trim().split('.');
  if (keyPath.some((k) => k.length === 0)) throw new JobConfigError(`--set ${assignment}: empty key in "${assignment.slice(0, eq)}"`);
  let value: unknown;
  try {
    value = parseYamlValue(assignment.slice(eq + 1));
  } catch (e) {
    throw new JobConfigError(`--set ${assignment}: value is not valid YAML (${(e as Error).message.split('\n')[0]})`);
  }
  return { keyPath, value: value ?? null };
}

function setIn(target: Record<string, unknown>, keyPath: string[], value: unknown): void {
  let node = target;
  for (const key of keyPath.slice(0, -1)) {
    const next = node[key];
    if (next === undefined || next === null) node[key] = {};
    else if (typeof next !== 'object' || Array.isArray(next)) {
      throw new JobConfigError(`--set ${keyPath.join('.')}: "${key}" is not a section`);
    }
    node = node[key] as Record<string, unknown>;
  }
  node[last(keyPath, '--set key path')] = value;
}

function describeIssue(
  issue: Pick<z.core.$ZodIssue, 'path' | 'message'> & Partial<z.core.$ZodIssue>,
  options: ValidateOptions,
  setKeys: Set<string>,
): string {
  let keyPath = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') {
    const keys = (issue as { keys: string[] }).keys;
    keyPath = [...keyPath, ...keys.slice(0, 1)];
    message = `unknown key${keys.length > 1 ? `s ${keys.join(', ')}` : ''}`;
  }
  const dotted = keyPath.join('.');
  const fromSet = [...setKeys].some((k) => dotted === k || dotted.startsWith(`${k}.`) || k.startsWith(`${dotted}.`));
  if (fromSet) return `--set ${dotted}: ${message}`;
  const line = options.locate?.(keyPath);
  return `${options.source}${line ? `:${line}` : ''}: ${dotted || '(top level)'}: ${message}`;
}

function lineOf(doc: Document, counter: LineCounter, keyPath: (string | number)[]): number | undefined {
  // Walk down as far as the document goes: for a missing key, report its parent's line.
  for (let depth = keyPath.length; depth >= 1; depth--) {
    const parentPath = keyPath.slice(0, depth - 1);
    const parent = parentPath.length === 0 ? doc.contents : doc.getIn(parentPath, true);
    if (isMap(parent)) {
      const pair = parent.items.find((it) => (it.key as { value?: unknown })?.value === keyPath[depth - 1]);
      const range = (pair?.key as { range?: [number, number, number] } | undefined)?.range;
      if (range) return counter.linePos(range[0]).line;
    }
  }
  return undefined;
}

function resolvePaths(config: JobConfig, baseDir: string): void {
  for (const [sectionName, key] of PATH_KEYS) {
    const section = (config as unknown as Record<string, Record<string, unknown> | undefined>)[sectionName];
    const value = section?.[key];
    // Hub ids (org/name) are not paths; keep them when no such folder exists beside the job file,
    // nor its first part (`models/qwen-typo` beside a models/ folder is a missing local folder).
    if (section !== undefined && typeof value === 'string' && !isAbsolute(value)) {
      const candidate = resolve(baseDir, value);
      const looksLikeHubId =
        key === 'path' &&
        /^[\w.-]+\/[\w.-]+$/.test(value) &&
        !value.startsWith('.') &&
        !existsSync(resolve(baseDir, value.slice(0, value.indexOf('/'))));
      section[key] = looksLikeHubId && !existsSync(candidate) ? value : candidate;
    }
  }
}
