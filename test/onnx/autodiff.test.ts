// grad()'s contract beyond single-op rules: missing rules fail at build time naming the op,
// stopGradient blocks, unreachable inputs get zeros, integer paths carry no gradient, and the
// forward graph is left untouched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GraphBuilder, createSession, grad } from '../../src/onnx/index.js';
import { runSession, tensor } from './helpers.js';

const X = [0.5, -1.25, 2, 0.75, -0.5, 1.5];

test('grad() through an op with no rule throws at build time, naming the op', () => {
  const g = new GraphBuilder('topk');
  const x = g.input('x', 'float64', [2, 3]);
  const [values] = g.topK(x, 2);
  g.output(g.reduceSum(values, { keepdims: false }), 'loss');
  assert.throws(
    () => grad(g.build(), 'loss', ['x']),
    (e: Error) => /no gradient rule for op 'TopK'/.test(e.message),
  );
});

test('an op with no rule is fine off the differentiated path', async () => {
  const g = new GraphBuilder('side');
  const x = g.input('x', 'float64', [2, 3]);
  const z = g.input('z', 'float64', [2, 3]);
  const [side] = g.topK(z, 3); // depends on z only
  g.output(g.reduceSum(g.add(g.mul(x, x), side), { keepdims: false }), 'loss');
  const out = await runSession(await createSession(grad(g.build(), 'loss', ['x'])), {
    x: tensor('float64', X, [2, 3]),
    z: tensor('float64', X, [2, 3]),
  });
  assert.deepEqual(
    out['grad.x']?.values,
    X.map((v) => 2 * v),
  );
});

test('stopGradient blocks the gradient: d/dx [x * stop(x)] = x, not 2x', async () => {
  const g = new GraphBuilder('stop');
  const x = g.input('x', 'float64', [2, 3]);
  g.output(g.reduceSum(g.mul(x, g.stopGradient(x)), { keepdims: false }), 'loss');
  const out = await runSession(await createSession(grad(g.build(), 'loss', ['x'])), { x: tensor('float64', X, [2, 3]) });
  assert.deepEqual(out['grad.x']?.values, X);
});

test('a wrt input the loss does not depend on gets zeros of its (runtime) shape', async () => {
  const g = new GraphBuilder('unused');
  const x = g.input('x', 'float64', ['n', 3]);
  g.input('u', 'float64', ['n', 'k']);
  g.initializer('w', new Float64Array([1, 2, 3, 4]), [2, 2]);
  g.output(g.reduceSum(g.exp(x), { keepdims: false }), 'loss');
  const out = await runSession(await createSession(grad(g.build(), 'loss', ['x', 'u', 'w'])), {
    x: tensor('float64', X, [2, 3]),
    u: tensor('float64', [1, 2, 3, 4, 5, 6, 7, 8], [2, 4]),
  });
  assert.deepEqual(out['grad.u'], { dims: [2, 4], values: new Array<number>(8).fill(0) });
  assert.deepEqual(out['grad.w'], { dims: [2, 2], values: [0, 0, 0, 0] });
  assert.deepEqual(out['grad.x']?.values, X.map(Math.exp));
});

test('integer and boolean paths carry no gradient; a non-scalar loss is differentiated as its sum', async () => {
  const g = new GraphBuilder('ints');
  const x = g.input('x', 'float64', [2, 3]);
  const rounded = g.cast(g.cast(x, { to: 'int64' }), { to: 'float64' }); // piecewise constant
  g.output(g.add(g.mul(x, 3), rounded), 'loss'); // [2, 3]
  const out = await runSession(await createSession(grad(g.build(), 'loss', ['x'])), { x: tensor('float64', X, [2, 3]) });
  assert.deepEqual(out['grad.x']?.values, new Array<number>(6).fill(3));
  assert.deepEqual(out.loss?.dims, [2, 3]);
});

