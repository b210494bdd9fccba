// The default job, run as a user runs it, gives bit-identical checkpoints at the default thread
// setting however loaded the machine is, and a run killed mid-update and resumed ends on the
// same bytes. (ONNX Runtime's ScatterND 'add' once made the embedding gradient depend on thread
// timing; on a busy machine two runs parted ways at the first LLM update.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { latestCheckpoint } from '../../src/rl/checkpoint.js';
import { busyProcess, defaultJob, differingFiles, newDir, runCli } from './helpers.js';

const short = [
  '--max-iterations',
  '6',
  '--set',
  'train.evalEvery=0',
  '--set',
  'train.promptsPerIteration=8',
  '--set',
  'train.checkpointEvery=2',
];

test(
  'the default job twice beside a busy process, and once killed mid-update and resumed: the same checkpoint bytes',
  { timeout: 600_000 },
  async () => {
    const root = newDir();
    const [a, b, killed] = ['a', 'b', 'killed'].map((n) => join(root, n)) as [string, string, string];
    const busy = busyProcess();
    try {
      const [ra, rb, rk] = await Promise.all([
        runCli(['train', defaultJob, ...short, '--out', a]),
        runCli(['train', defaultJob, ...short, '--out', b]),
        // the 4th optimiser step is inside an LLM update (phases: 2 temperature, 2 token, ...)
        runCli(['train', defaultJob, ...short, '--out', killed], { INTROSPECT_FAULT: 'update.step@4:crash' }),
      ]);
      assert.equal(ra.code, 0, ra.stderr);
      assert.equal(rb.code, 0, rb.stderr);
      assert.equal(rk.signal, 'SIGKILL', `the fault hook killed the run: ${rk.stderr}`);
      const resumed = await runCli(['train', join(killed, 'config.yaml'), '--resume', killed]);
      assert.equal(resumed.code, 0, resumed.stderr);
    } finally {
      busy.kill('SIGKILL');
    }
    const final = (dir: string) => latestCheckpoint(dir)!;
    assert.match(final(a), /iter-000006$/);
    assert.deepEqual(differingFiles(final(a), final(b)), [], 'two runs of the same job differ');
    assert.deepEqual(differingFiles(final(a), final(killed)), [], 'the resumed run differs from an uninterrupted one');
  },
);
