/**
 * Constant folding while building: small tensors whose inputs are all known are computed in JS
 * and emitted as Constant nodes, and 1-D int64 "size" tensors (Shape outputs and what is sliced,
 * gathered and concatenated from them) carry symbolic element values. This keeps shape
 * arithmetic (gradients reshaping back to `Shape(x)`, attention reshapes) out of the runtime
 * graph whenever shapes are static, and lets Reshape infer symbolic output shapes otherwise.
 */
import { type Attr, type Dim, type TensorData, type Value, isStatic, numel, tensorFrom, tensorValues } from './ir.js';
import { type ValueInfo, attrInt, attrInts, dimsOf, normAxis } from './shape-inference.js';

/** Folding gives up above this many elements (keeps big constants out of the graph). */
const MAX_FOLD_ELEMENTS = 1024;

export interface Folded {
  constant?: TensorData;
  symbolic?: Dim[];
}

const strides = (dims: readonly number[]): number[] => {
  const s = new Array<number>(dims.length).fill(1);
  for (let i = dims.length - 2; i >= 0; i--) s[i] = (s[i + 1] as number) * (dims[i + 1] as number);
  return s;
};
const unravel = (flat: number, dims: readonly number[]): number[] => {
  const st = strides(dims);
  return dims.map((_, i) => Math.floor(flat / (st[i] as number)) % (dims[i] as number));
};

/** Reads element `idx` (in the broadcast output's coordinates) of a broadcast operand. */
function broadcastRead(values: number[], dims: number[], outIdx: number[]): number {
  const off = outIdx.length - dims.length;
  const st = strides(dims);
  let flat = 0;
  dims.forEach((d, i) => (flat += (d === 1 ? 0 : (outIdx[i + off] as number)) * (st[i] as number)));
  return values[flat] as number;
}

type Scalar = (...xs: number[]) => number;
const ELEMENTWISE: Record<string, Scalar> = {
  Add: (a, b) => a + b,
  Sub: (a, b) => a - b,
  Mul: (a, b) => a * b,
  Div: (a, b) => a / b,
  Pow: (a, b) => a ** b,
  Max: (a, b) => Math.max(a, b),
  Min: (a, b) => Math.min(a, b),
  Neg: (a) => -a,
  Abs: (a) => Math.abs(a),
  Sqrt: (a) => Math.sqrt(a),
  Reciprocal: (a) => 1 / a,
  Exp: (a) => Math.exp(a),
  Log: (a) => Math.log(a),
  Equal: (a, b) => Number(a === b),
  Less: (a, b) => Number(a < b),
  Greater: (a, b) => Number(a > b),
  LessOrEqual: (a, b) => Number(a <= b),
  GreaterOrEqual: (a, b) => Number(a >= b),
  And: (a, b) => Number(a && b),
  Or: (a, b) => Number(a || b),
  Not: (a) => Number(!a),
  Where: (c, a, b) => (c ? a : b),
  Identity: (a) => a,
  Cast: (a) => a,
};

interface Known {
  dims: number[];
  values: number[];
}
function known(v: Value | null): Known | undefined {
  if (!v || !isStatic(v.shape)) return undefined;
  if (v.constant) return { dims: v.constant.dims, values: tensorValues(v.constant) };
  if (v.symbolic && v.symbolic.every((d) => typeof d === 'number')) return { dims: v.shape, values: v.symbolic as number[] };
  return undefined;
}

/** Evaluates a node whose inputs are all known; undefined when the op is not foldable. */
function evaluate(op: string, ins: (Known | undefined)[], attrs: Record<string, Attr>, out: ValueInfo): number[] | undefined {
  const outDims = out.shape as number[];
  const n = numel(outDims);
  const fn = ELEMENTWISE[op];
  if (fn) {
    const isInt = out.dtype === 'int64' || out.dtype === 'int32';
    return Array.from({ length: n }, (_, i) => {
      const idx = unravel(i, outDims);
      const r = fn(...ins.map((k) => broadcastRead((k as Known).values, (k as Known).dims, idx)));
      if (op === 'Cast' && out.dtype === 'bool') return Number(r !== 0);
      return isInt ? Math.trunc(r) : r;
    });
  }
  const x = ins[0] as Known;
  switch (op) {
    case 'Reshape':
    case 'Unsqueeze':
    case 'Squeeze':
    case 'Expand':
      return op === 'Expand' ? Array.from({ length: n }, (_, i) => broadcastRead(x.values, x.dims, unravel(i, outDims))) : x.values;
    case 'Concat': {
      const axis = normAxis(attrInt(attrs, 'axis', 0), outDims.length);
      const res: number[] = [];
      const outer = numel(outDims.slice(0, axis));
      for (let o = 0; o < outer; o++) {
        for (const k of ins as Known[]) {
          const inner = numel(k.dims.slice(axis));
          res.push(...k.values.slice(o * inner, (o + 1) * inner));
        }
      }
      return res;
    }
    case 'Gather': {
      const axis = normAxis(attrInt(attrs, 'axis', 0), x.dims.length);
      const idx = ins[1] as Known;
      const st = strides(x.dims);
      return Array.from({ length: n }, (_, i) => {
        const o = unravel(i, outDims);
        const q = idx.dims.length;
        const j = idx.values[numel(idx.dims) === 1 && q === 0 ? 0 : flatOf(o.slice(axis, axis + q), idx.dims)] as number;
        const src = [...o.slice(0, axis), j < 0 ? j + (x.dims[axis] as number) : j, ...o.slice(axis + q)];
        return x.values[src.reduce((acc, c, d) => acc + c * (st[d] as number), 0)] as number;
      });
    }
    case 'Slice': {
      if (x.dims.length !== 1) return undefined;
      const [s, e] = [(ins[1] as Known).values[0] as number, (ins[2] as Known).values[0] as number];
      const step = ins[4] ? ((ins[4] as Known).values[0] as number) : 1;
      const d = x.dims[0] as number;
      const clamp = (i: number): number => Math.min(Math.max(i < 0 ? i + d : i, step > 0 ? 0 : -1), step > 0 ? d : d - 1);
      const res: number[] = [];
      for (let i = clamp(s); step > 0 ? i < clamp(e) : i > clamp(e); i += step) res.push(x.values[i] as number);
      return res;
    }
    case 'ReduceProd':
    case 'ReduceSum':
      if (n !== 1) return undefined;
      return [x.values.reduce((a, b) => (op === 'ReduceSum' ? a + b : a * b), op === 'ReduceSum' ? 0 : 1)];
    case 'Range': {
      const [s, , d] = ins.map((k) => (k as Known).values[0] as number) as [number, number, number];
      return Array.from({ length: n }, (_, i) => s + i * d);
    }
    case 'ConstantOfShape': {
      const a = attrs.value;
      const v = a && a.type === 'tensor' ? (tensorValues(a.value)[0] as number) : 0;
      return new Array<number>(n).fill(v);
    }
    default:
      return undefined;
  }
}
const flatOf = (idx: number[], dims: number[]): number => idx.reduce((acc, c, d) => acc + c * (strides(dims)[d] as number), 0);

