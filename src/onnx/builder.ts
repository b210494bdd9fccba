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
import { type Attr, type Dim, type DType, type Graph, type Initializer, type Node, type TensorData, type TypedArray, type Value, isFloat, numel, tensorFrom } from './ir.js';
import { axesAsInput } from './opset.js';
import { inferNode } from './shape-inference.js';
import { foldNode } from './fold.js';
import { eliminateDeadNodes } from './passes.js';

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

const AUTO_PREFIX = '_t';

/** Typed attribute constructors. */
export const attr = {
  int: (value: number): Attr => ({ type: 'int', value }),
  float: (value: number): Attr => ({ type: 'float', value }),
  string: (value: string): Attr => ({ type: 'string', value }),
  ints: (value: readonly number[]): Attr => ({ type: 'ints', value: [...value] }),
  floats: (value: readonly number[]): Attr => ({ type: 'floats', value: [...value] }),
  tensor: (value: TensorData): Attr => ({ type: 'tensor', value }),
};

function dtypeOfArray(data: TypedArray): DType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof BigInt64Array) return 'int64';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Uint16Array) return 'float16';
  return 'bool';
}

export class GraphBuilder {
  private readonly inputs: Value[] = [];
  private readonly initializers: Initializer[] = [];
  private readonly nodes: Node[] = [];
  private readonly outputs: Value[] = [];
  private readonly names = new Map<string, Value>();
  private readonly constantCache = new Map<string, Value>();
  /** Common-subexpression table: the same op on the same inputs with the same attributes is built once. */
  private readonly cse = new Map<string, Value[]>();
  private readonly valueIds = new Map<Value, number>();
  private counter = 0;

  /**
   * @param options.fold fold constant and shape arithmetic while building (default true);
   *   fromModelBytes turns it off so a file reads back node for node.
   */
  constructor(
    readonly name: string,
    private readonly options: { fold?: boolean } = {},
  ) {}

  /**
   * A builder that continues an existing graph (used by autodiff): the graph's inputs,
   * initializers and nodes are copied (the original graph is not modified), outputs are not.
   * Values are looked up by name with {@link GraphBuilder.value}.
   */
  static extend(graph: Graph, name = graph.name): GraphBuilder {
    const g = new GraphBuilder(name);
    const map = new Map<Value, Value>();
    const copy = (v: Value): Value => {
      const c: Value = { ...v, shape: [...v.shape], producer: null };
      g.claim(c);
      map.set(v, c);
      return c;
    };
    for (const v of graph.inputs) g.inputs.push(copy(v));
    for (const init of graph.initializers) g.initializers.push({ value: copy(init.value), data: init.data });
    for (const n of graph.nodes) {
      const node: Node = { ...n, inputs: n.inputs.map((v) => (v ? (map.get(v) as Value) : null)), outputs: [], attrs: { ...n.attrs } };
      node.outputs = n.outputs.map((v) => {
        const c = copy(v);
        c.producer = node;
        return c;
      });
      g.nodes.push(node);
      g.remember(node);
    }
    // Continue numbering above every existing auto name so node and value names stay unique.
    for (const n of graph.nodes) {
      for (const s of [n.name, ...n.outputs.map((v) => v.name)]) {
        const m = /(\d+)(_\d+)?_*$/.exec(s);
        if (m) g.counter = Math.max(g.counter, Number(m[1]) + 1);
      }
    }
    return g;
  }

  /** Renames a value (names must stay unique). */
  rename(v: Value, name: string): void {
    if (v.name === name) return;
    if (this.names.has(name)) throw new Error(`graph '${this.name}' already has a value named '${name}'`);
    this.names.delete(v.name);
    v.name = name;
    this.names.set(name, v);
  }

  /** The value with this name, or an error. */
  value(name: string): Value {
    const v = this.names.get(name);
    if (!v) throw new Error(`graph '${this.name}' has no value named '${name}'`);
    return v;
  }

  hasValue(name: string): boolean {
    return this.names.has(name);
  }

  // ---- graph interface -------------------------------------------------------------------

  /** A graph input; string dims are symbolic sizes (`'batch'`, `'seq'`). */
  input(name: string, dtype: DType, shape: readonly Dim[]): Value {
    const v: Value = { name, dtype, shape: [...shape], producer: null };
    this.claim(v);
    this.inputs.push(v);
    return v;
  }

  /** A named weight stored with the model. */
  initializer(name: string, data: Float32Array | Float64Array | BigInt64Array | Int32Array | Uint16Array | Uint8Array, dims: readonly number[], dtype?: DType): Value {
    const t: TensorData = { dtype: dtype ?? dtypeOfArray(data), dims: [...dims], data };
    if (numel(t.dims) !== data.length) throw new Error(`initializer '${name}': ${data.length} values do not fill dims [${dims}]`);
    // No `constant` on the value: weights must stay live graph values (folding them would cut
    // them off from autodiff and from later weight updates).
    const v: Value = { name, dtype: t.dtype, shape: [...dims], producer: null };
    this.claim(v);
    this.initializers.push({ value: v, data: t });
    return v;
  }

