// A run as a user starts it: one run per folder, signals, and filesystem errors as one line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { latestCheckpoint, readTrainerState } from '../../src/rl/checkpoint.js';
import { describeFsError } from '../../src/util/fs-errors.js';
import { acquireRunLock } from '../../src/util/run-lock.js';
import { newDir, runCli, startCli, tinyJobFile, told, waitForStderr } from './helpers.js';

test('the run lock: held while a run lives, refused to a second run with its owner named, taken over when stale', () => {
  const dir = newDir();
  const lock = acquireRunLock(dir);
  assert.throws(
    () => acquireRunLock(dir),
    new RegExp(`is in use by another run \\(pid ${process.pid} on ${hostname()}, started .*\\); wait for it to finish`),
  );
  lock.release();
  assert.ok(!existsSync(join(dir, '.lock')));
  // A process that no longer exists (pid beyond the kernel's pid range), and a lock left empty by a crash mid-write.
  for (const stale of [JSON.stringify({ pid: 2 ** 30, host: hostname(), started: 'then' }), '']) {
    writeFileSync(join(dir, '.lock'), stale);
    acquireRunLock(dir).release();
  }
  writeFileSync(join(dir, '.lock'), JSON.stringify({ pid: 1, host: 'elsewhere', started: 'then' }));
  assert.throws(() => acquireRunLock(dir), /on elsewhere.*if that run is gone, delete .*\.lock\)$/);
});

test(
  "a second train into a running run's folder is refused; --out at a finished run without --resume is refused",
  { timeout: 300_000 },
  async () => {
    const job = tinyJobFile();
    const out = join(newDir(), 'run');
    const first = startCli(['train', job, '--out', out], { INTROSPECT_FAULT: 'rollout.done@2:pause' });
    await waitForStderr(first, /fault: paused at rollout\.done/);
    const second = await runCli(['train', job, '--resume', out]);
    first.child.kill('SIGKILL');
    await first.done;
    assert.equal(second.code, 1);
    assert.match(told(second.stderr).join('\n'), new RegExp(`^Error: ${out} is in use by another run \\(pid ${first.child.pid} `));
    const again = await runCli(['train', job, '--out', out]);
    assert.equal(again.code, 1);
    assert.deepEqual(told(again.stderr), [
      `Error: ${out} is not empty; continue the run there with \`introspect train ... --resume ${out}\`, or choose another folder with --out`,
    ]);
  },
);

for (const [signal, code] of [
  ['SIGTERM', 143],
  ['SIGINT', 130],
  ['SIGHUP', 129],
] as const) {
  test(
    `${signal} finishes the current step, saves the last completed iteration, prints the resume command and exits ${code}`,
    { timeout: 300_000 },
    async () => {
      const job = tinyJobFile({ checkpointEvery: 0 });
      const out = join(newDir(), 'run');
      const run = startCli(['train', job, '--out', out]);
      await waitForStderr(run, /"iteration":2,"phase"/);
      run.child.kill(signal);
      const done = await run.done;
      assert.equal(done.code, code, done.stderr);
      const checkpoint = latestCheckpoint(out)!;
      const saved = readTrainerState(checkpoint).iteration;
      assert.ok(saved >= 2 && saved < 6, `saved iteration ${saved}`);
      const rows = readFileSync(join(out, 'metrics.csv'), 'utf8').trim().split('\n').length - 1;
      assert.equal(rows, saved, 'the checkpoint is the last completed iteration, the one metrics.csv ends with');
      const lines = told(done.stderr);
      assert.ok(
        lines.some((l) => l.startsWith(`${signal}: finishing the current step`)),
        done.stderr,
      );
      const hint = lines.find((l) => l.startsWith('resume with: '));
      assert.equal(hint, `resume with: introspect train ${join(out, 'config.yaml')} --resume ${out}`);
      const resumed = await runCli(['train', join(out, 'config.yaml'), '--resume', out]);
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.equal(readTrainerState(latestCheckpoint(out)!).iteration, 6);
    },
  );
}

