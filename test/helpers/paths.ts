import { resolve } from 'node:path';

/**
 * Read-only reference material (datasets, Hugging Face fixtures) lives beside the repository in
 * `../shared` (in CI too). Tests point at it and never copy it. `INTROSPECT_SHARED_DIR` overrides.
 */
export const sharedDir = resolve(process.env.INTROSPECT_SHARED_DIR ?? '../shared');
export const datasetsDir = resolve(sharedDir, 'datasets');
export const fixturesDir = resolve(sharedDir, 'fixtures', 'hf');
export const fixtureNames = ['qwen2-tiny', 'qwen3-tiny', 'llama-tiny', 'gpt2-tiny'] as const;
export type FixtureName = (typeof fixtureNames)[number];
export const fixtureDir = (name: FixtureName): string => resolve(fixturesDir, name);
