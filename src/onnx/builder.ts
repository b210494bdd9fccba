/**
 * A numpy-like builder for ONNX graphs (onnxscript's style: inputs positional, attributes in a
 * trailing options object). Every method returns a {@link Value} with dtype and symbolic shape
 * already inferred, and small shape arithmetic on known sizes is folded into constants as it is
 * built, so `g.reshape(x, g.shape(y))` costs no nodes when `y`'s shape is static.
 *
 * Numbers are accepted wherever a tensor operand is (`g.mul(x, 0.5)`, `g.sub(1, p)`) and become
 * scalar constants of the other operand's dtype.
 *
 * @example
 * const g = new GraphBuilder('mlp');
 * const x = g.input('x', 'float32', ['batch', 4]);
 * const w = g.initializer('w', new Float32Array(12), [4, 3]);
 * g.output(g.softmax(g.matmul(x, w), { axis: -1 }), 'probs'); // probs: ['batch', 3]
 * const graph = g.build();
 */
import { type Attr, type DType, type Node, type Value, tensorFrom } from './ir.js';
import { axesAsInput } from './opset.js';
import { DTYPE_CODE, GraphCore, attr } from './graph-core.js';

export { attr, DTYPE_CODE, dtypeFromCode, GraphCore } from './graph-core.js';

/** A tensor operand: a value, or a number that becomes a scalar constant of the other operand's dtype. */
export type Operand = Value | number;
/** Integer-list operands (shapes, axes, starts): a constant list or a runtime int64 tensor. */
export type IntsOperand = readonly number[] | Value;

export interface ReduceOptions {
  /** Axes to reduce (negative counts from the end); all axes when omitted. */
  axes?: readonly number[];
  /** Keep reduced axes as size 1. Defaults to true (ONNX's default, unlike numpy). */
  keepdims?: boolean;
}
export interface SliceOptions {
  starts: IntsOperand;
  ends: IntsOperand;
  axes?: IntsOperand;
  steps?: IntsOperand;
}
export interface GemmOptions {
  transA?: boolean;
  transB?: boolean;
  alpha?: number;
  beta?: number;
}
export type SplitOptions = { axis?: number; split: IntsOperand } | { axis?: number; numOutputs: number };

export class GraphBuilder extends GraphCore {
  // ---- elementwise -------------------------------------------------------------------------

  add(a: Operand, b: Operand): Value {
    return this.binary('Add', a, b);
  }
  sub(a: Operand, b: Operand): Value {
    return this.binary('Sub', a, b);
  }
  mul(a: Operand, b: Operand): Value {
    return this.binary('Mul', a, b);
  }
  div(a: Operand, b: Operand): Value {
    return this.binary('Div', a, b);
  }
  pow(a: Operand, b: Operand): Value {
    return this.binary('Pow', a, b);
  }
  /** Elementwise maximum of two tensors (broadcasting). */
  max(a: Operand, b: Operand): Value {
    return this.binary('Max', a, b);
  }
  /** Elementwise minimum of two tensors (broadcasting). */
  min(a: Operand, b: Operand): Value {
    return this.binary('Min', a, b);
  }
  equal(a: Operand, b: Operand): Value {
    return this.binary('Equal', a, b);
  }
  less(a: Operand, b: Operand): Value {
    return this.binary('Less', a, b);
  }
  greater(a: Operand, b: Operand): Value {
    return this.binary('Greater', a, b);
  }
  lessOrEqual(a: Operand, b: Operand): Value {
    return this.binary('LessOrEqual', a, b);
  }
  greaterOrEqual(a: Operand, b: Operand): Value {
    return this.binary('GreaterOrEqual', a, b);
  }
  and(a: Value, b: Value): Value {
    return this.binary('And', a, b);
  }
  or(a: Value, b: Value): Value {
    return this.binary('Or', a, b);
  }
  not(x: Value): Value {
    return this.unary('Not', x);
  }
  neg(x: Value): Value {
    return this.unary('Neg', x);
  }
  sqrt(x: Value): Value {
    return this.unary('Sqrt', x);
  }
  reciprocal(x: Value): Value {
    return this.unary('Reciprocal', x);
  }
  exp(x: Value): Value {
    return this.unary('Exp', x);
  }
  log(x: Value): Value {
    return this.unary('Log', x);
  }
  tanh(x: Value): Value {
    return this.unary('Tanh', x);
  }
  sigmoid(x: Value): Value {
    return this.unary('Sigmoid', x);
  }
  erf(x: Value): Value {
    return this.unary('Erf', x);
  }
  relu(x: Value): Value {
    return this.unary('Relu', x);
  }
  sin(x: Value): Value {
    return this.unary('Sin', x);
  }
  cos(x: Value): Value {
    return this.unary('Cos', x);
  }
  abs(x: Value): Value {
    return this.unary('Abs', x);
  }
  sign(x: Value): Value {
    return this.unary('Sign', x);
  }
  floor(x: Value): Value {
    return this.unary('Floor', x);
  }
  identity(x: Value): Value {
    return this.unary('Identity', x);
  }