test('grad() leaves the forward graph untouched and checks its arguments', () => {
  const g = new GraphBuilder('fwd');
  const x = g.input('x', 'float64', [3]);
  const w = g.initializer('w', new Float64Array([1, 2, 3]), [3]);
  g.output(g.reduceSum(g.mul(g.tanh(x), w), { keepdims: false }), 'loss');
  g.output(g.argMax(x, { axis: 0, keepdims: false }), 'best');
  const forward = g.build();
  const before = JSON.stringify(forward.nodes.map((n) => [n.op, n.name, n.inputs.map((v) => v?.name), n.outputs.map((v) => v.name)]));
  const training = grad(forward, 'loss', ['x', 'w'], { keepOutputs: ['best'] });
  assert.equal(
    JSON.stringify(forward.nodes.map((n) => [n.op, n.name, n.inputs.map((v) => v?.name), n.outputs.map((v) => v.name)])),
    before,
  );
  assert.deepEqual(
    training.outputs.map((v) => v.name),
    ['loss', 'grad.x', 'grad.w', 'best'],
  );
  assert.throws(() => grad(forward, 'loss', ['nope']), /no value named 'nope'/);
  assert.throws(() => grad(forward, 'loss', ['x'], { keepOutputs: ['missing'] }), /not an output/);
  assert.throws(() => grad(forward, 'best', ['x']), /must be floating point/);
});

test('seeds: a hand-written gradient at a value flows on through autodiff, as d/dx of loss + sum(G * y) computed by hand', async () => {
  // y = tanh(x) * w; loss = sum(y^2); seed G at y. Then
  //   d/dx = (2y + G) * w * (1 - tanh(x)^2),  d/dw = sum over rows of (2y + G) * tanh(x).
  const g = new GraphBuilder('seeded');
  const x = g.input('x', 'float64', [2, 3]);
  const w = g.input('w', 'float64', [3]);
  const seed = g.input('G', 'float64', [2, 3]);
  const y = g.mul(g.tanh(x), w);
  g.output(g.reduceSum(g.mul(y, y), { keepdims: false }), 'loss');
  g.output(y, 'y');
  g.output(seed, 'seed');
  const W = [0.5, -2, 1.5];
  const G = [1, -0.5, 0.25, 2, 0, -1];
  const out = await runSession(await createSession(grad(g.build(), 'loss', ['x', 'w'], { seeds: [{ value: 'y', grad: 'seed' }] })), {
    x: tensor('float64', X, [2, 3]),
    w: tensor('float64', W, [3]),
    G: tensor('float64', G, [2, 3]),
  });
  const t = X.map(Math.tanh);
  const up = t.map((ti, i) => 2 * ti * W[i % 3]! + G[i]!); // dL/dy + G
  const gx = up.map((u, i) => u * W[i % 3]! * (1 - t[i]! ** 2));
  const gw = [0, 1, 2].map((j) => up[j]! * t[j]! + up[j + 3]! * t[j + 3]!);
  out['grad.x']!.values.forEach((v, i) => assert.ok(Math.abs(v - gx[i]!) < 1e-12, `grad.x[${i}] ${v} vs ${gx[i]}`));
  out['grad.w']!.values.forEach((v, i) => assert.ok(Math.abs(v - gw[i]!) < 1e-12, `grad.w[${i}] ${v} vs ${gw[i]}`));
  // The loss is the loss: a seed adds no term to its value.
  const loss = t.reduce((s, ti, i) => s + (ti * W[i % 3]!) ** 2, 0);
  assert.ok(Math.abs(out.loss!.values[0]! - loss) < 1e-12);
});

