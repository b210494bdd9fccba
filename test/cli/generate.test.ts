import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { packageRoot } from '../../src/config/index.js';
import { fixtureDir, fixtureNames } from '../helpers/paths.js';
import { loadReference } from '../model/graphs-reference.js';

const cacheDir = mkdtempSync(join(tmpdir(), 'introspect-cli-cache-'));

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [resolve(packageRoot, 'bin', 'run.js'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, CI: '1', INTROSPECT_CACHE_DIR: cacheDir },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

for (const name of fixtureNames) {
  test(`introspect generate --temperature 0 --json continues ${name} exactly as transformers' greedy decoding`, () => {
    const ref = loadReference(name);
    for (const row of [0, 1]) {
      const prompt = ref.ids[row]!.slice(0, 6);
      const { status, stdout, stderr } = cli(
        'generate',
        fixtureDir(name),
        '--input-ids',
        prompt.join(','),
        '--max-new-tokens',
        '10',
        '--temperature',
        '0',
        '--json',
      );
      assert.equal(status, 0, stderr);
      const result = JSON.parse(stdout) as { tokens: { id: number; logprob: number; temperature: number }[] };
      assert.deepEqual(
        result.tokens.map((t) => t.id),
        ref.greedy[row]!.slice(6),
        `${name} row ${row}`,
      );
      assert.ok(result.tokens.every((t) => t.temperature === 0 && t.logprob <= 0));
    }
  });
}

test('the paper-scale GPU recipe validates and starts: offline, it stops at the model download with one line', () => {
  const out = mkdtempSync(join(tmpdir(), 'introspect-qwen-'));
  const { status, stderr } = cli('train', resolve(packageRoot, 'configs', 'qwen2.5-math-1.5b.yaml'), '--out', out);
  assert.notEqual(status, 0);
  const lines = stderr.split('\n').filter((l) => l.startsWith('Error: '));
  assert.equal(lines.length, 1, stderr);
  assert.match(lines[0]!, /Qwen\/Qwen2\.5-Math-1\.5B/);
});
