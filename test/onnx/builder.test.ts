// The builder: shape inference checked against the shapes ONNX Runtime actually produces,
// constant folding, sharing of repeated subexpressions, naming, and argument errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type Value, GraphBuilder, OPSET, createSession, grad } from '../../src/onnx/index.js';
import { checkInferredShapes, normal, rng, runSession, tensor } from './helpers.js';
import { decoderInputs, tinyTransformer, weightShapes } from './tiny-transformer.js';

test('inferred shapes of a decoder training graph match the shapes ORT computes', async () => {
  const c = { layers: 1, hidden: 8, heads: 2, kvHeads: 1, ffn: 8, vocab: 7 };
  const rand = rng(2);
  const g = new GraphBuilder('dec');
  const io = decoderInputs(g);
  const w = new Map<string, Value>();
  for (const [n, s] of Object.entries(weightShapes(c)))
    w.set(
      n,
      g.initializer(
        n,
        Float32Array.from(
          normal(
            rand,
            s.reduce((a, b) => a * b, 1),
          ),
        ),
        s,
      ),
    );
  g.output(tinyTransformer(g, c, (n) => w.get(n) as Value, io, 'float32').loss, 'loss');
  const training = grad(g.build(), 'loss', [...w.keys()]);
  const feeds = {
    ids: tensor('int64', [1, 2, 3, 4, 5, 6], [2, 3]),
    targets: tensor('int64', [6, 5, 4, 3, 2, 1], [2, 3]),
    old: tensor('float32', [-2, -2, -2, -2, -2, -2], [2, 3]),
    adv: tensor('float32', [1, -1], [2, 1]),
  };
  assert.ok((await checkInferredShapes(training, feeds)) > 100);
});

test('symbolic sizes get names through slices, concats, reshapes, splits, expands and ranges', async () => {
  const g = new GraphBuilder('names');
  const x = g.input('x', 'float32', ['b', 't', 6]);
  const past = g.input('past', 'float32', ['b', 'p', 6]);
  const shifted = g.slice(x, { starts: [0], ends: [-1], axes: [1] });
  const joined = g.concat([past, x], { axis: 1 });
  const flat = g.reshape(x, [-1, 6]);
  const [a, b2] = g.split(x, { axis: 2, split: [2, 4] });
  const positions = g.range(0, g.gather(g.shape(x), g.constant(1, 'int64')), 1);
  const tail = g.slice(x, { starts: [1], ends: [2 ** 62], axes: [1] });
  const grid = g.expand(g.unsqueeze(positions, { axes: [0] }), g.shape(x, { end: 2 }));
  assert.deepEqual(shifted.shape, ['b', 't-1', 6]);
  assert.deepEqual(tail.shape, ['b', 't-1', 6]);
  assert.deepEqual(joined.shape, ['b', 'p+t', 6]);
  assert.deepEqual(flat.shape, ['b*t', 6]);
  assert.deepEqual(
    [a!.shape, b2!.shape],
    [
      ['b', 't', 2],
      ['b', 't', 4],
    ],
  );
  assert.deepEqual(positions.shape, ['t']);
  assert.deepEqual(grid.shape, ['b', 't']);
  const outs = { shifted, joined, flat, a: a!, b2: b2!, positions, tail, grid };
  for (const [name, v] of Object.entries(outs)) g.output(v, name);
  const rand = rng(4);
  const feeds = { x: tensor('float32', normal(rand, 2 * 5 * 6), [2, 5, 6]), past: tensor('float32', normal(rand, 2 * 3 * 6), [2, 3, 6]) };
  await checkInferredShapes(g.build(), feeds);
});

test('static shape arithmetic folds to constants; repeated subexpressions are built once', () => {
  const g = new GraphBuilder('fold');
  const x = g.input('x', 'float32', [2, 3, 4]);
  const y = g.reshape(x, g.concat([g.shape(x, { end: 1 }), g.constant([-1], 'int64')], { axis: 0 })); // [2, 12]
  assert.deepEqual(y.shape, [2, 12]);
  assert.strictEqual(g.exp(x), g.exp(x));
  assert.strictEqual(g.constant([1, 2], 'int64'), g.constant([1, 2], 'int64'));
  assert.notStrictEqual(g.stopGradient(x), g.identity(x));
  g.output(g.add(y, g.cast(g.size(x), { to: 'float32' })), 'y'); // Size of a static shape is a constant too
  const graph = g.build();
  assert.deepEqual(graph.nodes.map((n) => n.op).sort(), ['Add', 'Constant', 'Constant', 'Reshape'].sort());
});

test('numbers become constants of the other operand’s dtype; mismatched dtypes are errors', () => {
  const g = new GraphBuilder('dtypes');
  const x = g.input('x', 'float64', [2]);
  const i = g.input('i', 'int64', [2]);
  const half = g.mul(x, 0.5);
  const c = half.producer?.inputs[1] as Value;
  assert.equal(c.dtype, 'float64');
  assert.equal(g.sub(1, x).producer?.inputs[0]?.dtype, 'float64');
  assert.equal(g.add(i, 1).dtype, 'int64');
  assert.throws(() => g.add(x, i), /Add: operand dtypes differ \(x: float64, i: int64\)/);
  assert.throws(() => g.matmul(x, g.input('m', 'float64', [3, 2])), /MatMul: inner sizes differ \(\[2\] @ \[3,2\]\)/);
  assert.equal(g.cast(x, { to: 'float64' }), x, 'a cast to the same dtype emits nothing');
});

