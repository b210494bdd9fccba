import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from '@oclif/test';
import { packageRoot } from '../../src/config/index.js';

// In a file of its own: runCommand captures process.stdout while the command runs (see test/cli/doctor.test.ts).
test('introspect analyze writes its files under <run-dir>/analysis and lists them (through oclif runCommand)', async () => {
  const runDir = mkdtempSync(join(tmpdir(), 'introspect-analyze-cmd-'));
  try {
    mkdirSync(join(runDir, 'eval', 'iter-3'), { recursive: true });
    const tokens = ['2', ' +', ' 2', ' =', ' 4'];
    const record = {
      task: 't',
      problemId: '1',
      sample: 0,
      policy: 'learned',
      prompt: 'p',
      response: tokens.join(''),
      answer: '4',
      extracted: '4',
      correct: true,
      reward: 1,
      tokens,
      temperatures: [0.5, 0.7, 0.9, 1.1, 1.3],
      entropies: [0, 1, 2, 3, 4],
      logprobs: [-1, -1, -1, -1, -1],
      finishReason: 'eos',
    };
    writeFileSync(join(runDir, 'eval', 'iter-3', 'samples.jsonl'), `${JSON.stringify(record)}\n`);
    const { stdout, error } = await runCommand(['analyze', runDir, '--json'], { root: packageRoot });
    assert.equal(error, undefined);
    for (const name of ['temperature-vs-entropy.png', 'solutions.html', 'analysis.md']) {
      const path = join(runDir, 'analysis', name);
      assert.ok(existsSync(path), path);
      assert.match(stdout, new RegExp(name.replace('.', '\\.')));
    }
  } finally {
    rmSync(runDir, { recursive: true, force: true });
  }
});
