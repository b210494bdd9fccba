import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { packageRoot } from '../../src/config/index.js';

/** Runs the real CLI entry (bin/run.js, compiled commands) as a user would. */
function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [resolve(packageRoot, 'bin', 'run.js'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, CI: '1' },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The lines a user sees on stderr, without oclif's blank padding. */
const shownLines = (text: string) =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0);

test('--help lists every command', () => {
  const { status, stdout } = cli('--help');
  assert.equal(status, 0);
  for (const command of ['train', 'eval', 'export', 'generate', 'pretrain', 'doctor', 'grade', 'analyze']) {
    assert.match(stdout, new RegExp(`^\\s+${command}\\s`, 'm'), `help lists ${command}`);
  }
  // `compare baselines` lives under the `compare` topic, whose summary names it.
  assert.match(stdout, /^\s+compare\s+Compare temperature policies; `introspect compare baselines`/m);
});

test('each command has help with examples', () => {
  for (const command of [['train'], ['eval'], ['compare', 'baselines'], ['export'], ['generate'], ['pretrain'], ['doctor']]) {
    const { status, stdout } = cli(...command, '--help');
    assert.equal(status, 0, command.join(' '));
    assert.match(stdout, /EXAMPLES/, `${command.join(' ')} --help shows examples`);
  }
});

test('train without a job file points at configs/default.yaml; a typo of a command is not run', () => {
  const none = cli('train');
  assert.notEqual(none.status, 0);
  assert.deepEqual(shownLines(none.stderr).length, 1, none.stderr);
  assert.match(none.stderr, /configs\/default\.yaml/);
  const typo = cli('trian');
  assert.notEqual(typo.status, 0);
  assert.equal(typo.status, 127);
  assert.deepEqual(shownLines(typo.stderr), [
    'Error: trian is not an introspect command; did you mean `introspect train`? (`introspect --help` lists them)',
  ]);
  assert.match(cli('compare', 'baseline').stderr, /did you mean `introspect compare baselines`/);
});

test('--log-format json writes JSON log lines on stderr, separate from --json', () => {
  const { stderr } = cli('train', 'missing.yaml', '--log-format', 'json');
  assert.match(stderr, /missing\.yaml/);
  const { status, stdout } = cli('train', 'missing.yaml', '--json');
  assert.notEqual(status, 0);
  assert.match((JSON.parse(stdout) as { error: { message: string } }).error.message, /missing\.yaml/);
});

test('train with a missing job file exits non-zero with one line and no stack trace', () => {
  const { status, stderr } = cli('train', 'missing.yaml');
  assert.notEqual(status, 0);
  const lines = shownLines(stderr);
  assert.equal(lines.length, 1, stderr);
  assert.match(lines[0]!, /missing\.yaml: no such job file/);
});

test('a job file with an unknown key exits non-zero with one line naming file, line and key', () => {
  const dir = mkdtempSync(join(tmpdir(), 'introspect-cli-'));
  const file = join(dir, 'bad.yaml');
  writeFileSync(file, 'train:\n  iterations: 2\n  learning_rate: 0.1\n');
  const { status, stderr } = cli('train', file);
  assert.notEqual(status, 0);
  const lines = shownLines(stderr);
  assert.equal(lines.length, 1, stderr);
  assert.match(lines[0]!, /bad\.yaml:3: train\.learning_rate: unknown key/);
  assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
});

test('--log-level debug shows the stack trace of a user error', () => {
  const { status, stderr } = cli('train', 'missing.yaml', '--log-level', 'debug');
  assert.notEqual(status, 0);
  assert.match(stderr, /\n\s+at /);
});

test('a bad --set value exits non-zero naming the override', () => {
  const dir = mkdtempSync(join(tmpdir(), 'introspect-cli-'));
  const file = join(dir, 'ok.yaml');
  writeFileSync(file, 'train:\n  iterations: 2\n');
  const { status, stderr } = cli('train', file, '--set', 'train.groupSize=many');
  assert.notEqual(status, 0);
  assert.match(stderr, /--set train\.groupSize: .*number/);
});
