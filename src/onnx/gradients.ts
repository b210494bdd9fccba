/**
 * The gradient rules: one small function per primitive ONNX op, returning one gradient (or null
 * for "no gradient": index, mask and shape inputs, or an input that does not need one) per
 * input (tinygrad's gradient table, in ONNX ops). Composites such as softmax cross-entropy,
 * RMSNorm and attention are built from these primitives and need no rule of their own.
 *
 * `gy` is the gradient of the op's (first) output; rules for multi-output ops read `grads`.
 */
import type { GraphBuilder } from './builder.js';
import { type Node, type Value, isFloat } from './ir.js';
import { attrInt, attrInts, intsOf, normAxis } from './shape-inference.js';
import { type Size, dimOf, imax, imin, invertPerm, isub, sizesToTensor, transposeLast2, unbroadcast } from './grad-utils.js';

export interface GradientContext {
  g: GraphBuilder;
  node: Node;
  /** The node's inputs (`null` for omitted optional inputs). */
  inputs: (Value | null)[];
  outputs: Value[];
  /** Gradient of each output; null where none flows back (zero). */
  grads: (Value | null)[];
  /** The first output's gradient (always set for single-output ops). */
  gy: Value;
  /** Which inputs need a gradient (rules may skip the others). */
  needs: boolean[];
  /**
   * With grad()'s `accumulateInPlace`: each input's gradient accumulated so far (null: none yet).
   * A rule that folds it into its own result (a scatter-add onto it instead of onto zeros) sets
   * `absorbed[i]`, and its result replaces the accumulated gradient instead of being added to it.
   */
  accumulated?: (Value | null)[];
  absorbed?: boolean[];
}
export type GradientRule = (ctx: GradientContext) => (Value | null)[];

const x0 = (c: GradientContext): Value => c.inputs[0] as Value;
const x1 = (c: GradientContext): Value => c.inputs[1] as Value;
const y0 = (c: GradientContext): Value => c.outputs[0] as Value;
/** Both operands of a broadcasting binary op, each gradient summed back to its operand's shape. */
const binary = (c: GradientContext, ga: () => Value, gb: () => Value): (Value | null)[] => [
  c.needs[0] ? unbroadcast(c.g, ga(), x0(c)) : null,
  c.needs[1] ? unbroadcast(c.g, gb(), x1(c)) : null,
];
const noGradient: GradientRule = (c) => c.inputs.map(() => null);

/** Reduced axes of a Reduce* node (normalised), or undefined when they are only known at run time. */
function reducedAxes(node: Node): number[] | undefined {
  const x = node.inputs[0] as Value;
  const axes = attrInts(node.attrs, 'axes') ?? (node.inputs[1] ? intsOf(node.inputs[1]) : []);
  if (axes === undefined) return undefined;
  if (axes.length === 0) return attrInt(node.attrs, 'noop_with_empty_axes', 0) ? [] : x.shape.map((_, i) => i);
  return axes.map((a) => normAxis(a, x.shape.length));
}
/** The output gradient of a reduction, with reduced axes restored as size 1 (for broadcasting). */
function keptGrad(c: GradientContext): Value {
  if (attrInt(c.node.attrs, 'keepdims', 1)) return c.gy;
  const axes = reducedAxes(c.node);
  if (!axes) throw new Error(`${c.node.op} '${c.node.name}': gradient needs constant axes when keepdims=0`);
  return c.g.unsqueeze(c.gy, { axes });
}
/** Like keptGrad, for the forward output. */
function keptOutput(c: GradientContext): Value {
  if (attrInt(c.node.attrs, 'keepdims', 1)) return y0(c);
  return c.g.unsqueeze(y0(c), { axes: reducedAxes(c.node) as number[] });
}

