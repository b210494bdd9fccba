/**
 * A short training run on WebGPU (weights, gradients and AdamW state on the device) against the
 * same run on CPU: the same rollouts and rewards, losses and gradient norms within float32 noise,
 * and a final checkpoint (the only time weights come down) within 1e-4 of the CPU run's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { validateJob, type JobConfig } from '../../src/config/index.js';
import { loadCheckpoint } from '../../src/model/checkpoint.js';
import { latestCheckpoint } from '../../src/rl/checkpoint.js';
import { METRIC_NAMES } from '../../src/rl/metrics.js';
import { train } from '../../src/rl/trainer.js';
import { silentLogger } from '../../src/util/log.js';
import { writeTinyCharModel } from '../eval/tiny-char-model.js';
import { webgpuSkipReason } from '../helpers/webgpu.js';

const skip = await webgpuSkipReason();

function job(executionProvider: 'cpu' | 'webgpu', model: string): JobConfig {
  return validateJob(
    {
      run: { seed: 11 },
      model: { path: model, executionProvider },
      policy: 'fixed:1.0',
      task: { name: 'synthetic-arith', synthetic: { trainSize: 40, testSize: 4 } },
      rollout: { maxNewTokens: 10, batchSize: 8 },
      train: {
        iterations: 3,
        promptsPerIteration: 2,
        groupSize: 4,
        miniBatchSize: 4,
        evalEvery: 0,
        checkpointEvery: 0,
        schedule: { name: 'token-only' },
        advantage: { dropUniformGroups: false },
        loss: { entropyCoef: 0.05 },
        tokenOptimizer: { lr: 2e-3, maxGradNorm: 0.5, warmupSteps: 2 },
      },
    },
    { source: 'test', baseDir: process.cwd() },
  );
}

function metricsRows(runDir: string): Record<string, string>[] {
  const [header, ...rows] = readFileSync(join(runDir, 'metrics.csv'), 'utf8').trim().split('\n');
  const cols = header!.split(',');
  return rows.map((r) => Object.fromEntries(r.split(',').map((v, i) => [cols[i]!, v])));
}

test('a short token-policy run on WebGPU tracks the CPU run (rollouts, rewards, losses, grad norms, final weights)', { skip }, async () => {
  const model = writeTinyCharModel({ seed: 4 });
  const runs = { cpu: mkdtempSync(join(tmpdir(), 'introspect-gpu-cpu-')), webgpu: mkdtempSync(join(tmpdir(), 'introspect-gpu-webgpu-')) };
  await train(job('cpu', model), { logger: silentLogger, runDir: runs.cpu });
  let weightsOn = '';
  const watcher = pino(
    { level: 'info' },
    {
      write(line: string) {
        const record = JSON.parse(line) as { msg: string; weightsOn?: string };
        if (record.msg === 'trainer ready') weightsOn = record.weightsOn ?? '';
      },
    },
  );
  await train(job('webgpu', model), { logger: watcher, runDir: runs.webgpu });
  assert.equal(weightsOn, 'webgpu', 'weights and optimiser state on the device');
  const [cpu, gpu] = [metricsRows(runs.cpu), metricsRows(runs.webgpu)];
  assert.equal(gpu.length, 3);
  // metrics.csv is written under METRIC_NAMES (TRL's names where TRL has the figure).
  const value = (row: Record<string, string>, column: keyof typeof METRIC_NAMES) => {
    const v = row[METRIC_NAMES[column]];
    assert.ok(v !== undefined && v !== '', `metrics.csv has ${METRIC_NAMES[column]}`);
    return v;
  };
  cpu.forEach((c, i) => {
    const g = gpu[i]!;
    for (const col of ['rollout_tokens', 'reward_mean', 'response_length', 'token_steps', 'token_lr'] as const)
      assert.equal(value(g, col), value(c, col), `iteration ${i + 1}: ${col}`);
    for (const col of ['token_loss', 'token_entropy', 'approx_kl'] as const) {
      const [gv, cv] = [Number(value(g, col)), Number(value(c, col))];
      assert.ok(Math.abs(gv - cv) < 1e-4, `iteration ${i + 1}: ${col} ${gv} vs ${cv}`);
    }
    const [gn, cn] = [Number(value(g, 'token_grad_norm')), Number(value(c, 'token_grad_norm'))];
    assert.ok(cn > 0 && Math.abs(gn - cn) < 1e-3 * cn, `iteration ${i + 1}: grad norm ${gn} vs ${cn}`);
  });
  const [a, b] = [
    loadCheckpoint(join(latestCheckpoint(runs.cpu)!, 'model')),
    loadCheckpoint(join(latestCheckpoint(runs.webgpu)!, 'model')),
  ];
  const base = loadCheckpoint(model);
  let moved = 0;
  for (const [name, p] of a.params) {
    const q = b.params.get(name)!.data;
    for (let i = 0; i < p.data.length; i++) {
      assert.ok(Math.abs(q[i]! - p.data[i]!) < 1e-4, `${name}[${i}]: ${q[i]} vs ${p.data[i]}`);
      if (p.data[i] !== base.params.get(name)!.data[i]) moved++;
    }
  }
  assert.ok(moved > 0, 'training changed the weights');
});
