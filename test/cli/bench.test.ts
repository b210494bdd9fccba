/**
 * `introspect bench rollout|train`: one JSON object with the measured figures, the graph cached on
 * the first run and reused on the second, and tokens/s consistent with the timed runs (the
 * optimiser's seconds within a step's).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { packageRoot } from '../../src/config/index.js';
import { fixtureDir } from '../helpers/paths.js';

function cli(cacheDir: string, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [resolve(packageRoot, 'bin', 'run.js'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, CI: '1', INTROSPECT_CACHE_DIR: cacheDir },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('bench rollout and bench train --json report tokens/s, peak RSS and graph build/load times', () => {
  const cacheDir = mkdtempSync(join(tmpdir(), 'introspect-bench-cache-'));
  try {
    const model = fixtureDir('qwen2-tiny');
    const rollout = [
      'bench',
      'rollout',
      model,
      '--batch',
      '3',
      '--prompt-len',
      '5',
      '--new-tokens',
      '7',
      '--threads',
      '1',
      '--repeats',
      '2',
      '--json',
    ];
    const first = cli(cacheDir, ...rollout);
    assert.equal(first.status, 0, first.stderr);
    const r = JSON.parse(first.stdout) as Record<string, number | boolean | number[]>;
    assert.equal(r.graph_cached, false);
    assert.ok((r.graph_build_s as number) > 0);
    assert.ok(Math.abs((r.tokens_per_s as number) - (3 * 7) / (r.seconds as number)) < 1e-6);
    assert.equal((r.repeat_seconds as number[]).length, 2);
    assert.ok((r.time_to_first_token_s as number) > 0 && (r.time_to_first_token_s as number) < (r.seconds as number));
    assert.ok((r.peak_rss_bytes as number) > 10 * 2 ** 20);
    const again = JSON.parse(cli(cacheDir, ...rollout).stdout) as Record<string, unknown>;
    assert.equal(again.graph_cached, true);
    assert.equal(again.graph_build_s, 0);

    const train = cli(cacheDir, 'bench', 'train', model, '--batch', '2', '--seq-len', '9', '--threads', '1', '--json');
    assert.equal(train.status, 0, train.stderr);
    const t = JSON.parse(train.stdout) as Record<string, number>;
    assert.ok(Math.abs(t.tokens_per_s! - 18 / t.seconds!) < 1e-6);
    assert.ok(t.peak_rss_bytes! > 0 && t.session_load_s! > 0);
    // The optimiser's share of a step is part of the step.
    assert.ok(t.optimizer_s! > 0 && t.optimizer_s! < t.seconds!, `optimizer_s ${t.optimizer_s} of ${t.seconds} s`);
    const bad = cli(cacheDir, 'bench', 'train', model, '--seq-len', '1');
    assert.notEqual(bad.status, 0);
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
});