function matmulGrad(c: GradientContext): (Value | null)[] {
  const { g } = c;
  const [a, b] = [x0(c), x1(c)];
  let [A, B, G] = [a, b, c.gy];
  // 1-D operands are vectors: make them matrices so both products below are plain matmuls.
  if (b.shape.length === 1) [B, G] = [g.unsqueeze(b, { axes: [-1] }), g.unsqueeze(G, { axes: [-1] })];
  if (a.shape.length === 1) [A, G] = [g.unsqueeze(a, { axes: [0] }), g.unsqueeze(G, { axes: [-2] })];
  let ga: Value | null = null;
  let gb: Value | null = null;
  if (c.needs[0]) {
    ga = unbroadcast(g, g.matmul(G, transposeLast2(g, B)), A);
    if (a.shape.length === 1) ga = g.reshape(ga, g.shape(a));
  }
  if (c.needs[1]) {
    if (B.shape.length === 2 && A.shape.length > 2) {
      // A shared weight under a batched input: fold the batch into the rows and do one Gemm,
      // instead of a batched product that materialises [batch, K, N] and then sums it.
      const rows = (v: Value): Value => g.reshape(v, g.concat([g.constant([-1], 'int64'), g.shape(v, { start: -1 })], { axis: 0 }));
      gb = g.gemm(rows(A), rows(G), null, { transA: true }); // [K, N]
    } else {
      gb = unbroadcast(g, g.matmul(transposeLast2(g, A), G), B);
    }
    if (b.shape.length === 1) gb = g.reshape(gb, g.shape(b));
  }
  return [ga, gb];
}

function gemmGrad(c: GradientContext): (Value | null)[] {
  const { g, gy } = c;
  const [a, b] = [x0(c), x1(c)];
  const tA = attrInt(c.node.attrs, 'transA', 0) === 1;
  const tB = attrInt(c.node.attrs, 'transB', 0) === 1;
  const alphaAttr = c.node.attrs.alpha;
  const betaAttr = c.node.attrs.beta;
  const alpha = alphaAttr?.type === 'float' ? alphaAttr.value : 1;
  const beta = betaAttr?.type === 'float' ? betaAttr.value : 1;
  // y = alpha * op(A) op(B) + beta * C, with op(M) = M^T when transposed.
  const ga = !c.needs[0]
    ? null
    : tA
      ? g.gemm(b, gy, null, { transA: tB, transB: true, alpha })
      : g.gemm(gy, b, null, { transB: !tB, alpha });
  const gb = !c.needs[1]
    ? null
    : tB
      ? g.gemm(gy, a, null, { transA: true, transB: tA, alpha })
      : g.gemm(a, gy, null, { transA: !tA, alpha });
  const cIn = c.inputs[2];
  const gc = cIn && c.needs[2] ? unbroadcast(g, beta === 1 ? gy : g.mul(gy, beta), cIn) : null;
  return [ga, gb, gc];
}