  /**
   * A constant tensor (an ONNX Constant node). Numbers default to float32, typed arrays to their
   * own dtype; dims default to `[]` for a number and `[n]` for a list.
   */
  constant(value: number | readonly number[] | TypedArray | TensorData, dtype?: DType, dims?: readonly number[]): Value {
    let t: TensorData;
    if (typeof value === 'number' || Array.isArray(value)) {
      const list = typeof value === 'number' ? [value] : (value as number[]);
      t = tensorFrom(dtype ?? 'float32', list, dims ? [...dims] : typeof value === 'number' ? [] : [list.length]);
    } else if ('dims' in (value as object) && 'data' in (value as object)) {
      t = value as TensorData;
    } else {
      const data = value as TypedArray;
      t = { dtype: dtype ?? dtypeOfArray(data), dims: dims ? [...dims] : [data.length], data };
    }
    if (numel(t.dims) !== t.data.length) throw new Error(`constant: ${t.data.length} values do not fill dims [${t.dims}]`);
    // Small constants are shared: one node per distinct value.
    const key = t.data.length <= 64 ? constantKey(t) : undefined;
    const cached = key === undefined ? undefined : this.constantCache.get(key);
    if (cached) return cached;
    const [out] = this.emit('Constant', [], { value: attr.tensor(t) }, 1, [{ dtype: t.dtype, shape: [...t.dims] }]);
    const v = out as Value;
    v.constant = t;
    if (t.dtype === 'int64' && t.dims.length <= 1) v.symbolic = Array.from(t.data as BigInt64Array, Number);
    if (key !== undefined) this.constantCache.set(key, v);
    return v;
  }

  /** Marks `value` as a graph output called `name` (renaming it, or via Identity when it already has a fixed name). */
  output(value: Value, name: string): Value {
    if (value.name === name && !this.outputs.includes(value)) {
      this.outputs.push(value);
      return value;
    }
    const renamable = value.producer !== null && value.name.startsWith(AUTO_PREFIX) && value.producer.op !== 'Constant' && !this.outputs.includes(value);
    let out = value;
    if (renamable) {
      if (this.names.has(name)) throw new Error(`graph '${this.name}' already has a value named '${name}'`);
      this.names.delete(value.name);
      value.name = name;
      this.names.set(name, value);
    } else {
      out = this.node('Identity', [value])[0] as Value;
      this.names.delete(out.name);
      if (this.names.has(name)) throw new Error(`graph '${this.name}' already has a value named '${name}'`);
      out.name = name;
      this.names.set(name, out);
    }
    this.outputs.push(out);
    return out;
  }

  /** The finished graph, without nodes and initializers that no output depends on. */
  build(): Graph {
    if (this.outputs.length === 0) throw new Error(`graph '${this.name}' has no outputs`);
    return eliminateDeadNodes({
      name: this.name,
      inputs: [...this.inputs],
      initializers: [...this.initializers],
      nodes: [...this.nodes],
      outputs: [...this.outputs],
    });
  }

  /**
   * Low-level: applies any default-domain op with shape inference and constant folding.
   * `null` inputs are omitted optional inputs. Returns the op's outputs.
   */
  node(op: string, inputs: readonly (Value | null)[], attrs: Record<string, Attr> = {}, numOutputs = 1): Value[] {
    const infos = inferNode(op, inputs, attrs, numOutputs, () => this.freshDim());
    const folded = this.options.fold === false ? undefined : foldNode(op, inputs, attrs, infos);
    if (this.options.fold === false) {
      // Node for node: keep what is known about values, but never replace a node.
      const outs = this.emit(op, inputs, attrs, numOutputs, infos);
      const out = outs[0] as Value;
      if (op === 'Constant' && attrs.value?.type === 'tensor') {
        out.constant = attrs.value.value;
        if (out.dtype === 'int64' && out.shape.length <= 1) out.symbolic = Array.from(out.constant.data as BigInt64Array, Number);
      } else if (folded?.[0]) {
        const f = folded[0];
        const sym = f.symbolic ?? (f.constant?.dtype === 'int64' ? Array.from(f.constant.data as BigInt64Array, Number) : undefined);
        if (sym) out.symbolic = sym;
      }
      return outs;
    }
    if (folded?.[0]?.constant) return [this.constant(folded[0].constant)];
    const key = `${op}|${inputs.map((v) => (v ? this.idOf(v) : '')).join(',')}|${numOutputs}|${attrKey(attrs)}`;
    const seen = this.cse.get(key);
    if (seen) return seen;
    const outs = this.emit(op, inputs, attrs, numOutputs, infos);
    if (folded?.[0]?.symbolic) (outs[0] as Value).symbolic = folded[0].symbolic;
    this.cse.set(key, outs);
    return outs;
  }

