import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package root: the folder holding package.json, models/ and configs/. Compiled code lives in
 * dist/src/config/, sources in src/config/; walking up to the first folder with package.json (rather
 * than counting `..`) works from either.
 */
export const packageRoot: string = (() => {
  const here = dirname(fileURLToPath(import.meta.url));
  for (let dir = here, i = 0; i < 6; i++, dir = dirname(dir)) {
    if (existsSync(resolve(dir, 'package.json'))) return dir;
  }
  throw new Error(`cannot find introspect's package.json above ${here}`);
})();

/** Name of the embedded default model, committed under models/. */
export const DEFAULT_MODEL_NAME = 'arith-tiny';

/** The model folder a job uses: its `model.path`, else the embedded default. */
export function modelDirOf(config: { model: { path?: string | undefined } }): string {
  return config.model.path ?? resolve(packageRoot, 'models', DEFAULT_MODEL_NAME);
}
