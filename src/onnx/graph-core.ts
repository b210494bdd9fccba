/**
 * The graph-keeping half of the builder: inputs, initializers, constants, outputs, and `node()`,
 * which applies an op with shape inference, constant folding and common-subexpression sharing.
 * `GraphBuilder` (builder.ts) adds one numpy-like method per op on top.
 */
import {
  type Attr,
  type Dim,
  type DType,
  type Graph,
  type Initializer,
  type Node,
  type TensorData,
  type TypedArray,
  type Value,
  numel,
  tensorFrom,
} from './ir.js';
import { inferNode } from './shape-inference.js';
import { foldNode } from './fold.js';
import { eliminateDeadNodes } from './passes.js';

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

export class GraphCore {
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
   * Values are looked up by name with {@link GraphCore.value}.
   */
  static extend<T extends GraphCore>(this: new (name: string) => T, graph: Graph, name = graph.name): T {
    const g = new this(name);
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
    // Continue numbering above every existing auto name and recompute region so names and regions stay unique.
    for (const n of graph.nodes) {
      if (n.recompute !== undefined) g.counter = Math.max(g.counter, n.recompute + 1);
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
  initializer(
    name: string,
    data: Float32Array | Float64Array | BigInt64Array | Int32Array | Uint16Array | Uint8Array,
    dims: readonly number[],
    dtype?: DType,
  ): Value {
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
    const renamable =
      value.producer !== null && value.name.startsWith(AUTO_PREFIX) && value.producer.op !== 'Constant' && !this.outputs.includes(value);
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

  /** The finished graph, without nodes that no output depends on (inputs and initializers stay). */
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
    const key = this.cseKey(op, inputs, numOutputs, attrs);
    const seen = key === undefined ? undefined : this.cse.get(key);
    if (seen) return seen;
    const outs = this.emit(op, inputs, attrs, numOutputs, infos);
    if (folded?.[0]?.symbolic) (outs[0] as Value).symbolic = folded[0].symbolic;
    if (key !== undefined) this.cse.set(key, outs);
    return outs;
  }

  /**
   * Builds `body` as one recompute region: the nodes it adds (constants aside) are marked, and
   * grad() with `recompute` computes their outputs again in the backward pass from the region's
   * inputs instead of keeping them from the forward pass (see autodiff.ts). For cheap elementwise
   * work whose outputs are large: an MLP's activation, a normalisation.
   */
  recompute<T>(body: () => T): T {
    const from = this.nodes.length;
    const result = body();
    // Unique: extend() continues the counter above every copied region.
    const region = this.counter++;
    for (const node of this.nodes.slice(from)) if (node.op !== 'Constant') node.recompute = region;
    return result;
  }

  /** Registers a copied node in the constant and CSE tables, so new code reuses it. */
  private remember(node: Node): void {
    const a = node.attrs.value;
    if (node.op === 'Constant' && a?.type === 'tensor') {
      const t = a.value;
      if (t.data.length <= 64) this.constantCache.set(constantKey(t), node.outputs[0] as Value);
    } else if (!node.tag) {
      const key = this.cseKey(node.op, node.inputs, node.outputs.length, node.attrs);
      if (key !== undefined) this.cse.set(key, node.outputs);
    }
  }

  /** Identity of an op application for sharing; random ops draw anew each time, so they have none. */
  private cseKey(op: string, inputs: readonly (Value | null)[], numOutputs: number, attrs: Record<string, Attr>): string | undefined {
    if (/^(Random|Multinomial|Bernoulli)/.test(op)) return undefined;
    return `${op}|${inputs.map((v) => (v ? this.idOf(v) : '')).join(',')}|${numOutputs}|${attrKey(attrs)}`;
  }

  private idOf(v: Value): number {
    let id = this.valueIds.get(v);
    if (id === undefined) {
      id = this.valueIds.size;
      this.valueIds.set(v, id);
    }
    return id;
  }

  /** A number as a scalar constant of `like`'s dtype; a Value passes through. */
  like(o: Value | number, like: Value): Value {
    return typeof o === 'number' ? this.constant(o, like.dtype) : o;
  }

  /** An int64 1-D tensor from a list (or a Value passed through). */
  ints(v: readonly number[] | Value): Value {
    return Array.isArray(v) ? this.constant(v as number[], 'int64') : (v as Value);
  }

  // ---- internals -------------------------------------------------------------------------

  private freshDim(): string {
    return `?${this.counter++}`;
  }

  private claim(v: Value): void {
    if (this.names.has(v.name)) throw new Error(`graph '${this.name}' already has a value named '${v.name}'`);
    this.names.set(v.name, v);
  }

  protected emit(
    op: string,
    inputs: readonly (Value | null)[],
    attrs: Record<string, Attr>,
    numOutputs: number,
    infos: { dtype: DType; shape: Dim[] }[],
  ): Value[] {
    for (const v of inputs)
      if (v && !this.names.has(v.name)) throw new Error(`${op}: input '${v.name}' does not belong to graph '${this.name}'`);
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

const constantKey = (t: TensorData): string =>
  `${t.dtype}[${t.dims.join(',')}]${Array.from(t.data as ArrayLike<number | bigint>, String).join(',')}`;

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
