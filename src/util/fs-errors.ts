/**
 * Filesystem errors as one line that names the path: Node's own messages (`EROFS: read-only file
 * system, open '/x/log.jsonl'`) come with a stack and sometimes without the path (a write to an
 * open file that runs out of space). The CLI prints {@link describeFsError}'s line instead.
 */
const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EEXIST: 'a file is in the way (expected a folder or nothing there)',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'it is a folder, not a file',
  ENOENT: 'no such file or folder',
  ENOTEMPTY: 'the folder is not empty',
  ENAMETOOLONG: 'the name is too long',
  ELOOP: 'too many symbolic links',
  EMFILE: 'too many open files',
  EIO: 'input/output error',
  EBUSY: 'the file is busy',
  EXDEV: 'it is on another device',
};

const VERBS: Record<string, string> = {
  open: 'open',
  mkdir: 'create folder',
  write: 'write',
  read: 'read',
  rename: 'rename',
  unlink: 'delete',
  rmdir: 'delete folder',
  rm: 'delete',
  link: 'create',
  scandir: 'list folder',
  stat: 'read',
  lstat: 'read',
  fsync: 'sync',
  copyfile: 'copy',
  mkdtemp: 'create folder',
};

/** A one-line description of a Node filesystem error, or undefined when `error` is not one. */
export function describeFsError(error: unknown, context?: string): string | undefined {
  const e = error as NodeJS.ErrnoException & { dest?: string };
  if (!(e instanceof Error) || typeof e.code !== 'string' || !(e.code in REASONS)) return undefined;
  if (typeof e.syscall !== 'string' && typeof e.path !== 'string') return undefined;
  const verb = (e.syscall && VERBS[e.syscall]) ?? e.syscall ?? 'access';
  const where = e.path ? `${verb} ${e.path}${e.dest ? ` -> ${e.dest}` : ''}` : `${verb}${context ? ` in ${context}` : ''}`;
  return `cannot ${where}: ${REASONS[e.code]} (${e.code})`;
}
