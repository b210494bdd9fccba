// The layer check of `npm run lint` (.dependency-cruiser.cjs) fails on an upward import and on an
// import cycle, and lets downward and type-only imports through. Each case is a small tree of
// sources under src/ in a temporary folder, cruised with the repository's own config.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const repoRoot = resolve(process.cwd());
const config = join(repoRoot, '.dependency-cruiser.cjs');
// the package's `exports` hide its bin folder, so it is found where npm installs it
const depcruise = join(repoRoot, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');

/** Writes `files` (paths under the temporary root) and cruises src/ with the repository's config. */
function cruise(files: Record<string, string>): { status: number | null; output: string } {
  const root = mkdtempSync(join(tmpdir(), 'introspect-layers-'));
  writeFileSync(join(root, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext' } }));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  const run = spawnSync(process.execPath, [depcruise, 'src', '--config', config, '--output-type', 'err'], { cwd: root, encoding: 'utf8' });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

const trainer = { 'src/rl/trainer.ts': 'export const train = (): number => 1;\n' };

test('an upward run-time import fails the layer check, naming the rule', () => {
  const { status, output } = cruise({
    ...trainer,
    'src/model/init.ts': "import { train } from '../rl/trainer.js';\nexport const x = train();\n",
  });
  assert.notEqual(status, 0, output);
  assert.match(output, /layer-model/);
  assert.match(output, /src\/model\/init\.ts → src\/rl\/trainer\.ts/);
});

test('a downward import and an upward type-only import pass', () => {
  const { status, output } = cruise({
    'src/util/stats.ts':
      'export const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;\nexport interface Row { x: number }\n',
    'src/rl/trainer.ts': "import { mean } from '../util/stats.js';\nexport const train = (): number => mean([1, 2]);\n",
    'src/util/log.ts':
      "import type { Row } from './stats.js';\nimport type { train } from '../rl/trainer.js';\nexport type T = Row | ReturnType<typeof train>;\n",
  });
  assert.equal(status, 0, output);
});

test('an import cycle inside one folder fails', () => {
  const { status, output } = cruise({
    'src/model/config.ts': "import { params } from './parameters.js';\nexport const config = (): number => params.length;\n",
    'src/model/parameters.ts': "import { config } from './config.js';\nexport const params = [config];\n",
  });
  assert.notEqual(status, 0, output);
  assert.match(output, /no-circular/);
});

test('a folder outside the layers fails', () => {
  const { status, output } = cruise({
    ...trainer,
    'src/misc/helper.ts': "import { train } from '../rl/trainer.js';\nexport const y = train();\n",
  });
  assert.notEqual(status, 0, output);
  assert.match(output, /only-known-layers/);
});