  /** `cond ? a : b`, broadcasting. */
  where(cond: Value, a: Operand, b: Operand): Value {
    const [va, vb] = this.operands(a, b);
    return this.node('Where', [cond, va, vb])[0] as Value;
  }

  /** Clamps to `[min, max]`; either bound may be omitted. Bounds are scalars. */
  clip(x: Value, opts: { min?: Operand; max?: Operand } = {}): Value {
    const lo = opts.min === undefined ? null : this.like(opts.min, x);
    const hi = opts.max === undefined ? null : this.like(opts.max, x);
    return this.node('Clip', hi ? [x, lo, hi] : lo ? [x, lo] : [x])[0] as Value;
  }

  /** Changes the element type (no node when it already has it). */
  cast(x: Value, opts: { to: DType }): Value {
    if (x.dtype === opts.to) return x;
    return this.node('Cast', [x], { to: attr.int(DTYPE_CODE[opts.to]) })[0] as Value;
  }

  // ---- linear algebra --------------------------------------------------------------------

  /** numpy matmul: batched and broadcast over leading axes; 1-D operands are vectors. */
  matmul(a: Value, b: Value): Value {
    return this.node('MatMul', [a, b])[0] as Value;
  }

  /** `alpha * op(a) @ op(b) + beta * c` for 2-D `a`, `b`; `op` transposes when `transA`/`transB`. */
  gemm(a: Value, b: Value, c?: Value | null, opts: GemmOptions = {}): Value {
    const attrs: Record<string, Attr> = {};
    if (opts.transA) attrs.transA = attr.int(1);
    if (opts.transB) attrs.transB = attr.int(1);
    if (opts.alpha !== undefined && opts.alpha !== 1) attrs.alpha = attr.float(opts.alpha);
    if (opts.beta !== undefined && opts.beta !== 1) attrs.beta = attr.float(opts.beta);
    return this.node('Gemm', c ? [a, b, c] : [a, b], attrs)[0] as Value;
  }

  // ---- normalisation and reductions -------------------------------------------------------

  softmax(x: Value, opts: { axis?: number } = {}): Value {
    return this.node('Softmax', [x], { axis: attr.int(opts.axis ?? -1) })[0] as Value;
  }
  logSoftmax(x: Value, opts: { axis?: number } = {}): Value {
    return this.node('LogSoftmax', [x], { axis: attr.int(opts.axis ?? -1) })[0] as Value;
  }
  reduceSum(x: Value, opts: ReduceOptions = {}): Value {
    return this.reduce('ReduceSum', x, opts);
  }
  reduceMean(x: Value, opts: ReduceOptions = {}): Value {
    return this.reduce('ReduceMean', x, opts);
  }
  reduceMax(x: Value, opts: ReduceOptions = {}): Value {
    return this.reduce('ReduceMax', x, opts);
  }
  reduceMin(x: Value, opts: ReduceOptions = {}): Value {
    return this.reduce('ReduceMin', x, opts);
  }
  reduceProd(x: Value, opts: ReduceOptions = {}): Value {
    return this.reduce('ReduceProd', x, opts);
  }

  /**
   * A reduction with runtime axes (int64 1-D tensor). `noopWithEmptyAxes` makes an empty axes
   * tensor mean "reduce nothing" instead of "reduce everything".
   */
  reduceSumDynamic(x: Value, axes: Value, opts: { keepdims?: boolean; noopWithEmptyAxes?: boolean } = {}): Value {
    const attrs: Record<string, Attr> = { keepdims: attr.int(opts.keepdims === false ? 0 : 1) };
    if (opts.noopWithEmptyAxes) attrs.noop_with_empty_axes = attr.int(1);
    return this.node('ReduceSum', [x, axes], attrs)[0] as Value;
  }

