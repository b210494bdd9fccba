/**
 * One run per folder: `<run>/.lock` holds the owner's pid, host and start time while a command
 * writes there. A second command into the same folder is refused with a message naming the
 * owner. A lock whose process is gone (same host, pid not alive, or a lock file left empty by a
 * crash mid-write) is stale and taken over; a lock from another host cannot be checked, so the
 * message says how to remove it.
 */
import { linkSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { UserError } from './errors.js';

export const LOCK_FILE = '.lock';

interface LockOwner {
  pid: number;
  host: string;
  started: string;
}

export interface RunLock {
  readonly path: string;
  /** Removes the lock (idempotent; also run on process exit). */
  release(): void;
}

export function acquireRunLock(runDir: string): RunLock {
  const path = join(runDir, LOCK_FILE);
  const me: LockOwner = { pid: process.pid, host: hostname(), started: new Date().toISOString() };
  // Written whole under a private name, then hard-linked to the lock name: link fails if the lock
  // exists, so the lock file is never seen half-written by another process.
  const temp = join(runDir, `${LOCK_FILE}.${process.pid}`);
  writeFileSync(temp, `${JSON.stringify(me)}\n`);
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        linkSync(temp, path);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw error;
      }
      const owner = readOwner(path);
      if (owner && !isStale(owner)) {
        throw new UserError(
          `${runDir} is in use by another run (pid ${owner.pid} on ${owner.host}, started ${owner.started}); ` +
            `wait for it to finish, or choose another folder with --out (if that run is gone, delete ${path})`,
        );
      }
      // Stale: move it aside (only one contender's rename succeeds) and try once more.
      try {
        renameSync(path, `${path}.stale-${process.pid}`);
        rmSync(`${path}.stale-${process.pid}`, { force: true });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
  } finally {
    rmSync(temp, { force: true });
  }
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    process.off('exit', release);
    try {
      if (readOwner(path)?.pid === process.pid) unlinkSync(path);
    } catch {
      // the folder may be gone (a failed run's folder is removed) or read-only now: nothing to release
    }
  };
  process.on('exit', release);
  return { path, release };
}

function readOwner(path: string): LockOwner | undefined {
  try {
    const owner = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockOwner>;
    if (typeof owner.pid === 'number' && typeof owner.host === 'string')
      return { pid: owner.pid, host: owner.host, started: String(owner.started) };
  } catch {
    // unreadable or half-written: treated as stale
  }
  return undefined;
}

function isStale(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return false;
  if (owner.pid === process.pid) return false;
  try {
    process.kill(owner.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