function gatherGrad(c: GradientContext): (Value | null)[] {
  if (!c.needs[0]) return [null, null];
  const { g } = c;
  const [x, idx] = [x0(c), x1(c)];
  const axis = normAxis(attrInt(c.node.attrs, 'axis', 0), x.shape.length);
  let [I, G] = [idx, c.gy];
  if (idx.shape.length === 0) [I, G] = [g.unsqueeze(idx, { axes: [0] }), g.unsqueeze(G, { axes: [axis] })];
  const q = I.shape.length;
  // Rows of G are added into a zero tensor at the gathered positions, with `axis` moved to the
  // front: data [x[axis], x[:axis], x[axis+1:]], updates [idx..., x[:axis], x[axis+1:]].
  const permX = [axis, ...[...Array(x.shape.length).keys()].filter((i) => i !== axis)];
  const permG = [...Array(q).keys()].map((i) => axis + i);
  for (let i = 0; i < G.shape.length; i++) if (i < axis || i >= axis + q) permG.push(i);
  // ScatterElements, not ScatterND: ONNX Runtime's CPU ScatterND runs its updates on parallel
  // threads even with reduction 'add', so repeated indices (a token seen twice in a batch) race
  // and the embedding gradient changes from run to run (microsoft/onnxruntime#23396); its
  // ScatterElements adds the updates in index order on one thread. Both take flat [n, rest] here.
  const restDims = permX.slice(1).map((i) => x.shape[i]);
  const rest = restDims.every((d) => typeof d === 'number') ? (restDims as number[]).reduce((a, b) => a * b, 1) : undefined;
  const Gt = g.transpose(G, { perm: permG });
  // Static sizes where the weight's are static (an embedding table), so the graph keeps its shapes.
  const updates =
    rest !== undefined
      ? g.reshape(Gt, [-1, rest])
      : g.reshape(Gt, g.concat([g.reshape(g.size(I), [1]), g.constant([-1], 'int64')], { axis: 0 })); // [n, rest]
  const rows = g.expand(g.reshape(I, [-1, 1]), g.shape(updates)); // [n, rest]
  // A static table's zeros get their sizes at run time, from the gathered rows (batch x sequence
  // for an embedding): with a constant shape ONNX Runtime would fold them into an initializer that
  // the session keeps for its whole life (545 MB for Qwen2.5-0.5B's embedding) and copies at every run.
  const zerosShape =
    rest !== undefined && typeof x.shape[axis] === 'number'
      ? g.runtimeSizes([x.shape[axis] as number, rest], updates)
      : g.concat([g.gather(g.shape(x), g.constant([axis], 'int64')), g.shape(updates, { start: 1 })], { axis: 0 });
  // A tied embedding's gradient already holds the output projection's [V, H] product: adding the
  // rows onto it, rather than onto a zero table and then the sum, saves two tables of its size.
  const onto = c.accumulated?.[0] ?? null;
  if (onto && c.absorbed && axis === 0 && x.shape.length === 2 && rest !== undefined) {
    c.absorbed[0] = true;
    return [g.scatterElements(onto, rows, updates, { axis: 0, reduction: 'add' }), null];
  }
  const zeros = g.constantOfShape(zerosShape, { dtype: x.dtype }); // [x[axis], rest]
  const summed = g.scatterElements(zeros, rows, updates, { axis: 0, reduction: 'add' });
  const scattered = g.reshape(summed, g.gather(g.shape(x), g.constant(permX, 'int64'))); // [x[axis], x[:axis], x[axis+1:]]
  return [g.transpose(scattered, { perm: invertPerm(permX) }), null];
}

function sliceGrad(c: GradientContext): (Value | null)[] {
  if (!c.needs[0]) return c.inputs.map(() => null);
  const { g, gy } = c;
  const x = x0(c);
  const [starts, ends] = [intsOf(c.inputs[1]), intsOf(c.inputs[2])];
  const n = starts?.length ?? 0;
  const axes = c.inputs[3] ? intsOf(c.inputs[3]) : [...Array(n).keys()];
  const steps = c.inputs[4] ? intsOf(c.inputs[4]) : new Array<number>(n).fill(1);
  if (starts && ends && axes && steps?.every((s) => s === 1)) {
    // Unit steps: the gradient is the output gradient zero-padded back to the input's size.
    // Full-rank pads (see GraphBuilder.pad for why not Pad's `axes` input).
    const r = x.shape.length;
    const pads: Size[] = new Array<Size>(2 * r).fill(0);
    axes.forEach((a, i) => {
      const ax = normAxis(a, r);
      const d = dimOf(g, x, ax);
      const clampIdx = (v: number): Size => (v === 0 ? 0 : v >= 2 ** 31 - 1 ? d : v < 0 ? imax(g, isub(g, d, -v), 0) : imin(g, v, d));
      const begin = clampIdx(starts[i] as number);
      pads[ax] = begin;
      pads[ax + r] = isub(g, d, imax(g, clampIdx(ends[i] as number), begin));
    });
    return [g.pad(gy, sizesToTensor(g, pads)), ...c.inputs.slice(1).map(() => null)];
  }
  // General steps or runtime bounds: slice an index grid the same way and scatter into zeros.
  const count = g.size(x);
  const iota = g.reshape(g.range(0, count, 1), g.shape(x));
  const picked = g.reshape(g.node('Slice', [iota, ...c.inputs.slice(1)])[0] as Value, [-1]);
  const zeros = g.constantOfShape(g.reshape(count, [1]), { dtype: x.dtype });
  const flat = g.scatterElements(zeros, picked, g.reshape(gy, [-1]), { axis: 0 });
  return [g.reshape(flat, g.shape(x)), ...c.inputs.slice(1).map(() => null)];
}