  /** Index of the largest element along `axis` (int64; first one on ties). */
  argMax(x: Value, opts: { axis?: number; keepdims?: boolean } = {}): Value {
    return this.node('ArgMax', [x], { axis: attr.int(opts.axis ?? -1), keepdims: attr.int(opts.keepdims === false ? 0 : 1) })[0] as Value;
  }
  /** Running sum along `axis` (no gradient rule: keep it off differentiated paths). */
  cumSum(x: Value, opts: { axis: number; exclusive?: boolean; reverse?: boolean }): Value {
    const attrs: Record<string, Attr> = {};
    if (opts.exclusive) attrs.exclusive = attr.int(1);
    if (opts.reverse) attrs.reverse = attr.int(1);
    return this.node('CumSum', [x, this.constant(opts.axis, 'int64')], attrs)[0] as Value;
  }
  /** The `k` largest (or smallest) elements along `axis` and their indices. */
  topK(x: Value, k: number | Value, opts: { axis?: number; largest?: boolean; sorted?: boolean } = {}): [Value, Value] {
    const kv = typeof k === 'number' ? this.constant([k], 'int64') : k;
    const attrs: Record<string, Attr> = { axis: attr.int(opts.axis ?? -1) };
    if (opts.largest === false) attrs.largest = attr.int(0);
    if (opts.sorted === false) attrs.sorted = attr.int(0);
    return this.node('TopK', [x, kv], attrs, 2) as [Value, Value];
  }

  // ---- indexing --------------------------------------------------------------------------

  /** `x.take(indices, axis)`: numpy take; negative indices count from the end. */
  gather(x: Value, indices: Value, opts: { axis?: number } = {}): Value {
    return this.node('Gather', [x, indices], { axis: attr.int(opts.axis ?? 0) })[0] as Value;
  }
  /** `take_along_axis(x, indices, axis)`. */
  gatherElements(x: Value, indices: Value, opts: { axis?: number } = {}): Value {
    return this.node('GatherElements', [x, indices], { axis: attr.int(opts.axis ?? 0) })[0] as Value;
  }
  /** Scatter into a copy of `data` (`reduction: 'add'` accumulates duplicates). */
  scatterElements(data: Value, indices: Value, updates: Value, opts: { axis?: number; reduction?: 'none' | 'add' } = {}): Value {
    const attrs: Record<string, Attr> = { axis: attr.int(opts.axis ?? 0) };
    if (opts.reduction && opts.reduction !== 'none') attrs.reduction = attr.string(opts.reduction);
    return this.node('ScatterElements', [data, indices, updates], attrs)[0] as Value;
  }
  scatterND(data: Value, indices: Value, updates: Value, opts: { reduction?: 'none' | 'add' } = {}): Value {
    const attrs: Record<string, Attr> = {};
    if (opts.reduction && opts.reduction !== 'none') attrs.reduction = attr.string(opts.reduction);
    return this.node('ScatterND', [data, indices, updates], attrs)[0] as Value;
  }
  /** `x[starts:ends:steps]` on `axes` (all leading axes when omitted); ends past the size clamp. */
  slice(x: Value, opts: SliceOptions): Value {
    const ins: (Value | null)[] = [x, this.ints(opts.starts), this.ints(opts.ends)];
    if (opts.axes !== undefined || opts.steps !== undefined) ins.push(opts.axes === undefined ? null : this.ints(opts.axes));
    if (opts.steps !== undefined) ins.push(this.ints(opts.steps));
    return this.node('Slice', ins)[0] as Value;
  }
  /**
   * Zero (or `value`) padding: `pads` = [begin_0, ..., begin_k, end_0, ..., end_k] over `axes`
   * (all axes when omitted). `axes` is expanded into full-rank pads here rather than passed as
   * Pad-18's `axes` input: onnxruntime's transpose optimizer permutes pads as if they were
   * full-rank and produces an out-of-range Gather when it pushes a Transpose through such a Pad.
   */
  pad(x: Value, pads: IntsOperand, opts: { axes?: readonly number[]; value?: number } = {}): Value {
    let full = pads;
    if (opts.axes) {
      if (!Array.isArray(pads)) throw new Error('pad: `axes` needs constant pads; give full-rank runtime pads instead');
      const r = x.shape.length;
      const list = new Array<number>(2 * r).fill(0);
      opts.axes.forEach((a, i) => {
        const ax = a < 0 ? a + r : a;
        list[ax] = pads[i] as number;
        list[ax + r] = pads[i + opts.axes!.length] as number;
      });
      full = list;
    }
    const ins: (Value | null)[] = [x, this.ints(full)];
    if (opts.value !== undefined) ins.push(this.like(opts.value, x));
    return this.node('Pad', ins)[0] as Value;
  }
  concat(xs: readonly Value[], opts: { axis: number }): Value {
    if (xs.length === 1) return xs[0] as Value;
    return this.node('Concat', xs, { axis: attr.int(opts.axis) })[0] as Value;
  }
  /** Splits along `axis` into pieces of the given sizes, or into `numOutputs` equal pieces. */
  split(x: Value, opts: SplitOptions): Value[] {
    const axis = attr.int(opts.axis ?? 0);
    if ('numOutputs' in opts) return this.node('Split', [x], { axis, num_outputs: attr.int(opts.numOutputs) }, opts.numOutputs);
    const sizes = this.ints(opts.split);
    const n = Array.isArray(opts.split) ? opts.split.length : (sizes.shape[0] as number);
    if (typeof n !== 'number') throw new Error('split: the number of pieces must be static');
    return this.node('Split', [x, sizes], { axis }, n);
  }