test('seeds: one on a value off the loss path still reaches wrt through it; one on a value no wrt reaches is ignored; a mismatched one is refused', async () => {
  // loss = sum(x * z); side = 3x is not used by the loss. Seeds: G at side, H at z (z is not in wrt
  // and depends on nothing in it). d/dx = z + 3G.
  const g = new GraphBuilder('seeds');
  const x = g.input('x', 'float64', [3]);
  const z = g.input('z', 'float64', [3]);
  g.input('G', 'float64', [3]);
  g.input('H', 'float64', [3]);
  g.input('G2', 'float64', [2, 3]);
  g.output(g.reduceSum(g.mul(x, z), { keepdims: false }), 'loss');
  g.output(g.mul(x, 3), 'side');
  const graph = g.build();
  const Z = [0.5, -1, 2];
  const G = [1, 0.25, -2];
  const out = await runSession(
    await createSession(
      grad(graph, 'loss', ['x'], {
        seeds: [
          { value: 'side', grad: 'G' },
          { value: 'z', grad: 'H' },
        ],
      }),
    ),
    {
      x: tensor('float64', [1, 2, 3], [3]),
      z: tensor('float64', Z, [3]),
      G: tensor('float64', G, [3]),
      H: tensor('float64', [100, 100, 100], [3]),
      G2: tensor('float64', new Array<number>(6).fill(0), [2, 3]),
    },
  );
  assert.deepEqual(
    out['grad.x']?.values,
    Z.map((zi, i) => zi + 3 * G[i]!),
  );
  assert.throws(
    () => grad(graph, 'loss', ['x'], { seeds: [{ value: 'x', grad: 'G2' }] }),
    /seed 'G2' \(float64, rank 2\) does not match 'x' \(float64, rank 1\)/,
  );
});

test('recompute: a region is computed again in the backward pass, after the gradient that first needs it, with the same gradients bit for bit', async () => {
  // loss = sum(W2 silu(W1 x)): silu (Sigmoid, Mul) is the region; the backward reads its outputs
  // three times (W2's gradient, the Mul rule, the Sigmoid rule).
  const g = new GraphBuilder('mlp');
  const x = g.input('x', 'float32', ['n', 3]);
  const w1 = g.input('w1', 'float32', [3, 4]);
  const w2 = g.input('w2', 'float32', [4, 2]);
  const hidden = g.matmul(x, w1);
  const act = g.recompute(() => g.silu(hidden));
  g.output(g.reduceSum(g.matmul(act, w2), { keepdims: false }), 'loss');
  const forward = g.build();
  const kept = grad(forward, 'loss', ['x', 'w1', 'w2']);
  const recomputed = grad(forward, 'loss', ['x', 'w1', 'w2'], { recompute: true });

  const sigmoids = (graph: typeof kept) => graph.nodes.filter((n) => n.op === 'Sigmoid');
  assert.equal(sigmoids(kept).length, 1);
  assert.equal(sigmoids(recomputed).length, 2, 'the backward has its own Sigmoid');
  // The copy must wait for the backward pass: its ancestors include a value the forward does not compute.
  const forwardValues = new Set(forward.nodes.flatMap((n) => n.outputs.map((v) => v.name)));
  const copy = sigmoids(recomputed).find((n) => !forwardValues.has(n.outputs[0]!.name))!;
  const ancestors = (node: (typeof kept.nodes)[number], seen = new Set<string>()): Set<string> => {
    for (const v of node.inputs) {
      if (!v || seen.has(v.name)) continue;
      seen.add(v.name);
      if (v.producer) ancestors(v.producer, seen);
    }
    return seen;
  };
  // (a float value of the backward pass: the gradient the Reshape's shape is taken from)
  const backwardFloats = [...ancestors(copy)].filter((name) => {
    const producer = recomputed.nodes.find((n) => n.outputs.some((o) => o.name === name));
    const value = producer?.outputs.find((o) => o.name === name);
    return producer !== undefined && !forwardValues.has(name) && value?.dtype === 'float32';
  });
  assert.ok(backwardFloats.length > 0, 'the copy depends on a gradient, not only on forward values');

  const feeds = {
    x: tensor('float32', [0.5, -1.25, 2, 0.75, -0.5, 1.5], [2, 3]),
    w1: tensor('float32', [0.1, -0.2, 0.3, 0.4, -0.5, 0.6, 0.7, -0.8, 0.9, 1.0, -1.1, 1.2], [3, 4]),
    w2: tensor('float32', [0.3, -0.1, 0.2, 0.5, -0.4, 0.6, 0.8, -0.7], [4, 2]),
  };
  const a = await runSession(await createSession(kept, { graphOptimizationLevel: 'basic' }), feeds);
  const b = await runSession(await createSession(recomputed, { graphOptimizationLevel: 'basic' }), feeds);
  for (const name of ['loss', 'grad.x', 'grad.w1', 'grad.w2']) assert.deepEqual(b[name]?.values, a[name]?.values, name);
  // and the gradient is the right one: d loss / d w2[i, j] = sum over rows of silu(x w1)[:, i]
  const silu = (v: number) => v / (1 + Math.exp(-v));
  const xs = [0.5, -1.25, 2, 0.75, -0.5, 1.5];
  const w1s = [0.1, -0.2, 0.3, 0.4, -0.5, 0.6, 0.7, -0.8, 0.9, 1.0, -1.1, 1.2];
  for (let i = 0; i < 4; i++) {
    let want = 0;
    for (let r = 0; r < 2; r++) want += silu(xs[r * 3]! * w1s[i]! + xs[r * 3 + 1]! * w1s[4 + i]! + xs[r * 3 + 2]! * w1s[8 + i]!);
    assert.ok(Math.abs(b['grad.w2']!.values[i * 2]! - want) < 1e-6, `grad.w2[${i}, 0]`);
  }
});