  /** Registers a copied node in the constant and CSE tables, so new code reuses it. */
  private remember(node: Node): void {
    const a = node.attrs.value;
    if (node.op === 'Constant' && a?.type === 'tensor') {
      const t = a.value;
      if (t.data.length <= 64) this.constantCache.set(constantKey(t), node.outputs[0] as Value);
    } else if (!node.tag) {
      this.cse.set(`${node.op}|${node.inputs.map((v) => (v ? this.idOf(v) : '')).join(',')}|${node.outputs.length}|${attrKey(node.attrs)}`, node.outputs);
    }
  }

  private idOf(v: Value): number {
    let id = this.valueIds.get(v);
    if (id === undefined) {
      id = this.valueIds.size;
      this.valueIds.set(v, id);
    }
    return id;
  }

  // ---- elementwise -------------------------------------------------------------------------

  add(a: Operand, b: Operand): Value { return this.binary('Add', a, b); }
  sub(a: Operand, b: Operand): Value { return this.binary('Sub', a, b); }
  mul(a: Operand, b: Operand): Value { return this.binary('Mul', a, b); }
  div(a: Operand, b: Operand): Value { return this.binary('Div', a, b); }
  pow(a: Operand, b: Operand): Value { return this.binary('Pow', a, b); }
  /** Elementwise maximum of two tensors (broadcasting). */
  max(a: Operand, b: Operand): Value { return this.binary('Max', a, b); }
  /** Elementwise minimum of two tensors (broadcasting). */
  min(a: Operand, b: Operand): Value { return this.binary('Min', a, b); }
  equal(a: Operand, b: Operand): Value { return this.binary('Equal', a, b); }
  less(a: Operand, b: Operand): Value { return this.binary('Less', a, b); }
  greater(a: Operand, b: Operand): Value { return this.binary('Greater', a, b); }
  lessOrEqual(a: Operand, b: Operand): Value { return this.binary('LessOrEqual', a, b); }
  greaterOrEqual(a: Operand, b: Operand): Value { return this.binary('GreaterOrEqual', a, b); }
  and(a: Value, b: Value): Value { return this.binary('And', a, b); }
  or(a: Value, b: Value): Value { return this.binary('Or', a, b); }
  not(x: Value): Value { return this.unary('Not', x); }
  neg(x: Value): Value { return this.unary('Neg', x); }
  sqrt(x: Value): Value { return this.unary('Sqrt', x); }
  reciprocal(x: Value): Value { return this.unary('Reciprocal', x); }
  exp(x: Value): Value { return this.unary('Exp', x); }
  log(x: Value): Value { return this.unary('Log', x); }
  tanh(x: Value): Value { return this.unary('Tanh', x); }
  sigmoid(x: Value): Value { return this.unary('Sigmoid', x); }
  erf(x: Value): Value { return this.unary('Erf', x); }
  relu(x: Value): Value { return this.unary('Relu', x); }
  sin(x: Value): Value { return this.unary('Sin', x); }
  cos(x: Value): Value { return this.unary('Cos', x); }
  abs(x: Value): Value { return this.unary('Abs', x); }
  sign(x: Value): Value { return this.unary('Sign', x); }
  floor(x: Value): Value { return this.unary('Floor', x); }
  identity(x: Value): Value { return this.unary('Identity', x); }

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
  matmul(a: Value, b: Value): Value { return this.node('MatMul', [a, b])[0] as Value; }

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
  reduceSum(x: Value, opts: ReduceOptions = {}): Value { return this.reduce('ReduceSum', x, opts); }
  reduceMean(x: Value, opts: ReduceOptions = {}): Value { return this.reduce('ReduceMean', x, opts); }
  reduceMax(x: Value, opts: ReduceOptions = {}): Value { return this.reduce('ReduceMax', x, opts); }
  reduceMin(x: Value, opts: ReduceOptions = {}): Value { return this.reduce('ReduceMin', x, opts); }
  reduceProd(x: Value, opts: ReduceOptions = {}): Value { return this.reduce('ReduceProd', x, opts); }