  // ---- shapes ----------------------------------------------------------------------------

  /** ONNX Reshape: `0` copies the input's size, `-1` is inferred. */
  reshape(x: Value, shape: IntsOperand): Value {
    const target = this.ints(shape);
    if (!Array.isArray(shape) && target.symbolic && !target.constant) {
      // A runtime shape whose sizes are known symbolically (e.g. Shape(y) for y: [batch, seq, 64])
      // becomes a constant target: 0 copies x's size at the same axis, one -1 takes the rest.
      const sym = target.symbolic;
      let holes = 0;
      const fixed = sym.map((d, i) => (typeof d === 'number' ? d : d === x.shape[i] ? 0 : (holes++, -1)));
      // A literal -1 in the runtime shape is a hole of its own: with a symbolic hole too, the
      // constant target would hold two -1s, which ONNX Runtime rejects; the runtime path handles it.
      if (holes <= 1 && !sym.includes(-1) && !fixed.some((d, i) => d === 0 && sym[i] === 0)) {
        const out = this.node('Reshape', [x, this.constant(fixed, 'int64')])[0] as Value;
        out.shape = [...sym]; // the -1 is exactly the size the runtime shape names
        return out;
      }
    }
    return this.node('Reshape', [x, target])[0] as Value;
  }
  /** Permutes axes (reverses them when `perm` is omitted). */
  transpose(x: Value, opts: { perm?: readonly number[] } = {}): Value {
    const perm = opts.perm ?? x.shape.map((_, i) => x.shape.length - 1 - i);
    if (perm.every((p, i) => p === i)) return x;
    return this.node('Transpose', [x], { perm: attr.ints(perm) })[0] as Value;
  }
  unsqueeze(x: Value, opts: { axes: readonly number[] }): Value {
    return this.node('Unsqueeze', [x, this.ints(opts.axes)])[0] as Value;
  }
  /** Removes the given size-1 axes (all size-1 axes when omitted). */
  squeeze(x: Value, opts: { axes?: readonly number[] } = {}): Value {
    return this.node('Squeeze', opts.axes ? [x, this.ints(opts.axes)] : [x])[0] as Value;
  }
  /** Broadcasts to `shape` (numpy broadcasting rules; the result may be larger than `shape`). */
  expand(x: Value, shape: IntsOperand): Value {
    return this.node('Expand', [x, this.ints(shape)])[0] as Value;
  }
  /** The runtime shape as an int64 1-D tensor (folded to a constant when static). */
  shape(x: Value, opts: { start?: number; end?: number } = {}): Value {
    const attrs: Record<string, Attr> = {};
    if (opts.start !== undefined) attrs.start = attr.int(opts.start);
    if (opts.end !== undefined) attrs.end = attr.int(opts.end);
    return this.node('Shape', [x], attrs)[0] as Value;
  }
  /** Number of elements, an int64 scalar. */
  size(x: Value): Value {
    return this.node('Size', [x])[0] as Value;
  }
  /** `[start, start+delta, ...)` below `limit`; all three share a dtype (numbers take the Value's, else int64). */
  range(start: Operand, limit: Operand, delta: Operand = 1): Value {
    const dtype = [start, limit, delta].find((o): o is Value => typeof o !== 'number')?.dtype ?? 'int64';
    const c = (o: Operand): Value => (typeof o === 'number' ? this.constant(o, dtype) : o);
    return this.node('Range', [c(start), c(limit), c(delta)])[0] as Value;
  }
  /**
   * A 1-D int64 tensor holding `sizes`, computed at run time as `sizes + 0 * anchor.shape[0]`, so
   * that ONNX Runtime cannot fold what is built from it into a constant, while the builder still
   * knows the values and infers static shapes from them. For large constant-filled tensors
   * (`constantOfShape(g.runtimeSizes(...))`): ONNX Runtime folds a ConstantOfShape with a constant
   * shape into an initializer that the session keeps for its whole life and copies at every run.
   * `anchor` should have a first size known only at run time (a batch); if it has a static one,
   * ONNX Runtime folds the result after all, which costs memory, not correctness.
   */
  runtimeSizes(sizes: readonly number[], anchor: Value): Value {
    const zero = this.mul(this.shape(anchor, { start: 0, end: 1 }), this.constant([0], 'int64')); // [1]
    const out = this.add(this.constant([...sizes], 'int64'), zero);
    out.symbolic ??= [...sizes]; // the builder folded nothing (a symbolic anchor): say what it holds
    return out;
  }
  /** A tensor of `shape` filled with `value` (default 0, float32). */
  constantOfShape(shape: IntsOperand, opts: { value?: number; dtype?: DType } = {}): Value {
    const t = tensorFrom(opts.dtype ?? 'float32', [opts.value ?? 0], [1]);
    return this.node('ConstantOfShape', [this.ints(shape)], { value: attr.tensor(t) })[0] as Value;
  }
  /** Zeros with `x`'s shape and dtype. */
  zerosLike(x: Value): Value {
    return this.constantOfShape(this.shape(x), { dtype: x.dtype, value: 0 });
  }
  /** Upper (default) or lower triangle of the last two axes, diagonal offset `k`. */
  trilu(x: Value, opts: { upper?: boolean; k?: number | Value } = {}): Value {
    const ins: Value[] = opts.k === undefined ? [x] : [x, typeof opts.k === 'number' ? this.constant(opts.k, 'int64') : opts.k];
    return this.node('Trilu', ins, { upper: attr.int(opts.upper === false ? 0 : 1) })[0] as Value;
  }

