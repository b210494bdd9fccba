#!/usr/bin/env node
// Runs every compiled test file (dist/test/**/*.test.js) with Node's test runner.
// Node 20's `--test` does not expand `**` globs itself, so the files are listed here.
// Extra arguments are passed through, e.g. `node scripts/run-tests.mjs --test-name-pattern=verifier`.
// The WebGPU suite (dist/test/webgpu) is slow on a software adapter, so it runs on its own:
// `--webgpu` (npm run test:webgpu) runs only it; without the flag it is left out.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function findTests(dir) {
  const found = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...findTests(path));
    else if (name.endsWith('.test.js')) found.push(path);
  }
  return found;
}

const filter = process.env.TEST_FILTER;
const webgpu = process.argv.includes('--webgpu');
const passThrough = process.argv.slice(2).filter((a) => a !== '--webgpu');
const isWebgpu = (f) => f.startsWith(join('dist', 'test', 'webgpu'));
const files = findTests('dist/test').filter((f) => (!filter || f.includes(filter)) && isWebgpu(f) === webgpu);
if (files.length === 0) {
  console.error('no test files found under dist/test (run `npm run build` first)');
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...passThrough, ...files], {
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
