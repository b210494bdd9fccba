/**
 * The graph IR that the builder produces, autodiff transforms and the serialiser writes.
 *
 * A {@link Graph} is a topologically ordered list of {@link Node}s over {@link Value}s. Values are
 * objects (identity matters, names are for ONNX); every value carries a dtype and a symbolic shape,
 * where a dimension is a number (static) or a string (a named, unknown-at-build-time size such as
 * `'batch'`). Names that start with {@link UNKNOWN_DIM_PREFIX} are anonymous unknowns that the
 * builder invents when a size cannot be inferred; they are not written to ONNX files.
 */

/** Element types the project uses. `bool` data is stored one byte per element. */
export type DType = 'float32' | 'float64' | 'float16' | 'int64' | 'int32' | 'bool';

/** One dimension: a static size, or a symbolic name (equal names mean equal sizes). */
export type Dim = number | string;

/** Prefix of builder-invented anonymous dimension names (never serialised as `dim_param`). */
export const UNKNOWN_DIM_PREFIX = '?';

/** Typed-array storage per dtype (float16 as raw IEEE half bits, bool as 0/1 bytes). */
export type TypedArray = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint16Array | Uint8Array;

/** A dense tensor: row-major data and static dims. */
export interface TensorData {
  dtype: DType;
  dims: number[];
  data: TypedArray;
}

/** A typed node attribute (ONNX attributes carry their type; `1` and `1.0` differ). */
export type Attr =
  | { type: 'int'; value: number }
  | { type: 'float'; value: number }
  | { type: 'string'; value: string }
  | { type: 'ints'; value: number[] }
  | { type: 'floats'; value: number[] }
  | { type: 'strings'; value: string[] }
  | { type: 'tensor'; value: TensorData };

/** A tensor-valued edge of the graph. */
export interface Value {
  /** Unique within a graph; the ONNX value name. */
  name: string;
  dtype: DType;
  /** Symbolic shape; the rank is always known. */
  shape: Dim[];
  /** The node computing this value; null for graph inputs and initializers. */
  producer: Node | null;
  /** Known contents (Constant nodes, initializers, folded shape arithmetic). */
  constant?: TensorData;
  /**
   * For small 1-D/0-D int64 values that hold sizes (e.g. the output of Shape): the symbolic
   * element values. Lets `reshape(x, concat([shape(x)[0], -1]))` infer `['batch', ...]`.
   */
  symbolic?: Dim[];
}

/** One ONNX operator application (default domain). */
export interface Node {
  op: string;
  name: string;
  /** `null` marks an omitted optional input (written as the empty name `''`). */
  inputs: (Value | null)[];
  outputs: Value[];
  attrs: Record<string, Attr>;
  /** `'stopGradient'` marks an Identity that autodiff must not differentiate through. */
  tag?: 'stopGradient';
  /**
   * Recompute region (from {@link GraphBuilder.recompute}): with `recompute`, grad() computes this
   * node's outputs again in the backward pass instead of keeping the forward's. In memory only:
   * not serialised (a graph is differentiated where it is built).
   */
  recompute?: number;
}

/** A weight stored with the graph. */
export interface Initializer {
  value: Value;
  data: TensorData;
}

/** A finished graph (the output of {@link GraphBuilder.build}). */
export interface Graph {
  name: string;
  inputs: Value[];
  initializers: Initializer[];
  /** Topologically ordered. */
  nodes: Node[];
  /** Graph outputs; each value's `name` is the output name. */
  outputs: Value[];
}

/** Bytes per element of each dtype. */
export const DTYPE_BYTES: Record<DType, number> = {
  float32: 4,
  float64: 8,
  float16: 2,
  int64: 8,
  int32: 4,
  bool: 1,
};

export const isFloat = (dtype: DType): boolean => dtype === 'float32' || dtype === 'float64' || dtype === 'float16';

/** Number of elements of a static shape. */
export const numel = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1);

/** True when every dimension is a number. */
export const isStatic = (shape: readonly Dim[]): shape is number[] => shape.every((d) => typeof d === 'number');

/** Allocates zero-filled storage for `n` elements of `dtype`. */
export function allocate(dtype: DType, n: number): TypedArray {
  switch (dtype) {
    case 'float32':
      return new Float32Array(n);
    case 'float64':
      return new Float64Array(n);
    case 'float16':
      return new Uint16Array(n);
    case 'int64':
      return new BigInt64Array(n);
    case 'int32':
      return new Int32Array(n);
    case 'bool':
      return new Uint8Array(n);
  }
}

/** Builds a tensor from plain numbers (int64 via BigInt, bool as 0/1, float16 rounded to half). */
export function tensorFrom(dtype: DType, values: readonly number[], dims: number[]): TensorData {
  if (numel(dims) !== values.length) throw new Error(`tensorFrom: ${values.length} values do not fill dims [${dims}]`);
  const data = allocate(dtype, values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (data instanceof BigInt64Array) data[i] = BigInt(Math.trunc(v));
    else if (dtype === 'float16') data[i] = toHalf(v);
    else if (dtype === 'bool') data[i] = v ? 1 : 0;
    else data[i] = v;
  }
  return { dtype, dims, data };
}

/** Reads a tensor's elements as plain numbers (int64 beyond 2^53 loses precision). */
export function tensorValues(t: TensorData): number[] {
  const out: number[] = new Array(t.data.length);
  for (let i = 0; i < t.data.length; i++) {
    const v = t.data[i] as number | bigint;
    out[i] = t.dtype === 'float16' ? fromHalf(v as number) : Number(v);
  }
  return out;
}

/** IEEE-754 half bits from a number (round to nearest even on the mantissa). */
export function toHalf(x: number): number {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer)[0] as number;
  const sign = (u >>> 16) & 0x8000;
  const exp = ((u >>> 23) & 0xff) - 127 + 15;
  const mant = u & 0x7fffff;
  if (((u >>> 23) & 0xff) === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  if (exp >= 0x1f) return sign | 0x7c00;
  if (exp <= 0) {
    if (exp < -10) return sign;
    const m = (mant | 0x800000) >> (1 - exp);
    return sign | ((m + 0x1000) >> 13);
  }
  const half = sign | (exp << 10) | (mant >> 13);
  return half + (mant & 0x1000 && mant & 0x2fff ? 1 : 0);
}

/** A number from IEEE-754 half bits. */
export function fromHalf(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}