test(`reductions take axes as an input at opset ${OPSET} and keep ONNX's keepdims default`, () => {
  const g = new GraphBuilder('reduce');
  const x = g.input('x', 'float32', ['n', 5]);
  const m = g.reduceMean(x, { axes: [-1] });
  assert.deepEqual(m.shape, ['n', 1]);
  assert.equal(m.producer?.inputs.length, OPSET >= 18 ? 2 : 1);
  assert.deepEqual(g.reduceMax(x, { axes: [0], keepdims: false }).shape, [5]);
  assert.deepEqual(g.reduceSum(x, { keepdims: false }).shape, []);
});

test('outputs are named, names stay unique, and build() drops dead nodes but keeps inputs', () => {
  const g = new GraphBuilder('names');
  const x = g.input('x', 'float32', [2]);
  g.input('unused', 'float32', [2]);
  g.exp(x); // dead
  const y = g.output(g.tanh(x), 'y');
  assert.equal(y.name, 'y');
  const again = g.output(y, 'y2'); // a second name for the same value: via Identity
  assert.equal(again.producer?.op, 'Identity');
  const passthrough = g.output(x, 'x_out');
  assert.equal(passthrough.producer?.op, 'Identity');
  assert.throws(() => g.output(g.sigmoid(x), 'y'), /already has a value named 'y'/);
  assert.throws(() => g.input('x', 'float32', [1]), /already has a value named 'x'/);
  const graph = g.build();
  assert.deepEqual(
    graph.inputs.map((v) => v.name),
    ['x', 'unused'],
  );
  assert.ok(!graph.nodes.some((n) => n.op === 'Exp' || n.op === 'Sigmoid'));
});

test('slice gradients behind a transpose run under every optimisation level (ORT transpose optimizer vs Pad axes)', async () => {
  const g = new GraphBuilder('pad');
  const x = g.input('x', 'float32', [2, 3, 4]);
  const t = g.transpose(x, { perm: [0, 2, 1] }); // [2, 4, 3]
  g.output(g.reduceSum(g.mul(g.slice(t, { starts: [1], ends: [3], axes: [1] }), 2), { keepdims: false }), 'loss');
  const training = grad(g.build(), 'loss', ['x']);
  const expected = Array.from({ length: 24 }, (_, i) => (i % 4 >= 1 && i % 4 < 3 ? 2 : 0));
  for (const level of ['disabled', 'basic', 'extended', 'all'] as const) {
    const out = await runSession(await createSession(training, { graphOptimizationLevel: level }), {
      x: tensor('float32', normal(rng(1), 24), [2, 3, 4]),
    });
    assert.deepEqual(out['grad.x']?.values, expected, level);
  }
});

test('reshape to a runtime shape holding a literal -1 and a symbolic size loads and runs in ORT', async () => {
  const g = new GraphBuilder('reshape_minus_one');
  const x = g.input('x', 'float32', ['batch', 'seq', 4]);
  // [-1, batch] from a literal -1 and x's symbolic batch (at another axis than x's): a folded
  // target would hold two -1s, which ORT rejects.
  const target = g.concat([g.constant([-1], 'int64'), g.shape(x, { start: 0, end: 1 })], { axis: 0 });
  g.output(g.reshape(x, target), 'y');
  const session = await createSession(g.build());
  const data = Array.from({ length: 2 * 3 * 4 }, (_, i) => i);
  const { y } = await runSession(session, { x: tensor('float32', data, [2, 3, 4]) });
  assert.deepEqual(y!.dims, [12, 2]);
  assert.deepEqual(y!.values, data);
});

test('runtimeSizes: the builder knows the sizes (static shapes downstream), ONNX Runtime computes them from the anchor', async () => {
  // 40 x 30 zeros: more than the builder folds itself (1,024 elements), as an embedding table is.
  const g = new GraphBuilder('sizes');
  const x = g.input('x', 'float32', ['batch', 2]);
  const sizes = g.runtimeSizes([40, 30], x);
  assert.equal(sizes.constant, undefined, 'not a constant of the graph, so ORT cannot fold it');
  assert.deepEqual(sizes.symbolic, [40, 30]);
  const zeros = g.constantOfShape(sizes, { dtype: 'float32', value: 0 });
  assert.deepEqual(zeros.shape, [40, 30]);
  g.output(zeros, 'zeros');
  const graph = g.build();
  assert.ok(graph.nodes.some((n) => n.op === 'Shape' && n.inputs[0]?.name === 'x'));
  for (const batch of [1, 4]) {
    const out = await runSession(await createSession(graph), { x: tensor('float32', new Array<number>(batch * 2).fill(1), [batch, 2]) });
    assert.deepEqual(out.zeros, { dims: [40, 30], values: new Array<number>(1200).fill(0) });
  }
  // With a static anchor the sizes fold while building: still the right ones.
  const s = new GraphBuilder('static');
  const folded = s.runtimeSizes([40, 30], s.input('y', 'float32', [2, 2]));
  assert.deepEqual(Array.from(folded.constant?.data ?? [], Number), [40, 30]);
});
