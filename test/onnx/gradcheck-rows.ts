// Values of 'distinct' inputs lie on a grid k*0.1 - n*0.05 (+ up to 0.02), so kinks (0, clip bounds
// at grid midpoints, floor(2x) steps) are never within a finite-difference step.
// The gradient-check table: one row per op (and per interesting case: broadcasting, symbolic
// sizes, several consumers of one value). Every row runs in float64 against central finite
// differences with a norm-wise relative error bound of 1e-6, unless `reason` says otherwise.
import type { GradRow } from './helpers.js';

const f64 = (shape: number[], gen?: 'positive' | 'distinct') => ({ shape, ...(gen ? { gen } : {}) });
const idx = (shape: number[], values: number[]) => ({ shape, dtype: 'int64' as const, values });

export const gradRows: GradRow[] = [
  // ---- elementwise binary, with broadcasting -------------------------------------------------
  { op: 'Add', case: '[2,3]+[3]', inputs: { a: f64([2, 3]), b: f64([3]) }, f: (g, x) => g.add(x.a!, x.b!) },
  { op: 'Add', case: '[2,1,3]+[4,1]', inputs: { a: f64([2, 1, 3]), b: f64([4, 1]) }, f: (g, x) => g.add(x.a!, x.b!) },
  {
    op: 'Add',
    case: 'symbolic sizes, broadcast decided at run time',
    inputs: { a: { shape: [2, 3], declared: ['n', 3] }, b: { shape: [1, 3], declared: ['m', 3] } },
    f: (g, x) => g.add(x.a!, x.b!),
  },
  {
    op: 'Add',
    case: 'symbolic sizes, no broadcast at run time',
    inputs: { a: { shape: [2, 3], declared: ['n', 'k'] }, b: { shape: [2, 3], declared: ['m', 'k'] } },
    f: (g, x) => g.add(x.a!, x.b!),
  },
  { op: 'Sub', case: '[2,3]-[2,1]', inputs: { a: f64([2, 3]), b: f64([2, 1]) }, f: (g, x) => g.sub(x.a!, x.b!) },
  { op: 'Mul', case: '[2,3]*[3]', inputs: { a: f64([2, 3]), b: f64([3]) }, f: (g, x) => g.mul(x.a!, x.b!) },
  { op: 'Mul', case: 'x*x (one value, two input slots)', inputs: { a: f64([2, 3]) }, f: (g, x) => g.mul(x.a!, x.a!) },
  { op: 'Div', case: '[2,3]/[3]', inputs: { a: f64([2, 3]), b: f64([3], 'positive') }, f: (g, x) => g.div(x.a!, x.b!) },
  { op: 'Pow', case: 'x^3 (constant exponent)', inputs: { a: f64([2, 3]) }, f: (g, x) => g.pow(x.a!, 3) },
  { op: 'Pow', case: 'x^2 (constant exponent)', inputs: { a: f64([2, 3]) }, f: (g, x) => g.pow(x.a!, 2) },
  { op: 'Pow', case: 'a^b, both tensors, broadcast', inputs: { a: f64([2, 3], 'positive'), b: f64([3]) }, f: (g, x) => g.pow(x.a!, x.b!) },
  {
    op: 'Max',
    case: 'broadcast [2,3],[3]',
    inputs: { a: f64([2, 3], 'distinct'), b: f64([3], 'distinct') },
    f: (g, x) => g.max(x.a!, x.b!),
  },
  {
    op: 'Min',
    case: 'broadcast [2,3],[2,1]',
    inputs: { a: f64([2, 3], 'distinct'), b: f64([2, 1], 'distinct') },
    f: (g, x) => g.min(x.a!, x.b!),
  },
  {
    op: 'Where',
    case: 'mask [2,3], a [2,3], b [3]',
    inputs: { a: f64([2, 3]), b: f64([3]), m: { shape: [2, 3], dtype: 'bool', values: [1, 0, 1, 0, 0, 1] } },
    f: (g, x) => g.where(x.m!, x.a!, x.b!),
  },
  { op: 'Clip', case: 'constant bounds', inputs: { a: f64([2, 4], 'distinct') }, f: (g, x) => g.clip(x.a!, { min: -0.19, max: 0.21 }) },
  {
    op: 'Clip',
    case: 'tensor bounds (gradients to min and max)',
    inputs: { a: f64([2, 4], 'distinct'), lo: { shape: [], values: [-0.19] }, hi: { shape: [], values: [0.11] } },
    f: (g, x) => g.clip(x.a!, { min: x.lo!, max: x.hi! }),
  },

  // ---- elementwise unary ---------------------------------------------------------------------
  { op: 'Neg', case: '[2,3]', inputs: { a: f64([2, 3]) }, f: (g, x) => g.neg(x.a!) },
  { op: 'Sqrt', case: '[2,3]', inputs: { a: f64([2, 3], 'positive') }, f: (g, x) => g.sqrt(x.a!) },
  { op: 'Reciprocal', case: '[2,3]', inputs: { a: f64([2, 3], 'positive') }, f: (g, x) => g.reciprocal(x.a!) },
  { op: 'Exp', case: '[2,3]', inputs: { a: f64([2, 3]) }, f: (g, x) => g.exp(x.a!) },
  { op: 'Log', case: '[2,3]', inputs: { a: f64([2, 3], 'positive') }, f: (g, x) => g.log(x.a!) },
  { op: 'Tanh', case: '[2,3]', inputs: { a: f64([2, 3]) }, f: (g, x) => g.tanh(x.a!) },
  { op: 'Sigmoid', case: '[2,3]', inputs: { a: f64([2, 3]) }, f: (g, x) => g.sigmoid(x.a!) },
  {
    op: 'Erf',
    case: 'float32',
    inputs: { a: { shape: [2, 3], dtype: 'float32' } },
    f: (g, x) => g.erf(x.a!),
    tol: 2e-3,
    reason: "onnxruntime's CPU provider registers Erf for float32 only (no float64 kernel), so this row runs in float32 with step 1e-2",
  },
  { op: 'Relu', case: 'values away from 0', inputs: { a: f64([2, 4], 'distinct') }, f: (g, x) => g.relu(x.a!) },
  { op: 'Sin', case: '[2,3]', inputs: { a: f64([2, 3]) }, f: (g, x) => g.sin(x.a!) },
  { op: 'Cos', case: '[2,3]', inputs: { a: f64([2, 3]) }, f: (g, x) => g.cos(x.a!) },
  { op: 'Abs', case: 'values away from 0', inputs: { a: f64([2, 4], 'distinct') }, f: (g, x) => g.abs(x.a!) },
  { op: 'Identity', case: '[2,3]', inputs: { a: f64([2, 3]) }, f: (g, x) => g.identity(x.a!) },
  {
    op: 'Cast',
    case: 'float32 -> float64 (linear loss, so float32 steps are exact)',
    inputs: { a: { shape: [2, 3], dtype: 'float32' } },
    f: (g, x) => g.cast(x.a!, { to: 'float64' }),
    tol: 1e-6,
  },

  // ---- reductions and normalisations -----------------------------------------------------------
  { op: 'Softmax', case: 'axis -1', inputs: { a: f64([2, 4]) }, f: (g, x) => g.softmax(x.a!, { axis: -1 }) },
  { op: 'Softmax', case: 'axis 0 of [3,2,2]', inputs: { a: f64([3, 2, 2]) }, f: (g, x) => g.softmax(x.a!, { axis: 0 }) },
  { op: 'LogSoftmax', case: 'axis 1 of [2,3,2]', inputs: { a: f64([2, 3, 2]) }, f: (g, x) => g.logSoftmax(x.a!, { axis: 1 }) },
  {
    op: 'ReduceSum',
    case: 'axis 1, keepdims=0',
    inputs: { a: f64([2, 3, 2]) },
    f: (g, x) => g.reduceSum(x.a!, { axes: [1], keepdims: false }),
  },
  { op: 'ReduceSum', case: 'all axes', inputs: { a: f64([2, 3]) }, f: (g, x) => g.reduceSum(x.a!) },
  { op: 'ReduceMean', case: 'axes [0,2], keepdims=1', inputs: { a: f64([2, 3, 2]) }, f: (g, x) => g.reduceMean(x.a!, { axes: [0, 2] }) },
  {
    op: 'ReduceMean',
    case: 'symbolic reduced size (count at run time)',
    inputs: { a: { shape: [3, 2], declared: ['n', 2] } },
    f: (g, x) => g.reduceMean(x.a!, { axes: [0], keepdims: false }),
  },
  {
    op: 'ReduceMax',
    case: 'axis 1, keepdims=0',
    inputs: { a: f64([2, 4], 'distinct') },
    f: (g, x) => g.reduceMax(x.a!, { axes: [1], keepdims: false }),
  },

  // ---- linear algebra ------------------------------------------------------------------------
  { op: 'MatMul', case: '[2,3]@[3,4]', inputs: { a: f64([2, 3]), b: f64([3, 4]) }, f: (g, x) => g.matmul(x.a!, x.b!) },
  {
    op: 'MatMul',
    case: '[2,2,3]@[3,4] (shared weight, Gemm path)',
    inputs: { a: f64([2, 2, 3]), b: f64([3, 4]) },
    f: (g, x) => g.matmul(x.a!, x.b!),
  },
  {
    op: 'MatMul',
    case: 'symbolic batch [b,t,3]@[3,2]',
    inputs: { a: { shape: [2, 2, 3], declared: ['b', 't', 3] }, b: f64([3, 2]) },
    f: (g, x) => g.matmul(x.a!, x.b!),
  },
  {
    op: 'MatMul',
    case: '[2,1,2,3]@[3,3,2] (broadcast batch)',
    inputs: { a: f64([2, 1, 2, 3]), b: f64([3, 3, 2]) },
    f: (g, x) => g.matmul(x.a!, x.b!),
  },
  { op: 'MatMul', case: '[3]@[3,4]', inputs: { a: f64([3]), b: f64([3, 4]) }, f: (g, x) => g.matmul(x.a!, x.b!) },
  { op: 'MatMul', case: '[2,3]@[3]', inputs: { a: f64([2, 3]), b: f64([3]) }, f: (g, x) => g.matmul(x.a!, x.b!) },
  { op: 'MatMul', case: '[3]@[3]', inputs: { a: f64([3]), b: f64([3]) }, f: (g, x) => g.matmul(x.a!, x.b!) },
  {
    op: 'Gemm',
    case: 'plain, C [4] broadcast, alpha, beta',
    inputs: { a: f64([2, 3]), b: f64([3, 4]), c: f64([4]) },
    f: (g, x) => g.gemm(x.a!, x.b!, x.c!, { alpha: 0.7, beta: 1.3 }),
  },
  {
    op: 'Gemm',
    case: 'transA, transB, C [2,1]',
    inputs: { a: f64([3, 2]), b: f64([4, 3]), c: f64([2, 1]) },
    f: (g, x) => g.gemm(x.a!, x.b!, x.c!, { transA: true, transB: true, alpha: 1.5 }),
  },
  { op: 'Gemm', case: 'transA only', inputs: { a: f64([3, 2]), b: f64([3, 4]) }, f: (g, x) => g.gemm(x.a!, x.b!, null, { transA: true }) },
  { op: 'Gemm', case: 'transB only', inputs: { a: f64([2, 3]), b: f64([4, 3]) }, f: (g, x) => g.gemm(x.a!, x.b!, null, { transB: true }) },

  // ---- indexing ------------------------------------------------------------------------------
  {
    op: 'Gather',
    case: 'axis 0, [2,2] indices with a duplicate and a negative index (embedding)',
    inputs: { w: f64([4, 3]), i: idx([2, 2], [1, 3, 1, -4]) },
    f: (g, x) => g.gather(x.w!, x.i!, { axis: 0 }),
  },
  {
    op: 'Gather',
    case: 'axis 1, scalar index',
    inputs: { w: f64([2, 4, 3]), i: idx([], [2]) },
    f: (g, x) => g.gather(x.w!, x.i!, { axis: 1 }),
  },
  {
    op: 'Gather',
    case: 'axis 2, [3] indices',
    inputs: { w: f64([2, 2, 4]), i: idx([3], [0, 3, 0]) },
    f: (g, x) => g.gather(x.w!, x.i!, { axis: 2 }),
  },
  {
    op: 'GatherElements',
    case: 'axis 1 with duplicates (pick target log-probs)',
    inputs: { a: f64([2, 4]), i: idx([2, 3], [0, 3, 3, 1, 1, 2]) },
    f: (g, x) => g.gatherElements(x.a!, x.i!, { axis: 1 }),
  },
  {
    op: 'Slice',
    case: 'unit steps, axis 1 [1:3]',
    inputs: { a: f64([2, 4, 2]) },
    f: (g, x) => g.slice(x.a!, { starts: [1], ends: [3], axes: [1] }),
  },
  {
    op: 'Slice',
    case: 'negative start, end past the size, two axes',
    inputs: { a: f64([3, 4]) },
    f: (g, x) => g.slice(x.a!, { starts: [-2, 1], ends: [100, 2 ** 62], axes: [0, -1] }),
  },
  {
    op: 'Slice',
    case: 'step -2 (scatter path)',
    inputs: { a: f64([2, 5]) },
    f: (g, x) => g.slice(x.a!, { starts: [4], ends: [-10], axes: [1], steps: [-2] }),
  },
  {
    op: 'Slice',
    case: 'symbolic size, x[:, :-1]',
    inputs: { a: { shape: [2, 4], declared: ['b', 't'] } },
    f: (g, x) => g.slice(x.a!, { starts: [0], ends: [-1], axes: [1] }),
  },
  {
    op: 'Concat',
    case: 'axis 1 of three',
    inputs: { a: f64([2, 1]), b: f64([2, 3]), c: f64([2, 2]) },
    f: (g, x) => g.concat([x.a!, x.b!, x.c!], { axis: 1 }),
  },
  {
    op: 'Concat',
    case: 'symbolic sizes along the axis (split sizes at run time)',
    inputs: { a: { shape: [2, 2], declared: [2, 'p'] }, b: { shape: [2, 1], declared: [2, 'q'] } },
    f: (g, x) => g.concat([x.a!, x.b!], { axis: 1 }),
  },
  {
    op: 'Split',
    case: 'three pieces, one unused',
    inputs: { a: f64([2, 6]) },
    f: (g, x) => {
      const [p, , r] = g.split(x.a!, { axis: 1, split: [1, 2, 3] });
      return g.concat([g.mul(p!, 2), r!], { axis: 1 });
    },
  },
  {
    op: 'Split',
    case: 'numOutputs 2',
    inputs: { a: f64([4, 2]) },
    f: (g, x) => {
      const [p, q] = g.split(x.a!, { axis: 0, numOutputs: 2 });
      return g.mul(p!, q!);
    },
  },

  // ---- shapes --------------------------------------------------------------------------------
  { op: 'Reshape', case: '[2,3,2] -> [3,4]', inputs: { a: f64([2, 3, 2]) }, f: (g, x) => g.reshape(x.a!, [3, -1]) },
  { op: 'Transpose', case: 'perm [2,0,1]', inputs: { a: f64([2, 3, 2]) }, f: (g, x) => g.transpose(x.a!, { perm: [2, 0, 1] }) },
  { op: 'Unsqueeze', case: 'axes [0,-1]', inputs: { a: f64([2, 3]) }, f: (g, x) => g.unsqueeze(x.a!, { axes: [0, -1] }) },
  { op: 'Squeeze', case: 'axes [1]', inputs: { a: f64([2, 1, 3]) }, f: (g, x) => g.squeeze(x.a!, { axes: [1] }) },
  { op: 'Expand', case: '[2,1] -> [3,2,4]', inputs: { a: f64([2, 1]) }, f: (g, x) => g.expand(x.a!, [3, 2, 4]) },
  {
    op: 'Expand',
    case: 'symbolic [n,1] -> shape of [n,3]',
    inputs: { a: { shape: [2, 1], declared: ['n', 1] }, b: { shape: [2, 3], declared: ['n', 3] } },
    f: (g, x) => g.add(g.expand(x.a!, g.shape(x.b!)), g.mul(x.b!, 0)),
  },
  { op: 'Pad', case: 'constant pads on two axes', inputs: { a: f64([2, 3]) }, f: (g, x) => g.pad(x.a!, [1, 0, 0, 2]) },
  {
    op: 'Pad',
    case: 'padding value as a tensor (gradient to the value)',
    inputs: { a: f64([2, 3]), v: { shape: [], values: [0.3] } },
    f: (g, x) => g.node('Pad', [x.a!, g.constant([0, 1, 2, 0], 'int64'), x.v!])[0]!,
  },
  { op: 'CumSum', case: 'axis 1', inputs: { a: f64([2, 4]) }, f: (g, x) => g.cumSum(x.a!, { axis: 1 }) },
  {
    op: 'CumSum',
    case: 'reverse, exclusive, axis 0',
    inputs: { a: f64([3, 2]) },
    f: (g, x) => g.cumSum(x.a!, { axis: 0, reverse: true, exclusive: true }),
  },
  { op: 'ReduceMin', case: 'axes [0], keepdims=1', inputs: { a: f64([3, 2], 'distinct') }, f: (g, x) => g.reduceMin(x.a!, { axes: [0] }) },
  { op: 'Trilu', case: 'lower, k=1', inputs: { a: f64([2, 3, 3]) }, f: (g, x) => g.trilu(x.a!, { upper: false, k: 1 }) },

  // ---- ops without a gradient of their own, and composition -----------------------------------
  { op: 'Floor', case: 'floor(x) * x', inputs: { a: f64([2, 4], 'distinct') }, f: (g, x) => g.mul(g.floor(g.mul(x.a!, 2)), x.a!) },
  { op: 'Sign', case: 'sign(x) * x', inputs: { a: f64([2, 4], 'distinct') }, f: (g, x) => g.mul(g.sign(x.a!), x.a!) },
  {
    op: 'Shape/ConstantOfShape/Range/Less/Equal/Not/And',
    case: 'shape and mask arithmetic feeding float ops',
    inputs: { a: f64([2, 3]), b: f64([3, 2]) },
    f: (g, x) => {
      const ones = g.constantOfShape(g.shape(x.a!), { dtype: 'float64', value: 1 });
      const pos = g.cast(g.range(0, 3, 1), { to: 'float64' });
      const mask = g.and(g.not(g.equal(x.a!, 0)), g.less(x.a!, 100));
      return g.where(mask, g.mul(g.add(x.a!, ones), pos), g.reshape(x.b!, g.shape(x.a!)));
    },
  },
  {
    op: 'composite',
    case: 'one value feeding several consumers: x*tanh(x) + exp(x)*sigmoid(x)',
    inputs: { a: f64([2, 3]) },
    f: (g, x) => g.add(g.mul(x.a!, g.tanh(x.a!)), g.mul(g.exp(x.a!), g.sigmoid(x.a!))),
  },
  {
    op: 'composite',
    case: 'RMSNorm with a weight',
    inputs: { a: f64([2, 4]), w: f64([4]) },
    f: (g, x) => g.mul(g.div(x.a!, g.sqrt(g.add(g.reduceMean(g.mul(x.a!, x.a!), { axes: [-1] }), 1e-6))), x.w!),
  },
  {
    op: 'composite',
    case: 'softplus, silu, geluTanh',
    inputs: { a: f64([2, 3]) },
    f: (g, x) => g.add(g.add(g.softplus(x.a!), g.silu(x.a!)), g.geluTanh(x.a!)),
  },
];