function minMaxGrad(sign: 1 | -1): GradientRule {
  return (c) => {
    const { g, gy } = c;
    if (c.inputs.length !== 2) throw new Error(`${c.node.op}: gradients are implemented for two operands`);
    // Share of the gradient that goes to `a`: 1 where it wins, 1/2 on ties, 0 where it loses.
    const share = (): Value => g.mul(g.add(g.sign(sign === 1 ? g.sub(x0(c), x1(c)) : g.sub(x1(c), x0(c))), 1), 0.5);
    const ga = g.mul(gy, share());
    return binary(
      c,
      () => ga,
      () => g.sub(gy, ga),
    );
  };
}

function clipGrad(c: GradientContext): (Value | null)[] {
  const { g, gy } = c;
  const x = x0(c);
  const [lo, hi] = [c.inputs[1] ?? null, c.inputs[2] ?? null];
  // Inside [min, max] (bounds included, as in PyTorch's clamp) the gradient passes to x.
  let inside: Value | null = null;
  if (lo) inside = g.greaterOrEqual(x, lo);
  if (hi) inside = inside ? g.and(inside, g.lessOrEqual(x, hi)) : g.lessOrEqual(x, hi);
  const gx = inside ? g.where(inside, gy, 0) : gy;
  const boundGrad = (below: Value): Value => g.reduceSum(g.where(below, gy, 0), { keepdims: false });
  return [
    c.needs[0] ? gx : null,
    lo && c.needs[1] ? boundGrad(g.less(x, lo)) : null,
    hi && c.needs[2] ? boundGrad(g.greater(x, hi)) : null,
  ];
}

function reduceMeanGrad(c: GradientContext): (Value | null)[] {
  const { g } = c;
  const x = x0(c);
  const axes = reducedAxes(c.node);
  const reduced = axes?.map((a) => x.shape[a]);
  const count = reduced?.every((d) => typeof d === 'number')
    ? (reduced as number[]).reduce((a, b) => a * b, 1)
    : g.div(g.cast(g.size(x), { to: x.dtype }), g.cast(g.size(y0(c)), { to: x.dtype }));
  return [g.expand(g.div(keptGrad(c), count), g.shape(x)), null];
}

function reduceMaxGrad(c: GradientContext): (Value | null)[] {
  const { g } = c;
  const x = x0(c);
  // Ties share the gradient equally (as torch.amax does).
  const mask = g.cast(g.equal(x, keptOutput(c)), { to: x.dtype });
  const axes = reducedAxes(c.node);
  const count = g.reduceSum(mask, axes ? { axes, keepdims: true } : { keepdims: true });
  return [g.mul(mask, g.div(keptGrad(c), count)), null];
}

function concatGrad(c: GradientContext): (Value | null)[] {
  const { g } = c;
  const xs = c.inputs as Value[];
  const axis = normAxis(attrInt(c.node.attrs, 'axis', 0), xs[0]?.shape.length ?? 1);
  const sizes = sizesToTensor(
    g,
    xs.map((x) => dimOf(g, x, axis)),
  );
  return g.split(c.gy, {
    axis,
    split: xs.every((x) => typeof x.shape[axis] === 'number') ? xs.map((x) => x.shape[axis] as number) : sizes,
  });
}

function splitGrad(c: GradientContext): (Value | null)[] {
  const { g } = c;
  const x = x0(c);
  const axis = normAxis(attrInt(c.node.attrs, 'axis', 0), x.shape.length);
  const parts = c.grads.map((gr, i) => gr ?? g.zerosLike(c.outputs[i] as Value));
  return [g.concat(parts, { axis }), null];
}

