// The worked example of src/onnx/README.md, run as written (keep the two in sync), with its
// printed numbers checked against values computed by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { GraphBuilder, createSession, grad } from '../../src/onnx/index.js';

test('README worked example: forward + backward of a small graph in ONNX Runtime', async () => {
  // --- from README.md ---
  const g = new GraphBuilder('regression');
  const x = g.input('x', 'float32', ['batch', 2]);
  const target = g.input('target', 'float32', ['batch']);
  const w = g.initializer('w', new Float32Array([0.5, -1]), [2, 1]);
  const b = g.initializer('b', new Float32Array([0.25]), [1]);
  const pred = g.squeeze(g.add(g.matmul(x, w), b), { axes: [1] }); // [batch]
  const err = g.sub(pred, target);
  g.output(g.reduceMean(g.mul(err, err), { keepdims: false }), 'loss'); // mean squared error
  g.output(pred, 'pred');
  const forward = g.build();

  const training = grad(forward, 'loss', ['w', 'b'], { keepOutputs: ['pred'] });
  const session = await createSession(training);
  const out = await session.run({
    x: new ort.Tensor('float32', new Float32Array([1, 2, 3, 4]), [2, 2]),
    target: new ort.Tensor('float32', new Float32Array([0, 1]), [2]),
  });
  // out.loss: [6.0625], out['grad.w']: [-11, -15.5] (shape [2, 1]), out['grad.b']: [-4.5], out.pred: [-1.25, -2.25]
  // --- end ---

  // By hand: pred = [0.5 - 2 + 0.25, 1.5 - 4 + 0.25] = [-1.25, -2.25]; with target [0, 1],
  // err = [-1.25, -3.25]; loss = (1.5625 + 10.5625) / 2 = 6.0625; dL/dpred = 2 err / N = err;
  // dL/dw = x^T err = [-1.25 - 9.75, -2.5 - 13] = [-11, -15.5]; dL/db = -4.5.
  assert.deepEqual(Array.from(out.pred!.data as Float32Array), [-1.25, -2.25]);
  assert.equal((out.loss!.data as Float32Array)[0], 6.0625);
  assert.deepEqual(Array.from(out['grad.w']!.data as Float32Array), [-11, -15.5]);
  assert.deepEqual(Array.from(out['grad.b']!.data as Float32Array), [-4.5]);
});
