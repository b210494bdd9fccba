/**
 * Which code made a result: the checked-out commit, the git tree of `src/`, and whether the work tree
 * had changes, for the provenance records of `introspect compare baselines` (results.md) and
 * `npm run results` (PROVENANCE.json), so both call the same tree dirty.
 */
import { execFileSync } from 'node:child_process';

/**
 * Tracked paths that the tool and its results script write themselves: `results/` (every part's
 * folder) and the README (bench:scale writes its tables there). A change there is output, not code,
 * so it does not make a tree dirty; otherwise the second part of one `npm run results` would call
 * its tree dirty because the first part had just regenerated its folder.
 */
export const GENERATED_PATHS: readonly string[] = ['results', 'README.md'];

export interface CodeRevision {
  /** `git rev-parse HEAD`. */
  commit: string;
  /**
   * `git rev-parse HEAD:src`: two commits with the same tree ran the same product code, so a result
   * made at an older commit stands for a later one whose `src/` is unchanged.
   */
  codeTree: string;
  /** Tracked files other than {@link GENERATED_PATHS} differ from HEAD. */
  dirty: boolean;
}

/** The revision of the git work tree holding `cwd`, or null outside git (or without git installed). */
export function codeRevision(cwd: string = process.cwd()): CodeRevision | null {
  const git = (...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    const commit = git('rev-parse', 'HEAD');
    const codeTree = git('rev-parse', 'HEAD:src');
    const excluded = GENERATED_PATHS.map((path) => `:(top,exclude)${path}`);
    const dirty = git('status', '--porcelain', '--untracked-files=no', '--', ':/', ...excluded) !== '';
    return { commit, codeTree, dirty };
  } catch {
    return null;
  }
}

/** `<commit>`, `<commit>-dirty`, or `unknown` outside git: the form results.md prints. */
export function revisionLabel(revision: CodeRevision | null): string {
  if (!revision) return 'unknown';
  return revision.dirty ? `${revision.commit}-dirty` : revision.commit;
}