/** Symbolic element values of a 0-D/1-D int64 result, from symbolic inputs. */
function symbolic(op: string, inputs: readonly (Value | null)[], attrs: Record<string, Attr>): Dim[] | undefined {
  const x = inputs[0] ?? null;
  if (op === 'Shape' && x) {
    const r = x.shape.length;
    const c = (i: number): number => Math.min(Math.max(i < 0 ? i + r : i, 0), r);
    return x.shape.slice(c(attrInt(attrs, 'start', 0)), c(attrInt(attrs, 'end', r)));
  }
  const d = dimsOf(x);
  if (!d) return undefined;
  switch (op) {
    case 'Identity':
    case 'Reshape':
    case 'Unsqueeze':
    case 'Squeeze':
      return d;
    case 'Cast':
      return attrInt(attrs, 'to', 0) === 7 ? d : undefined;
    case 'Concat': {
      const all = inputs.map((v) => dimsOf(v));
      return all.every((a) => a) ? (all as Dim[][]).flat() : undefined;
    }
    case 'Gather': {
      const idx = dimsOf(inputs[1]);
      if (!idx || !idx.every((i) => typeof i === 'number') || attrInt(attrs, 'axis', 0) !== 0) return undefined;
      return (idx as number[]).map((i) => d[i < 0 ? i + d.length : i] as Dim);
    }
    case 'Slice': {
      const [s, e] = [dimsOf(inputs[1])?.[0], dimsOf(inputs[2])?.[0]];
      const st = inputs[4] ? dimsOf(inputs[4])?.[0] : 1;
      if (typeof s !== 'number' || typeof e !== 'number' || st !== 1) return undefined;
      const len = d.length;
      const c = (i: number): number => Math.min(Math.max(i < 0 ? i + len : i, 0), len);
      return d.slice(c(s), c(e));
    }
    case 'Add':
    case 'Sub': {
      const b = dimsOf(inputs[1]);
      if (!b || d.length !== 1 || b.length !== 1) return undefined;
      const [p, q] = [d[0] as Dim, b[0] as Dim];
      if (typeof q !== 'number') return undefined;
      if (q === 0) return [p];
      return op === 'Add' ? [`${p}+${q}`] : [`${p}-${q}`];
    }
    default:
      return undefined;
  }
}

/**
 * Folds one node if possible: a constant for each output, or symbolic size values.
 * Returns undefined when nothing is known.
 */
export function foldNode(
  op: string,
  inputs: readonly (Value | null)[],
  attrs: Record<string, Attr>,
  infos: ValueInfo[],
): Folded[] | undefined {
  if (infos.length !== 1 || op === 'Constant') return undefined;
  const out = infos[0] as ValueInfo;
  if (isStatic(out.shape) && numel(out.shape) <= MAX_FOLD_ELEMENTS) {
    if ((op === 'Shape' || op === 'Size') && inputs[0] && isStatic(inputs[0].shape)) {
      const s = inputs[0].shape;
      const vals = op === 'Size' ? [numel(s)] : (symbolic(op, inputs, attrs) as number[]);
      return [{ constant: tensorFrom('int64', vals, out.shape) }];
    }
    const ins = inputs.map((v) => (v ? known(v) : undefined));
    if (inputs.every((v, i) => v === null || ins[i] !== undefined) && op !== 'Split') {
      const vals = evaluate(op, ins, attrs, out);
      if (vals) return [{ constant: tensorFrom(out.dtype, vals, out.shape) }];
    }
  }
  if (out.dtype !== 'int64' || out.shape.length > 1) return undefined;
  const sym = symbolic(op, inputs, attrs);
  return sym ? [{ symbolic: sym }] : undefined;
}

export { attrInts };
