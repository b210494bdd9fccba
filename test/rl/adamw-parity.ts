/**
 * The ONNX AdamW graph against the TypeScript AdamW over a few steps: clipping active, weight
 * decay on 2-d parameters only, a warmup learning-rate schedule, and one step with a NaN
 * gradient (skipped by both). Shared by the CPU test and the WebGPU suite.
 */
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { DeviceTransfer, onDevice } from '../../src/onnx/index.js';
import { GraphAdamW } from '../../src/rl/adamw-graph.js';
import { createLrSchedule } from '../../src/rl/lr-schedule.js';
import { AdamW, skipOneDimensional } from '../../src/rl/optimizer.js';

export async function checkAdamWGraph(executionProvider: string): Promise<void> {
  const shapes = new Map<string, number[]>([
    ['w', [6, 5]],
    ['b', [5]],
    ['norm', [7]],
  ]);
  let state = 7;
  const rand = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5;
  const initial = new Map(
    [...shapes].map(([n, dims]) => [n, { data: Float32Array.from({ length: dims.reduce((a, b) => a * b) }, rand), dims }]),
  );
  const options = {
    lr: 0.05,
    betas: [0.9, 0.95] as const,
    eps: 1e-6,
    weightDecay: 0.1,
    maxGradNorm: 0.5,
    decayParameter: skipOneDimensional(shapes),
  };
  const host = new AdamW(new Map([...initial].map(([n, p]) => [n, p.data.slice()])), options);
  const transfer = await DeviceTransfer.open(executionProvider);
  const graph = await GraphAdamW.create(initial, host.exportState(), options, executionProvider, transfer);
  const schedule = createLrSchedule('cosine', { baseLr: options.lr, warmupSteps: 2, totalSteps: 6 });
  try {
    for (let s = 0; s < 5; s++) {
      const grads = new Map(
        [...shapes].map(([n, dims]) => [n, Float32Array.from({ length: dims.reduce((a, b) => a * b) }, () => 3 * rand())]),
      );
      if (s === 2) grads.get('b')![1] = NaN;
      const lr = schedule.lrAt(host.stepCount);
      assert.equal(schedule.lrAt(graph.stepCount), lr);
      const want = host.step(grads, lr);
      const fed = new Map<string, ort.Tensor>();
      for (const [n, g] of grads) {
        const t = new ort.Tensor('float32', g, shapes.get(n)!);
        fed.set(n, transfer ? await transfer.upload(t) : t);
      }
      const got = await graph.step(fed, lr);
      for (const t of fed.values()) if (onDevice(t)) t.dispose();
      assert.equal(got.applied, want.applied, `step ${s} applied`);
      assert.equal(got.step, want.step);
      if (want.applied) {
        assert.ok(
          Math.abs(got.gradNorm - want.gradNorm) < 1e-5 * want.gradNorm,
          `step ${s}: grad norm ${got.gradNorm} vs ${want.gradNorm}`,
        );
        assert.ok(want.clipCoef < 1, 'clipping is active');
      }
      if (transfer) for (const t of graph.params.values()) assert.ok(onDevice(t), 'parameters stay on the device');
    }
    const params = await graph.downloadParams();
    let sq = 0;
    for (const [n, p] of host.params) {
      const got = params.get(n)!;
      for (let i = 0; i < p.length; i++) {
        sq += p[i]! * p[i]!;
        assert.ok(Math.abs(got[i]! - p[i]!) <= 1e-6 * Math.max(1, Math.abs(p[i]!)), `${n}[${i}]: ${got[i]} vs ${p[i]}`);
      }
    }
    assert.ok(Math.abs(graph.weightSqSum - sq) < 1e-5 * sq, 'weight_sq_sum');
    const exported = await graph.exportState();
    const wantState = host.exportState();
    assert.equal(exported.step, wantState.step);
    for (const [n, t] of wantState.tensors) {
      const got = exported.tensors.get(n)!;
      // Moments mix gradients of both signs, so small entries carry cancellation error: compare to the tensor's scale.
      const scale = t.reduce((a, x) => Math.max(a, Math.abs(x)), 0);
      for (let i = 0; i < t.length; i++) assert.ok(Math.abs(got[i]! - t[i]!) <= 1e-5 * scale, `${n}[${i}]: ${got[i]} vs ${t[i]}`);
    }
  } finally {
    await graph.release();
  }
}