  /**
   * A reduction with runtime axes (int64 1-D tensor). `noopWithEmptyAxes` makes an empty axes
   * tensor mean "reduce nothing" instead of "reduce everything".
   */
  reduceSumDynamic(x: Value, axes: Value, opts: { keepdims?: boolean; noopWithEmptyAxes?: boolean } = {}): Value {
    const attrs: Record<string, Attr> = { keepdims: attr.int(opts.keepdims === false ? 0 : 1) };
    if (opts.noopWithEmptyAxes) attrs.noop_with_empty_axes = attr.int(1);
    return this.node('ReduceSum', [x, axes], attrs)[0] as Value;
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
      if (holes <= 1 && !fixed.some((d, i) => d === 0 && sym[i] === 0)) {
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
  unsqueeze(x: Value, opts: { axes: readonly number[] }): Value { return this.node('Unsqueeze', [x, this.ints(opts.axes)])[0] as Value; }
  /** Removes the given size-1 axes (all size-1 axes when omitted). */
  squeeze(x: Value, opts: { axes?: readonly number[] } = {}): Value {
    return this.node('Squeeze', opts.axes ? [x, this.ints(opts.axes)] : [x])[0] as Value;
  }
  /** Broadcasts to `shape` (numpy broadcasting rules; the result may be larger than `shape`). */
  expand(x: Value, shape: IntsOperand): Value { return this.node('Expand', [x, this.ints(shape)])[0] as Value; }
  /** The runtime shape as an int64 1-D tensor (folded to a constant when static). */
  shape(x: Value, opts: { start?: number; end?: number } = {}): Value {
    const attrs: Record<string, Attr> = {};
    if (opts.start !== undefined) attrs.start = attr.int(opts.start);
    if (opts.end !== undefined) attrs.end = attr.int(opts.end);
    return this.node('Shape', [x], attrs)[0] as Value;
  }
  /** Number of elements, an int64 scalar. */
  size(x: Value): Value { return this.node('Size', [x])[0] as Value; }
  /** `[start, start+delta, ...)` below `limit`; all three share a dtype (numbers take the Value's, else int64). */
  range(start: Operand, limit: Operand, delta: Operand = 1): Value {
    const dtype = [start, limit, delta].find((o): o is Value => typeof o !== 'number')?.dtype ?? 'int64';
    const c = (o: Operand): Value => (typeof o === 'number' ? this.constant(o, dtype) : o);
    return this.node('Range', [c(start), c(limit), c(delta)])[0] as Value;
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
  silu(x: Value): Value { return this.mul(x, this.sigmoid(x)); }
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

  /** A number as a scalar constant of `like`'s dtype; a Value passes through. */
  like(o: Operand, like: Value): Value {
    return typeof o === 'number' ? this.constant(o, like.dtype) : o;
  }

  /** An int64 1-D tensor from a list (or a Value passed through). */
  ints(v: IntsOperand): Value {
    return Array.isArray(v) ? this.constant(v as number[], 'int64') : (v as Value);
  }

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

  private freshDim(): string {
    return `?${this.counter++}`;
  }

  private claim(v: Value): void {
    if (this.names.has(v.name)) throw new Error(`graph '${this.name}' already has a value named '${v.name}'`);
    this.names.set(v.name, v);
  }

  private emit(op: string, inputs: readonly (Value | null)[], attrs: Record<string, Attr>, numOutputs: number, infos: { dtype: DType; shape: Dim[] }[]): Value[] {
    for (const v of inputs) if (v && !this.names.has(v.name)) throw new Error(`${op}: input '${v.name}' does not belong to graph '${this.name}'`);
    const id = this.counter++;
    const node: Node = { op, name: `${op}_${id}`, inputs: [...inputs], outputs: [], attrs };
    for (let i = 0; i < numOutputs; i++) {
      let name = `${AUTO_PREFIX}${id}${numOutputs > 1 ? `_${i}` : ''}`;
      while (this.names.has(name)) name += '_';
      const info = infos[i] as { dtype: DType; shape: Dim[] };
      const v: Value = { name, dtype: info.dtype, shape: info.shape, producer: node };
      this.claim(v);
      node.outputs.push(v);
    }
    this.nodes.push(node);
    return node.outputs;
  }
}

const constantKey = (t: TensorData): string => `${t.dtype}[${t.dims.join(',')}]${Array.from(t.data as ArrayLike<number | bigint>, String).join(',')}`;

/** A stable key for attributes (tensor attributes by dtype, dims and values). */
function attrKey(attrs: Record<string, Attr>): string {
  return Object.keys(attrs)
    .sort()
    .map((k) => {
      const a = attrs[k] as Attr;
      const v = a.type === 'tensor' ? constantKey(a.value) : JSON.stringify(a.value);
      return `${k}:${a.type}=${v}`;
    })
    .join(';');
}

/** ONNX TensorProto.DataType codes. */
export const DTYPE_CODE: Record<DType, number> = { float32: 1, int32: 6, int64: 7, bool: 9, float16: 10, float64: 11 };
/** Inverse of {@link DTYPE_CODE}. */
export function dtypeFromCode(code: number): DType {
  const found = (Object.keys(DTYPE_CODE) as DType[]).find((d) => DTYPE_CODE[d] === code);
  if (!found) throw new Error(`unsupported ONNX data type code ${code}`);
  return found;
}

export { isFloat };