function padGrad(c: GradientContext): (Value | null)[] {
  const { g, gy } = c;
  const x = x0(c);
  const mode = c.node.attrs.mode;
  const pads = intsOf(c.inputs[1]);
  if ((mode && mode.type === 'string' && mode.value !== 'constant') || !pads || pads.some((p) => p < 0)) {
    throw new Error(`Pad '${c.node.name}': gradients need mode 'constant' and constant, non-negative pads`);
  }
  const r = x.shape.length;
  const axes = c.inputs[3] ? (intsOf(c.inputs[3]) as number[]).map((a) => normAxis(a, r)) : [...Array(r).keys()];
  const n = axes.length;
  // The gradient of the input is the middle of the output gradient.
  const gx = g.slice(gy, {
    starts: axes.map((_, i) => pads[i] as number),
    ends: axes.map((_, i) => (pads[i + n] ? -(pads[i + n] as number) : 2 ** 62)),
    axes,
  });
  // The padding value went to every padded element.
  const gv = c.inputs[2] && c.needs[2] ? g.sub(g.reduceSum(gy, { keepdims: false }), g.reduceSum(gx, { keepdims: false })) : null;
  return [c.needs[0] ? gx : null, null, gv, null];
}

/** The gradient table. Ops missing here make grad() throw when they lie on a differentiated path. */
export const gradientRules: Record<string, GradientRule> = {
  Identity: (c) => [c.gy],
  Add: (c) =>
    binary(
      c,
      () => c.gy,
      () => c.gy,
    ),
  Sub: (c) =>
    binary(
      c,
      () => c.gy,
      () => c.g.neg(c.gy),
    ),
  Mul: (c) =>
    binary(
      c,
      () => c.g.mul(c.gy, x1(c)),
      () => c.g.mul(c.gy, x0(c)),
    ),
  Div: (c) => {
    const t = c.g.div(c.gy, x1(c)); // d(a/b)/da = 1/b, d(a/b)/db = -(a/b)/b
    return binary(
      c,
      () => t,
      () => c.g.neg(c.g.mul(t, y0(c))),
    );
  },
  Pow: (c) => {
    const { g, gy } = c;
    const e = x1(c).constant?.data.length === 1 ? Number(x1(c).constant?.data[0]) : undefined;
    const da = (): Value =>
      e === 2 ? g.mul(g.mul(gy, x0(c)), 2) : g.mul(gy, g.mul(g.pow(x0(c), e === undefined ? g.sub(x1(c), 1) : e - 1), x1(c)));
    return binary(c, da, () => g.mul(g.mul(gy, y0(c)), g.log(x0(c))));
  },
  Neg: (c) => [c.g.neg(c.gy)],
  Sqrt: (c) => [c.g.div(c.gy, c.g.mul(y0(c), 2))],
  Reciprocal: (c) => [c.g.neg(c.g.mul(c.gy, c.g.mul(y0(c), y0(c))))],
  Exp: (c) => [c.g.mul(c.gy, y0(c))],
  Log: (c) => [c.g.div(c.gy, x0(c))],
  Tanh: (c) => [c.g.mul(c.gy, c.g.sub(1, c.g.mul(y0(c), y0(c))))],
  Sigmoid: (c) => [c.g.mul(c.gy, c.g.mul(y0(c), c.g.sub(1, y0(c))))],
  Erf: (c) => [c.g.mul(c.gy, c.g.mul(c.g.exp(c.g.neg(c.g.mul(x0(c), x0(c)))), 2 / Math.sqrt(Math.PI)))],
  Relu: (c) => [c.g.where(c.g.greater(x0(c), 0), c.gy, 0)],
  Sin: (c) => [c.g.mul(c.gy, c.g.cos(x0(c)))],
  Cos: (c) => [c.g.neg(c.g.mul(c.gy, c.g.sin(x0(c))))],
  Abs: (c) => [c.g.mul(c.gy, c.g.sign(x0(c)))],
  Softmax: (c) => {
    const axis = attrInt(c.node.attrs, 'axis', -1);
    const y = y0(c);
    return [c.g.mul(y, c.g.sub(c.gy, c.g.reduceSum(c.g.mul(c.gy, y), { axes: [axis], keepdims: true })))];
  },
  LogSoftmax: (c) => {
    const axis = attrInt(c.node.attrs, 'axis', -1);
    return [c.g.sub(c.gy, c.g.mul(c.g.exp(y0(c)), c.g.reduceSum(c.gy, { axes: [axis], keepdims: true })))];
  },
  ReduceSum: (c) => [c.g.expand(keptGrad(c), c.g.shape(x0(c))), null],
  ReduceMean: reduceMeanGrad,
  ReduceMax: reduceMaxGrad,
  ReduceMin: reduceMaxGrad, // the same: the gradient goes to the elements equal to the result
  Pad: padGrad,
  CumSum: (c) => {
    // y_i = sum_{j<=i} x_j, so dx_j = sum_{i>=j} gy_i: the cumulative sum in the other direction.
    const reverse = attrInt(c.node.attrs, 'reverse', 0) === 1;
    const exclusive = attrInt(c.node.attrs, 'exclusive', 0) === 1;
    const attrs = {
      ...c.node.attrs,
      reverse: { type: 'int' as const, value: reverse ? 0 : 1 },
      exclusive: { type: 'int' as const, value: exclusive ? 1 : 0 },
    };
    return [c.g.node('CumSum', [c.gy, x1(c)], attrs)[0] as Value, null];
  },
  MatMul: matmulGrad,
  Gemm: gemmGrad,
  Max: minMaxGrad(1),
  Min: minMaxGrad(-1),
  Clip: clipGrad,
  Where: (c) => [
    null,
    ...binary(
      { ...c, inputs: c.inputs.slice(1), needs: c.needs.slice(1) },
      () => c.g.where(x0(c), c.gy, 0),
      () => c.g.where(x0(c), 0, c.gy),
    ),
  ],
  Gather: gatherGrad,
  GatherElements: (c) => {
    const axis = attrInt(c.node.attrs, 'axis', 0);
    return [c.g.scatterElements(c.g.zerosLike(x0(c)), x1(c), c.gy, { axis, reduction: 'add' }), null];
  },
  Slice: sliceGrad,
  Concat: concatGrad,
  Split: splitGrad,
  Reshape: (c) => [c.g.reshape(c.gy, c.g.shape(x0(c))), null],
  Transpose: (c) => {
    const perm = attrInts(c.node.attrs, 'perm') ?? x0(c).shape.map((_, i) => x0(c).shape.length - 1 - i);
    return [c.g.transpose(c.gy, { perm: invertPerm(perm) })];
  },
  Unsqueeze: (c) => {
    const axes = intsOf(c.inputs[1]) ?? attrInts(c.node.attrs, 'axes');
    return [axes ? c.g.squeeze(c.gy, { axes }) : c.g.reshape(c.gy, c.g.shape(x0(c))), null];
  },
  Squeeze: (c) => [c.g.reshape(c.gy, c.g.shape(x0(c))), null],
  Expand: (c) => [unbroadcast(c.g, c.gy, x0(c)), null],
  Cast: (c) => [isFloat(x0(c).dtype) ? c.g.cast(c.gy, { to: x0(c).dtype }) : null],
  // Trilu is linear: keep the same triangle of the gradient.
  Trilu: (c) => [c.g.node('Trilu', [c.gy, ...c.inputs.slice(1)], c.node.attrs)[0] as Value, null],
};
// Outputs that are piecewise constant, or not floating point at all: no gradient flows back.
for (const op of [
  'Shape',
  'Size',
  'Equal',
  'Less',
  'Greater',
  'LessOrEqual',
  'GreaterOrEqual',
  'Not',
  'And',
  'Or',
  'Xor',
  'Range',
  'ConstantOfShape',
  'Sign',
  'Floor',
  'Ceil',
  'Round',
  'NonZero',
  'ArgMax',
  'ArgMin',
]) {
  gradientRules[op] = noGradient;
}
