/**
 * Durable writes: a file or folder is complete on disk before anything points at it. Written
 * under a temporary name, fsynced (file and folder), then renamed over the final name; rename is
 * atomic on POSIX file systems, so a reader (or a crash) sees the old version or the new one,
 * never a mix.
 */
import { closeSync, fsyncSync, openSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** fsync one file or folder (a folder's fsync makes the names in it durable). */
export function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } catch (error) {
    // Some file systems refuse fsync on a directory (EINVAL, EISDIR); the data is then as safe as they allow.
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EISDIR' && code !== 'EPERM') throw error;
  } finally {
    closeSync(fd);
  }
}

/** fsync every file and folder under `root`, children before parents. */
export function fsyncTree(root: string): void {
  if (statSync(root).isDirectory()) {
    for (const name of readdirSync(root)) fsyncTree(join(root, name));
  }
  fsyncPath(root);
}

/** Writes `path` atomically and durably: a temporary sibling, fsync, rename, fsync of the folder. */
export function writeFileDurable(path: string, data: string | Uint8Array): void {
  const temp = join(dirname(path), `.tmp-${basename(path)}-${process.pid}`);
  writeFileSync(temp, data);
  fsyncPath(temp);
  renameSync(temp, path);
  fsyncPath(dirname(path));
}
