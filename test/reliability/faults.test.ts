// Fault injection (npm run test:faults; also in .ci/run): the process is killed -9 at each named
// point inside the checkpoint write, the rollout and the update, and at random moments; every
// killed run must resume to a final checkpoint bit-identical to an uninterrupted run's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { latestCheckpoint } from '../../src/rl/checkpoint.js';
import { FAULT_POINTS } from '../../src/util/fault.js';
import { streamFor } from '../../src/util/rng.js';
import { differingFiles, newDir, runCli, startCli, tinyJobFile } from './helpers.js';

const enabled = process.env.INTROSPECT_FAULT_SUITE === '1';
const skip = enabled ? false : 'slow: run with `npm run test:faults`';

/** Which occurrence of each point to crash at: inside the run, not at its first or last step. */
const NTH: Record<(typeof FAULT_POINTS)[number], number> = {
  'checkpoint.files-written': 2,
  'checkpoint.synced': 2,
  'checkpoint.renamed': 2,
  'checkpoint.latest-moved': 3,
  'rollout.done': 4,
  'update.step': 7,
};

const job = enabled ? tinyJobFile() : '';
let reference = '';

/** Continues a killed run to its end, in one go: --resume once it has its config.yaml, else the same start again. */
async function finish(out: string): Promise<void> {
  const args = existsSync(join(out, 'config.yaml')) ? ['train', join(out, 'config.yaml'), '--resume', out] : ['train', job, '--out', out];
  const r = await runCli(args);
  assert.equal(r.code, 0, `resuming ${out} failed (${r.code}): ${r.stderr}`);
}

function assertLikeReference(out: string, what: string): void {
  const final = latestCheckpoint(out)!;
  assert.match(final, /iter-000006$/, what);
  assert.deepEqual(differingFiles(reference, final), [], `${what}: the resumed run's checkpoint differs`);
  assert.deepEqual(
    readdirSync(join(out, 'checkpoints')).filter((n) => n.startsWith('.')),
    [],
    `${what}: leftovers`,
  );
}

test('an uninterrupted reference run', { skip, timeout: 300_000 }, async () => {
  const out = join(newDir(), 'reference');
  const r = await runCli(['train', job, '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  reference = latestCheckpoint(out)!;
});

for (const point of FAULT_POINTS) {
  test(`killed -9 at ${point}: resumes to the same bytes`, { skip, timeout: 300_000 }, async () => {
    const out = join(newDir(), 'run');
    const killed = await runCli(['train', job, '--out', out], { INTROSPECT_FAULT: `${point}@${NTH[point]}:crash` });
    assert.equal(killed.signal, 'SIGKILL', `the run reached ${point}: ${killed.stderr}`);
    await finish(out);
    assertLikeReference(out, point);
  });
}

test('killed -9 at random moments: every run resumes to the same bytes', { skip, timeout: 600_000 }, async () => {
  const rng = streamFor(12, 0x6b696c6c);
  for (let trial = 0; trial < 5; trial++) {
    const out = join(newDir(), 'run');
    const delayMs = Math.round(300 + rng.uniform() * 4000);
    const run = startCli(['train', job, '--out', out]);
    const timer = setTimeout(() => run.child.kill('SIGKILL'), delayMs);
    const r = await run.done;
    clearTimeout(timer);
    if (r.code !== 0) await finish(out);
    assertLikeReference(out, `trial ${trial}, killed after ${delayMs} ms (${r.code === 0 ? 'finished first' : 'killed'})`);
  }
});
