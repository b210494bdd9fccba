import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Downloads `url` to `destination`. The body is written to a temporary file and renamed, so an
 * interrupted download never leaves a truncated dataset behind that a later run would trust.
 * @param timeoutMs whole-request limit in milliseconds
 * @throws Error with a one-line reason (HTTP status, timeout, network error, empty body)
 */
export async function downloadFile(url: string, destination: string, timeoutMs: number): Promise<void> {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`.trim());
  const body = await response.text();
  if (body.trim() === '') throw new Error('empty response');
  await mkdir(dirname(destination), { recursive: true });
  const partial = `${destination}.${process.pid}.partial`;
  await writeFile(partial, body, 'utf8');
  await rename(partial, destination);
}