test('filesystem errors are one line naming the path; a command that fails before its work leaves no run folder', async () => {
  const job = tinyJobFile();
  const root = newDir();
  const file = join(root, 'a-file');
  writeFileSync(file, 'x');
  const cases: [string, RegExp][] = [
    [file, new RegExp(`^Error: cannot create folder ${file}: a file is in the way .*\\(EEXIST\\)$`)],
    [join(file, 'run'), new RegExp(`^Error: cannot create folder ${file}/run: a part of the path is a file, not a folder \\(ENOTDIR\\)$`)],
  ];
  // A folder no one may create in (sysfs: EPERM for root, EACCES for others).
  if (existsSync('/sys/kernel'))
    cases.push([
      '/sys/introspect-run',
      /^Error: cannot create folder \/sys\/introspect-run: (operation not permitted \(EPERM\)|permission denied \(EACCES\))$/,
    ]);
  for (const [out, message] of cases) {
    const r = await runCli(['train', job, '--out', out]);
    assert.equal(r.code, 1);
    assert.equal(told(r.stderr).length, 1, r.stderr);
    assert.match(told(r.stderr)[0]!, message);
  }
  // A model folder that does not exist fails after the run folder was made: it is removed again.
  const missing = join(root, 'no-model');
  const out = join(root, 'failed-run');
  const r = await runCli(['train', job, '--set', `model.path=${missing}`, '--out', out]);
  assert.equal(r.code, 1);
  // Besides the run folder announced at the start (`run folder: ...`), the failure is one line.
  assert.deepEqual(
    told(r.stderr).filter((l) => !l.startsWith('run folder: ')),
    [`Error: model folder ${missing} does not exist (and it is not a Hub id like org/name or org/name@revision)`],
  );
  assert.ok(!existsSync(out), 'no half-made run folder');
});

test('every filesystem error code gets its line, with the path, or the folder it happened in', () => {
  const error = (code: string, syscall: string, path?: string) =>
    Object.assign(new Error(code), { code, syscall, ...(path ? { path } : {}) });
  const rows: [Error, string][] = [
    [error('EROFS', 'open', '/ro/log.jsonl'), 'cannot open /ro/log.jsonl: the file system is read-only (EROFS)'],
    [error('EACCES', 'mkdir', '/root/x'), 'cannot create folder /root/x: permission denied (EACCES)'],
    [error('ENOSPC', 'write'), 'cannot write in /runs/a: no space left on the device (ENOSPC)'],
    [error('EEXIST', 'mkdir', '/f'), 'cannot create folder /f: a file is in the way (expected a folder or nothing there) (EEXIST)'],
    [error('ENOTDIR', 'open', '/f/x'), 'cannot open /f/x: a part of the path is a file, not a folder (ENOTDIR)'],
  ];
  for (const [e, line] of rows) assert.equal(describeFsError(e, '/runs/a'), line);
  assert.equal(describeFsError(new Error('not a filesystem error')), undefined);
});

test('a second signal exits at once, with the same code', { timeout: 300_000 }, async () => {
  const out = join(newDir(), 'run');
  // Iterations of 384 rollouts: long enough that the second signal comes before the first is honoured.
  const run = startCli([
    'train',
    tinyJobFile({ iterations: 50, checkpointEvery: 0, promptsPerIteration: 48, groupSize: 8, miniBatchSize: 64 }),
    '--out',
    out,
  ]);
  await waitForStderr(run, /"iteration":1,"phase"/);
  run.child.kill('SIGTERM');
  await waitForStderr(run, /SIGTERM: finishing the current step/);
  run.child.kill('SIGTERM');
  const done = await run.done;
  assert.equal(done.code, 143);
  assert.ok(!told(done.stderr).some((l) => l.startsWith('resume with:')), 'no orderly save after the second signal');
});
