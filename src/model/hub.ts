/**
 * Where a model comes from: a local folder is used as it is; a Hub id (`org/name`) that is not a
 * folder is downloaded once from https://huggingface.co/<id>/resolve/<revision>/<file> into a cache
 * and reused from there. Only what introspect reads is fetched: the configs, the tokenizer files
 * and the safetensors weights (the shards named by `model.safetensors.index.json`, or the single file).
 */
import { createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream } from 'node:stream/web';
import { UserError } from '../util/errors.js';
import { TOKENIZER_FILES } from './checkpoint.js';
import { SINGLE_WEIGHTS_FILE, WEIGHTS_INDEX_FILE, shardFilesOf } from './weights.js';

export const DEFAULT_HUB_URL = 'https://huggingface.co';

export interface ResolveOptions {
  /** Hub base URL (tests point it at a local server); default `HF_ENDPOINT` or https://huggingface.co */
  baseUrl?: string;
  /** where downloads are kept; default `INTROSPECT_CACHE_DIR` or ~/.cache/introspect/hub */
  cacheDir?: string;
  /** branch, tag or commit (default main) */
  revision?: string;
  /** bearer token for gated or private models; default `HF_TOKEN` */
  token?: string;
  /** never download; only folders and complete cached copies resolve (default: `HF_HUB_OFFLINE=1`) */
  offline?: boolean;
  /** called once per file before it is downloaded */
  onFile?: (file: string) => void;
  fetch?: typeof fetch;
}

/** A Hub repository id: `org/name` with the characters the Hub allows. */
const HUB_ID = /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/;
/** Written last into a cached folder, so an interrupted download is never mistaken for a model. */
const COMPLETE_MARKER = '.introspect-complete';

/** Files fetched besides weights; config.json is required, the rest only if the repository has them. */
const OPTIONAL_FILES = ['generation_config.json', ...TOKENIZER_FILES];

/** Returns a local model folder for a path or a Hub id, downloading into the cache when needed. */
export async function resolveModelDir(nameOrPath: string, opts: ResolveOptions = {}): Promise<string> {
  if (existsSync(nameOrPath)) {
    if (!statSync(nameOrPath).isDirectory()) throw new UserError(`model ${nameOrPath} is a file; expected a model folder or a Hub id`);
    return resolve(nameOrPath);
  }
  if (!HUB_ID.test(nameOrPath)) throw new UserError(`model folder ${nameOrPath} does not exist (and it is not a Hub id like org/name)`);

  const revision = opts.revision ?? 'main';
  const cacheRoot = opts.cacheDir ?? process.env.INTROSPECT_CACHE_DIR ?? join(homedir(), '.cache', 'introspect', 'hub');
  const dir = resolve(cacheRoot, nameOrPath.replace('/', '--'), revision.replace(/[^\w.-]/g, '_'));
  if (existsSync(join(dir, COMPLETE_MARKER))) return dir;
  if (opts.offline ?? process.env.HF_HUB_OFFLINE === '1') {
    throw new UserError(`model ${nameOrPath} is not in the cache (${dir}) and downloads are off (offline)`);
  }
  await download(nameOrPath, revision, dir, opts);
  return dir;
}

async function download(id: string, revision: string, dir: string, opts: ResolveOptions): Promise<void> {
  const baseUrl = (opts.baseUrl ?? process.env.HF_ENDPOINT ?? DEFAULT_HUB_URL).replace(/\/+$/, '');
  const token = opts.token ?? process.env.HF_TOKEN;
  const fetchFn = opts.fetch ?? fetch;
  mkdirSync(dir, { recursive: true });

  /** Downloads one file into the cache folder; false when the repository has no such file. */
  const get = async (file: string, required: boolean): Promise<boolean> => {
    const url = `${baseUrl}/${id}/resolve/${encodeURIComponent(revision)}/${file}`;
    let response: Response;
    try {
      response = await fetchFn(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new UserError(
        `cannot download ${id} from ${baseUrl} (${cause?.code ?? cause?.message ?? (error as Error).message}); ` +
          'are you offline? Pass a local model folder instead',
        { cause: error },
      );
    }
    if (response.status === 404 && !required) {
      await response.body?.cancel();
      return false;
    }
    if (!response.ok || response.body === null) {
      await response.body?.cancel();
      const hint =
        response.status === 401 || response.status === 403
          ? ' (gated or private model: accept its license on the Hub and set HF_TOKEN)'
          : response.status === 404
            ? ` (no such model or file on the Hub)`
            : '';
      throw new UserError(`cannot download ${url}: HTTP ${response.status}${hint}`);
    }
    opts.onFile?.(file);
    const temp = join(dir, `${file}.part`);
    try {
      await pipeline(Readable.fromWeb(response.body as ReadableStream<Uint8Array>), createWriteStream(temp));
    } catch (error) {
      throw new UserError(`download of ${url} broke off (${(error as Error).message}); run again to retry`, { cause: error });
    }
    renameSync(temp, join(dir, file));
    return true;
  };

  // A cached folder without the marker is a broken earlier attempt: start over.
  rmSync(join(dir, COMPLETE_MARKER), { force: true });
  await get('config.json', true);
  for (const file of OPTIONAL_FILES) await get(file, false);
  if (await get(WEIGHTS_INDEX_FILE, false)) {
    const indexPath = join(dir, WEIGHTS_INDEX_FILE);
    for (const shard of shardFilesOf(JSON.parse(readFileSync(indexPath, 'utf8')), indexPath)) await get(shard, true);
  } else {
    await get(SINGLE_WEIGHTS_FILE, true);
  }
  writeFileSync(join(dir, COMPLETE_MARKER), `${id}@${revision}\n`);
}
