/**
 * Where a model comes from: a local folder is used as it is; a Hub id (`org/name`, or
 * `org/name@revision` for a branch, tag or commit) that is not a folder resolves through the
 * Hugging Face cache that Python's huggingface_hub, transformers and transformers.js share (`HF_HUB_CACHE`, else `HF_HOME/hub`, else ~/.cache/huggingface/hub), in its
 * layout `models--org--name/{blobs,refs,snapshots/<commit>}`, so a model downloaded by Python is
 * not downloaded again, and one downloaded here is seen there. Downloads go through
 * `@huggingface/hub`; only what introspect reads is fetched: the configs, the tokenizer files and
 * the safetensors weights (the shards named by `model.safetensors.index.json`, or the single file).
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { HubApiError, downloadFileToCacheDir, getHFHubCachePath, getRepoFolderName, modelInfo, pathsInfo } from '@huggingface/hub';
import { UserError } from '../util/errors.js';
import { TOKENIZER_FILES } from './checkpoint.js';
import { SINGLE_WEIGHTS_FILE, WEIGHTS_INDEX_FILE, shardFilesOf } from './weights.js';

export const DEFAULT_HUB_URL = 'https://huggingface.co';

export interface ResolveOptions {
  /** Hub base URL (tests point it at a local server); default `HF_ENDPOINT` or https://huggingface.co */
  baseUrl?: string;
  /** the Hub cache; default `HF_HUB_CACHE`, else `HF_HOME/hub`, else ~/.cache/huggingface/hub */
  cacheDir?: string;
  /** branch, tag or commit (default main) */
  revision?: string;
  /** bearer token for gated or private models; default `HF_TOKEN` */
  token?: string;
  /** never download; only folders and complete cached snapshots resolve (default: `HF_HUB_OFFLINE`) */
  offline?: boolean;
  /** called once per file before it is downloaded */
  onFile?: (file: string) => void;
  fetch?: typeof fetch;
}

/** A Hub repository id: `org/name` with the characters the Hub allows. Anything else is a path. */
const HUB_ID = /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/;
const COMMIT = /^[0-9a-f]{40}$/;

/** Files fetched besides weights; config.json is required, the rest only if the repository has them. */
const OPTIONAL_FILES = ['generation_config.json', ...TOKENIZER_FILES];

/** huggingface_hub's reading of a boolean environment variable. */
const envFlag = (value: string | undefined): boolean => ['1', 'on', 'yes', 'true'].includes((value ?? '').toLowerCase());

/** The Hub cache folder that holds `models--org--name`. */
export function hubCacheDir(cacheDir?: string): string {
  return resolve(cacheDir ?? getHFHubCachePath());
}

/** Returns a local model folder for a path or a Hub id, downloading into the Hub cache when needed. */
export async function resolveModelDir(nameOrPath: string, opts: ResolveOptions = {}): Promise<string> {
  if (existsSync(nameOrPath)) {
    if (!statSync(nameOrPath).isDirectory()) throw new UserError(`model ${nameOrPath} is a file; expected a model folder or a Hub id`);
    return resolve(nameOrPath);
  }
  // `org/name@revision` pins a branch, tag or commit wherever a model is named.
  const [id = '', pinned] = nameOrPath.split(/@(?=[^@/]+$)/);
  if (!HUB_ID.test(id))
    throw new UserError(`model folder ${nameOrPath} does not exist (and it is not a Hub id like org/name or org/name@revision)`);
  const revision = opts.revision ?? pinned ?? 'main';
  const repoDir = join(hubCacheDir(opts.cacheDir), getRepoFolderName({ name: id, type: 'model' }));
  const cached = cachedSnapshot(repoDir, revision);
  if (opts.offline ?? envFlag(process.env.HF_HUB_OFFLINE)) {
    if (cached) return cached;
    throw new UserError(`model ${id}@${revision} is not in the Hub cache (${repoDir}) and downloads are off (offline)`);
  }
  const hub = {
    hubUrl: (opts.baseUrl ?? process.env.HF_ENDPOINT ?? DEFAULT_HUB_URL).replace(/\/+$/, ''),
    accessToken: opts.token ?? process.env.HF_TOKEN,
    fetch: opts.fetch,
  };
  const repo = { type: 'model' as const, name: id };

  // Like huggingface_hub: ask which commit the revision names (so a moved branch is followed),
  // and fall back to the cached snapshot when the Hub cannot be reached.
  let commit = revision;
  if (!COMMIT.test(revision)) {
    try {
      commit = (await modelInfo({ ...hub, name: id, revision, additionalFields: ['sha'] })).sha;
    } catch (error) {
      if (cached && !(error instanceof HubApiError)) return cached;
      throw hubError(error, id, hub.hubUrl);
    }
  }
  const snapshot = join(repoDir, 'snapshots', commit);
  if (!isComplete(snapshot)) {
    try {
      await download();
    } catch (error) {
      throw hubError(error, id, hub.hubUrl);
    }
  }
  if (commit !== revision) {
    mkdirSync(join(repoDir, 'refs'), { recursive: true });
    writeFileSync(join(repoDir, 'refs', revision), commit);
  }
  return snapshot;

  /** Downloads what introspect reads of `commit` into the snapshot folder. */
  async function download(): Promise<void> {
    const cacheDir = hubCacheDir(opts.cacheDir);
    const get = async (file: string): Promise<string> => {
      opts.onFile?.(file);
      return quietly(() => downloadFileToCacheDir({ ...hub, repo, revision: commit, path: file, cacheDir }));
    };
    const candidates = ['config.json', ...OPTIONAL_FILES, WEIGHTS_INDEX_FILE, SINGLE_WEIGHTS_FILE];
    const listed = await pathsInfo({ ...hub, repo, revision: commit, paths: candidates });
    const available = new Set(listed.filter((p) => p.type === 'file').map((p) => p.path));
    if (!available.has('config.json'))
      throw new UserError(`${id}@${revision} on ${hub.hubUrl} has no config.json; is it a transformers model?`);
    for (const file of OPTIONAL_FILES) if (available.has(file)) await get(file);
    if (available.has(WEIGHTS_INDEX_FILE)) {
      const indexPath = await get(WEIGHTS_INDEX_FILE);
      for (const shard of shardFilesOf(JSON.parse(readFileSync(indexPath, 'utf8')), indexPath)) await get(shard);
    } else if (available.has(SINGLE_WEIGHTS_FILE)) {
      await get(SINGLE_WEIGHTS_FILE);
    } else {
      throw new UserError(`${id}@${revision} has no safetensors weights (${SINGLE_WEIGHTS_FILE} or ${WEIGHTS_INDEX_FILE})`);
    }
    // Last, so that a snapshot with config.json is one whose weights finished downloading.
    await get('config.json');
  }
}

