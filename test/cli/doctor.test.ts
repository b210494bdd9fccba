import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCommand } from '@oclif/test';
import { packageRoot } from '../../src/config/index.js';

// In a file of its own: runCommand captures process.stdout while the command runs, which would also
// swallow the test runner's reports of tests running beside it.
test('doctor reports the CPU provider working (through oclif runCommand)', async () => {
  const { stdout, error } = await runCommand(['doctor', '--json'], { root: packageRoot });
  assert.equal(error, undefined);
  // Under `node --test`, the runner's own (binary) reports share stdout: take the command's JSON object.
  const start = stdout.indexOf('{\n  "node"');
  const report = JSON.parse(stdout.slice(start, stdout.indexOf('\n}', start) + 2)) as {
    node: string;
    onnxruntime: string;
    providers: { provider: string; ok: boolean; hint?: string }[];
  };
  assert.equal(report.node, process.version);
  assert.match(report.onnxruntime, /^\d+\.\d+\.\d+$/);
  const cpu = report.providers.find((p) => p.provider === 'cpu');
  assert.equal(cpu?.ok, true);
  assert.deepEqual(
    report.providers.map((p) => p.provider),
    ['cpu', 'cuda', 'webgpu'],
  );
  for (const p of report.providers.filter((q) => !q.ok)) assert.ok(p.hint && p.hint.length > 20, `${p.provider} has a hint`);
});
