import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../../util/errors.js';
import { resolveDataDir, DATA_DIR_ENV } from './data-dir.js';
import { downloadFile } from './download.js';
import { sourceUrl } from './sources.js';

/** Where a dataset file is looked for, and whether and how it may be downloaded. */
export interface DataLocation {
  /** The data folder (CLI: --data-dir); see resolveDataDir for the fallbacks. */
  dataDir?: string;
  /** Download a missing file from its public source (default true). */
  download?: boolean;
  /** Fetch from `${mirrorBaseUrl}/<task>/<split>.jsonl` instead of the public source. */
  mirrorBaseUrl?: string;
  /** Download time limit in milliseconds (default 60 s). */
  downloadTimeoutMs?: number;
}

const DEFAULT_DOWNLOAD_TIMEOUT_MS = 60_000;

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** `fetch failed` alone says nothing; its cause names the refused connection or unknown host. */
function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
  return `${err.message}${cause}`;
}

/**
 * The absolute path of dataset file `file` (e.g. `gsm8k/test.jsonl`) in the data folder,
 * downloading it first when it is missing and downloads are allowed.
 * @throws UserError naming the file, the folder and the URL to fetch it from by hand
 */
export async function ensureDatasetFile(file: string, location: DataLocation = {}): Promise<string> {
  const dataDir = resolveDataDir(location.dataDir);
  const path = join(dataDir, file);
  if (await exists(path)) return path;
  const url = sourceUrl(file, location.mirrorBaseUrl);
  const placeIt = `place ${file} at ${path} (or point --data-dir / ${DATA_DIR_ENV} at a folder holding ${file})`;
  if (url === undefined) throw new UserError(`dataset file ${file} is missing: ${placeIt}`);
  if (location.download === false) {
    throw new UserError(`dataset file ${file} is missing and downloads are off: download ${url} and ${placeIt}`);
  }
  try {
    await downloadFile(url, path, location.downloadTimeoutMs ?? DEFAULT_DOWNLOAD_TIMEOUT_MS);
  } catch (err) {
    const reason = describeError(err);
    throw new UserError(`dataset file ${file} is missing and downloading ${url} failed (${reason}): download it and ${placeIt}`, {
      cause: err,
    });
  }
  return path;
}
