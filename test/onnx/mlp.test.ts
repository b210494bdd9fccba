// A two-layer MLP with softmax cross-entropy: autodiff's gradients against the textbook backward
// pass written out in plain loops (an independent reference, not finite differences).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GraphBuilder, createSession, grad } from '../../src/onnx/index.js';
import { normal, rng, runSession, tensor } from './helpers.js';

const [N, D, H, C] = [5, 4, 6, 3];

type Mat = number[][];
const mat = (flat: number[], rows: number, cols: number): Mat =>
  Array.from({ length: rows }, (_, i) => flat.slice(i * cols, (i + 1) * cols));
const matmul = (a: Mat, b: Mat): Mat =>
  a.map((row) => (b[0] as number[]).map((_, j) => row.reduce((s, v, k) => s + v * ((b[k] as number[])[j] as number), 0)));
const transpose = (a: Mat): Mat => (a[0] as number[]).map((_, j) => a.map((row) => row[j] as number));
const colSums = (a: Mat): number[] => (a[0] as number[]).map((_, j) => a.reduce((s, row) => s + (row[j] as number), 0));

/** Forward and backward of mean cross-entropy(tanh(x W1 + b1) W2 + b2, y), by hand. */
function reference(x: Mat, w1: Mat, b1: number[], w2: Mat, b2: number[], y: number[]) {
  const h = matmul(x, w1).map((row) => row.map((v, j) => Math.tanh(v + (b1[j] as number))));
  const logits = matmul(h, w2).map((row) => row.map((v, j) => v + (b2[j] as number)));
  let loss = 0;
  // dL/dlogits = (softmax - onehot) / N
  const dLogits = logits.map((row, i) => {
    const m = Math.max(...row);
    const z = row.reduce((s, v) => s + Math.exp(v - m), 0);
    loss -= ((row[y[i] as number] as number) - m - Math.log(z)) / N;
    return row.map((v, j) => (Math.exp(v - m) / z - (j === y[i] ? 1 : 0)) / N);
  });
  const dW2 = matmul(transpose(h), dLogits);
  const db2 = colSums(dLogits);
  const dPre = matmul(dLogits, transpose(w2)).map((row, i) => row.map((v, j) => v * (1 - ((h[i] as number[])[j] as number) ** 2)));
  return { loss, dW1: matmul(transpose(x), dPre), db1: colSums(dPre), dW2, db2, dx: matmul(dPre, transpose(w1)) };
}

test('two-layer MLP with softmax cross-entropy: gradients equal the hand-derived backward pass', async () => {
  const rand = rng(11);
  const xs = normal(rand, N * D);
  const [w1, b1, w2, b2] = [normal(rand, D * H), normal(rand, H), normal(rand, H * C), normal(rand, C)];
  const labels = [0, 2, 1, 2, 0];

  const g = new GraphBuilder('mlp');
  const x = g.input('x', 'float64', ['batch', D]);
  const y = g.input('y', 'int64', ['batch']);
  const hidden = g.tanh(
    g.add(g.matmul(x, g.initializer('w1', Float64Array.from(w1), [D, H])), g.initializer('b1', Float64Array.from(b1), [H])),
  );
  const logits = g.add(
    g.matmul(hidden, g.initializer('w2', Float64Array.from(w2), [H, C])),
    g.initializer('b2', Float64Array.from(b2), [C]),
  );
  const logprobs = g.logSoftmax(logits, { axis: -1 }); // [batch, C]
  const picked = g.gatherElements(logprobs, g.unsqueeze(y, { axes: [1] }), { axis: 1 }); // [batch, 1]
  g.output(g.neg(g.reduceMean(picked, { keepdims: false })), 'loss');
  g.output(logprobs, 'logprobs');
  const training = grad(g.build(), 'loss', ['w1', 'b1', 'w2', 'b2', 'x'], { keepOutputs: ['logprobs'] });

  const ref = reference(mat(xs, N, D), mat(w1, D, H), b1, mat(w2, H, C), b2, labels);
  const expected: Record<string, number[]> = {
    loss: [ref.loss],
    'grad.w1': ref.dW1.flat(),
    'grad.b1': ref.db1,
    'grad.w2': ref.dW2.flat(),
    'grad.b2': ref.db2,
    'grad.x': ref.dx.flat(),
  };
  for (const level of ['disabled', 'all'] as const) {
    const out = await runSession(await createSession(training, { graphOptimizationLevel: level }), {
      x: tensor('float64', xs, [N, D]),
      y: tensor('int64', labels, [N]),
    });
    assert.deepEqual(Object.keys(out).sort(), [...Object.keys(expected), 'logprobs'].sort());
    for (const [name, want] of Object.entries(expected)) {
      const got = out[name]?.values ?? [];
      const scale = Math.max(...want.map(Math.abs));
      const err = Math.max(...want.map((w, i) => Math.abs(w - (got[i] as number)))) / scale;
      assert.ok(err <= 1e-6, `${name} (${level}): relative error ${err.toExponential(2)}`);
    }
    assert.deepEqual(out.logprobs?.dims, [N, C]);
  }
});
