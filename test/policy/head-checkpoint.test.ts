/** Saving a head as temperature_head.safetensors + .json and reading it back. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSafetensors, writeSafetensors } from '../../src/model/safetensors.js';
import { HEAD_CONFIG_FILE, HEAD_WEIGHTS_FILE, TemperatureHead } from '../../src/policy/head/index.js';
import { streamFor } from '../../src/util/rng.js';
import { UserError } from '../../src/util/errors.js';

function withDir(body: (dir: string) => void | Promise<void>) {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'head-ckpt-'));
    try {
      await body(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

for (const kind of ['grid', 'lognormal'] as const) {
  test(
    `${kind} head: save then load gives the same config, parameters and outputs`,
    withDir((dir) => {
      const head = TemperatureHead.create({
        kind,
        inputSize: 10,
        hiddenSize: 6,
        grid: [0.3, 0.6, 0.9, 1.2],
        initTemperature: 0.8,
        initSpread: 0.25,
        seed: 12,
      });
      // make the parameters differ from a fresh init, as after training
      for (const p of head.params.values()) for (let i = 0; i < p.length; i++) p[i] = (p[i] as number) + 0.01 * i;
      const files = head.save(dir);
      assert.deepEqual(files, [join(dir, HEAD_WEIGHTS_FILE), join(dir, HEAD_CONFIG_FILE)]);

      const loaded = TemperatureHead.load(dir);
      assert.deepEqual(loaded.config, head.config);
      assert.deepEqual(loaded.params, head.params);
      const rng = streamFor(1);
      const hidden = Float32Array.from({ length: 30 }, () => rng.normal());
      assert.deepEqual(loaded.forward(hidden, 3), head.forward(hidden, 3));

      // the files are what their names promise: PyTorch-layout tensors and a readable description
      const tensors = readSafetensors(join(dir, HEAD_WEIGHTS_FILE));
      assert.deepEqual([...tensors.keys()], ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']);
      assert.deepEqual(tensors.get('fc1.weight')?.dims, [6, 10]);
      assert.deepEqual(tensors.get('fc2.weight')?.dims, [kind === 'grid' ? 4 : 2, 6]);
      const json = JSON.parse(readFileSync(join(dir, HEAD_CONFIG_FILE), 'utf8'));
      assert.equal(json.version, 1);
      assert.equal(json.kind, kind);
      assert.deepEqual(json.init, { temperature: 0.8, spread: 0.25, outputStd: 0.001, seed: 12 });
    }),
  );
}

test(
  'load refuses missing files, other format versions and mis-shaped tensors with one-line errors',
  withDir((dir) => {
    const isUserError = (pattern: RegExp) => (e: unknown) => e instanceof UserError && pattern.test(e.message);
    assert.throws(() => TemperatureHead.load(dir), isUserError(/temperature_head\.json not found/));

    const head = TemperatureHead.create({ inputSize: 4, hiddenSize: 3 });
    head.save(dir);
    const jsonPath = join(dir, HEAD_CONFIG_FILE);
    const json = JSON.parse(readFileSync(jsonPath, 'utf8'));
    writeFileSync(jsonPath, JSON.stringify({ ...json, version: 2 }));
    assert.throws(() => TemperatureHead.load(dir), isUserError(/format version 2; this build reads version 1/));

    writeFileSync(jsonPath, JSON.stringify({ ...json, hiddenSize: 5 }));
    assert.throws(() => TemperatureHead.load(dir), isUserError(/"fc1\.weight" has shape \[3, 4\], expected \[5, 4\]/));

    writeFileSync(jsonPath, JSON.stringify({ ...json, surprise: true }));
    assert.throws(() => TemperatureHead.load(dir), isUserError(/temperature_head\.json/));

    writeFileSync(jsonPath, JSON.stringify(json));
    writeSafetensors(join(dir, HEAD_WEIGHTS_FILE), [{ name: 'fc1.weight', dims: [3, 4], data: new Float32Array(12) }]);
    assert.throws(() => TemperatureHead.load(dir), isUserError(/has no tensor "fc1\.bias"/));
  }),
);