  // ---- composites ------------------------------------------------------------------------

  /** `x * sigmoid(x)` (SiLU / swish). */
  silu(x: Value): Value {
    return this.mul(x, this.sigmoid(x));
  }
  /** `log(1 + exp(x))`, written as `relu(x) + log(1 + exp(-|x|))` so it never overflows. */
  softplus(x: Value): Value {
    return this.add(this.relu(x), this.log(this.add(this.exp(this.neg(this.abs(x))), 1)));
  }
  /** GELU with the tanh approximation (GPT-2's `gelu_new`). */
  geluTanh(x: Value): Value {
    const inner = this.mul(this.add(x, this.mul(this.pow(x, 3), 0.044715)), Math.sqrt(2 / Math.PI));
    return this.mul(this.mul(x, 0.5), this.add(this.tanh(inner), 1));
  }
  /**
   * Identity that autodiff treats as a constant (no gradient flows back through it).
   * Serialised as a plain Identity.
   */
  stopGradient(x: Value): Value {
    // Emitted directly (not through the CSE table), so it is never shared with a plain Identity.
    const out = this.emit('Identity', [x], {}, 1, [{ dtype: x.dtype, shape: [...x.shape] }])[0] as Value;
    (out.producer as Node).tag = 'stopGradient';
    return out;
  }

  // ---- internals -------------------------------------------------------------------------

  private operands(a: Operand, b: Operand): [Value, Value] {
    if (typeof a === 'number' && typeof b === 'number') throw new Error('an operation needs at least one tensor operand');
    const va = typeof a === 'number' ? this.constant(a, (b as Value).dtype) : a;
    const vb = typeof b === 'number' ? this.constant(b, va.dtype) : b;
    return [va, vb];
  }

  private binary(op: string, a: Operand, b: Operand): Value {
    return this.node(op, this.operands(a, b))[0] as Value;
  }

  private unary(op: string, x: Value): Value {
    return this.node(op, [x])[0] as Value;
  }

  private reduce(op: string, x: Value, opts: ReduceOptions): Value {
    const attrs: Record<string, Attr> = { keepdims: attr.int(opts.keepdims === false ? 0 : 1) };
    const axes = opts.axes ?? x.shape.map((_, i) => i);
    if (axes.length === 0) return x;
    if (axesAsInput(op)) return this.node(op, [x, this.constant([...axes], 'int64')], attrs)[0] as Value;
    return this.node(op, [x], { ...attrs, axes: attr.ints(axes) })[0] as Value;
  }
}