test('accumulateInPlace: gathered rows are scattered onto the gradient accumulated so far, the same sums in another order', async () => {
  // A tied table: loss = sum(gather(W, ids) * A) + sum(W * B); d/dW = B plus A's rows added at ids.
  const g = new GraphBuilder('tied');
  const w = g.input('w', 'float32', [4, 3]);
  const ids = g.input('ids', 'int64', [5]);
  const a = g.input('a', 'float32', [5, 3]);
  const b = g.input('b', 'float32', [4, 3]);
  // The rows are read first, as an embedding is, so the backward pass reaches them last.
  const embedded = g.reduceSum(g.mul(g.gather(w, ids), a), { keepdims: false });
  g.output(g.add(embedded, g.reduceSum(g.mul(w, b), { keepdims: false })), 'loss');
  const forward = g.build();
  const separate = grad(forward, 'loss', ['w']);
  const inPlace = grad(forward, 'loss', ['w'], { accumulateInPlace: true });
  const scatterBase = (graph: typeof separate) => graph.nodes.find((n) => n.op === 'ScatterElements')?.inputs[0]?.producer?.op;
  assert.match(String(scatterBase(separate)), /^Constant/, 'by default the rows are scattered onto zeros');
  assert.equal(scatterBase(inPlace), 'Mul', "in place they are scattered onto the projection's gradient (B * 1)");

  const A = [0.5, -1, 2, 0.25, 0.75, -0.5, 1.5, 1, -2, 0.125, 3, -0.75, 1, 1, 1];
  const Bv = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2];
  const idx = [2, 0, 2, 3, 2];
  const feeds = {
    w: tensor(
      'float32',
      Bv.map((v) => v * 2),
      [4, 3],
    ),
    ids: tensor('int64', idx, [5]),
    a: tensor('float32', A, [5, 3]),
    b: tensor('float32', Bv, [4, 3]),
  };
  const want = [...Bv];
  idx.forEach((row, k) => {
    for (let j = 0; j < 3; j++) want[row * 3 + j]! += A[k * 3 + j]!;
  });
  for (const graph of [separate, inPlace]) {
    const out = await runSession(await createSession(graph), feeds);
    out['grad.w']!.values.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 1e-6, `grad.w[${i}] ${v} vs ${want[i]}`));
  }
});
