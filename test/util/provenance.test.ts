import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { codeRevision, revisionLabel } from '../../src/util/provenance.js';

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', '-c', 'commit.gpgsign=false', ...args], {
    cwd,
    encoding: 'utf8',
  }).trim();

test('codeRevision: results/ and the README are output, any other tracked change makes the tree dirty, from any folder of it', (t) => {
  const repo = mkdtempSync(join(tmpdir(), 'introspect-provenance-'));
  t.after(() => rmSync(repo, { recursive: true, force: true }));
  try {
    git(repo, 'init', '-q');
  } catch {
    t.skip('git is not installed');
    return;
  }
  mkdirSync(join(repo, 'src'));
  mkdirSync(join(repo, 'results', 'part'), { recursive: true });
  writeFileSync(join(repo, 'src', 'a.ts'), 'export const a = 1;\n');
  writeFileSync(join(repo, 'results', 'part', 'metrics.csv'), 'x\n1\n');
  writeFileSync(join(repo, 'README.md'), '# r\n');
  writeFileSync(join(repo, 'package.json'), '{}\n');
  git(repo, 'add', '.');
  git(repo, 'commit', '-q', '-m', 'first');
  const head = git(repo, 'rev-parse', 'HEAD');
  const tree = git(repo, 'rev-parse', 'HEAD:src');

  const clean = codeRevision(repo);
  assert.deepEqual(clean, { commit: head, codeTree: tree, dirty: false });
  assert.equal(revisionLabel(clean), head);

  // What `npm run results` writes between parts: still the same code.
  writeFileSync(join(repo, 'results', 'part', 'metrics.csv'), 'x\n2\n');
  writeFileSync(join(repo, 'README.md'), '# r, with new figures\n');
  assert.equal(codeRevision(repo)?.dirty, false);
  // An untracked file is not part of the code either (a run folder, a scratch file).
  writeFileSync(join(repo, 'scratch.txt'), 'x');
  assert.equal(codeRevision(repo)?.dirty, false);

  // A changed tracked file outside results/ and the README is: seen from the root and from a subfolder
  // (the excluded paths are the top-level ones, not ones under the current folder).
  writeFileSync(join(repo, 'package.json'), '{"x": 1}\n');
  assert.equal(codeRevision(repo)?.dirty, true);
  assert.equal(codeRevision(join(repo, 'results'))?.dirty, true);
  assert.equal(revisionLabel(codeRevision(repo)), `${head}-dirty`);
  git(repo, 'checkout', '-q', '--', 'package.json');
  writeFileSync(join(repo, 'src', 'a.ts'), 'export const a = 2;\n');
  assert.equal(codeRevision(join(repo, 'src'))?.dirty, true);
});

test('codeRevision is null outside a git work tree, and the label says unknown', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'introspect-provenance-nogit-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // GIT_CEILING_DIRECTORIES keeps git from finding a repository above the temporary folder.
  const saved = process.env.GIT_CEILING_DIRECTORIES;
  process.env.GIT_CEILING_DIRECTORIES = tmpdir();
  t.after(() => {
    if (saved === undefined) delete process.env.GIT_CEILING_DIRECTORIES;
    else process.env.GIT_CEILING_DIRECTORIES = saved;
  });
  assert.equal(codeRevision(dir), null);
  assert.equal(revisionLabel(null), 'unknown');
});