/** The complete cached snapshot a revision (branch, tag or commit) names, if there is one. */
function cachedSnapshot(repoDir: string, revision: string): string | null {
  const ref = join(repoDir, 'refs', revision);
  const commit = COMMIT.test(revision) ? revision : existsSync(ref) ? readFileSync(ref, 'utf8').trim() : null;
  if (commit === null) return null;
  const snapshot = join(repoDir, 'snapshots', commit);
  return isComplete(snapshot) ? snapshot : null;
}

/** A snapshot introspect can load: config.json and every weights file it names. */
function isComplete(dir: string): boolean {
  if (!existsSync(join(dir, 'config.json'))) return false;
  const indexPath = join(dir, WEIGHTS_INDEX_FILE);
  if (existsSync(indexPath)) {
    try {
      return shardFilesOf(JSON.parse(readFileSync(indexPath, 'utf8')), indexPath).every((shard) => existsSync(join(dir, shard)));
    } catch {
      return false;
    }
  }
  return existsSync(join(dir, SINGLE_WEIGHTS_FILE));
}

/** `downloadFileToCacheDir` announces each download with console.debug, on stdout; keep stdout for results. */
async function quietly<T>(run: () => Promise<T>): Promise<T> {
  const debug = console.debug;
  console.debug = () => {};
  try {
    return await run();
  } finally {
    console.debug = debug;
  }
}

/** One line for what went wrong talking to the Hub. */
function hubError(error: unknown, id: string, hubUrl: string): Error {
  if (error instanceof UserError) return error;
  if (error instanceof HubApiError) {
    const hint =
      error.statusCode === 401 || error.statusCode === 403
        ? ' (gated or private model: accept its license on the Hub and set HF_TOKEN)'
        : error.statusCode === 404
          ? ' (no such model, revision or file on the Hub)'
          : '';
    return new UserError(`cannot download ${id} from ${hubUrl}: HTTP ${error.statusCode}${hint}`, { cause: error });
  }
  // fetch wraps the socket's error (ECONNREFUSED, ECONNRESET) in causes: report the innermost code.
  let reason = error instanceof Error ? error.message : String(error);
  for (
    let e = (error instanceof Error ? error : undefined) as { cause?: unknown; code?: string; message?: string } | undefined;
    e;
    e = e.cause as typeof e
  ) {
    if (typeof e.code === 'string') reason = e.code;
    else if (typeof e.message === 'string' && e.message) reason = e.message;
  }
  return new UserError(
    `cannot download ${id} from ${hubUrl} (${reason}); ` +
      'are you offline? Pass a local model folder, or set HF_HUB_OFFLINE=1 to use the Hub cache only',
    { cause: error },
  );
}
