/**
 * Output dtype and symbolic shape of every op the builder emits, one rule per op.
 *
 * Symbolic sizes stay names where a rule can say what they are (`'seq'` through an Add,
 * `'past+1'` through a Concat, `'seq-1'` through `x[:, :-1]`); the rule only needs "same name,
 * same runtime size", which holds because each name is a deterministic function of its inputs'
 * sizes. Where nothing can be said, the rule invents a fresh anonymous name.
 */
import { type Attr, type Dim, type DType, type Value, isStatic, numel } from './ir.js';

export interface ValueInfo {
  dtype: DType;
  shape: Dim[];
}
export interface ShapeContext {
  op: string;
  inputs: readonly (Value | null)[];
  attrs: Record<string, Attr>;
  numOutputs: number;
  fresh: () => string;
}
export type ShapeRule = (ctx: ShapeContext) => ValueInfo[];

/** `INT64_MAX`-like ends (`x[2:]`) are at least this large. */
const TO_END = 2 ** 31 - 1;

export function attrInt(attrs: Record<string, Attr>, name: string, fallback: number): number {
  const a = attrs[name];
  return a && a.type === 'int' ? a.value : fallback;
}
export function attrInts(attrs: Record<string, Attr>, name: string): number[] | undefined {
  const a = attrs[name];
  return a && a.type === 'ints' ? a.value : undefined;
}
/** Known integer contents of a value (constants), else undefined. */
export function intsOf(v: Value | null | undefined): number[] | undefined {
  if (!v) return undefined;
  if (v.symbolic && v.symbolic.every((d) => typeof d === 'number')) return v.symbolic as number[];
  if (v.constant && (v.dtype === 'int64' || v.dtype === 'int32')) return Array.from(v.constant.data as ArrayLike<number | bigint>, Number);
  return undefined;
}
/** Symbolic contents of a size-carrying int64 value (constants included), else undefined. */
export function dimsOf(v: Value | null | undefined): Dim[] | undefined {
  return v?.symbolic ?? intsOf(v);
}
export const normAxis = (axis: number, rank: number): number => {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= Math.max(rank, 1)) throw new Error(`axis ${axis} out of range for rank ${rank}`);
  return a;
};

/** numpy broadcasting of symbolic shapes. */
export function broadcastShapes(shapes: readonly (readonly Dim[])[], fresh: () => string, op = 'broadcast'): Dim[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    const dims = shapes.map((s) => s[s.length - rank + i]).filter((d): d is Dim => d !== undefined && d !== 1);
    const nums = [...new Set(dims.filter((d) => typeof d === 'number'))];
    const syms = [...new Set(dims.filter((d) => typeof d === 'string'))];
    if (nums.length > 1) throw new Error(`${op}: cannot broadcast shapes ${shapes.map((s) => `[${s.join(', ')}]`).join(' and ')}`);
    out.push(nums.length === 1 ? (nums[0] as number) : syms.length === 0 ? 1 : syms.length === 1 ? (syms[0] as string) : fresh());
  }
  return out;
}

function input(ctx: ShapeContext, i: number): Value {
  const v = ctx.inputs[i];
  if (!v) throw new Error(`${ctx.op}: missing input ${i}`);
  return v;
}
const same = (ctx: ShapeContext): ValueInfo[] => [{ dtype: input(ctx, 0).dtype, shape: [...input(ctx, 0).shape] }];

function sameDtypes(ctx: ShapeContext, values: Value[]): DType {
  const d = (values[0] as Value).dtype;
  for (const v of values) {
    if (v.dtype !== d) throw new Error(`${ctx.op}: operand dtypes differ (${values.map((x) => `${x.name}: ${x.dtype}`).join(', ')})`);
  }
  return d;
}
function elementwise(outDtype?: DType): ShapeRule {
  return (ctx) => {
    const vs = ctx.inputs.filter((v): v is Value => v !== null);
    const dtype = sameDtypes(ctx, vs);
    return [
      {
        dtype: outDtype ?? dtype,
        shape: broadcastShapes(
          vs.map((v) => v.shape),
          ctx.fresh,
          ctx.op,
        ),
      },
    ];
  };
}

function dimAdd(a: Dim, b: Dim): Dim {
  if (typeof a === 'number' && typeof b === 'number') return a + b;
  if (a === 0) return b;
  if (b === 0) return a;
  return `${a}+${b}`;
}

function reduce(ctx: ShapeContext): ValueInfo[] {
  const x = input(ctx, 0);
  const keep = attrInt(ctx.attrs, 'keepdims', 1) === 1;
  const rank = x.shape.length;
  const axesInput = ctx.inputs[1];
  let axes = attrInts(ctx.attrs, 'axes') ?? intsOf(axesInput);
  const dtype = ctx.op === 'ArgMax' || ctx.op === 'ArgMin' ? 'int64' : x.dtype;
  if (ctx.op === 'ArgMax' || ctx.op === 'ArgMin') axes = [attrInt(ctx.attrs, 'axis', 0)];
  if (axes === undefined && axesInput) {
    if (!keep) throw new Error(`${ctx.op}: runtime axes with keepdims=0 give an unknown rank`);
    return [{ dtype, shape: x.shape.map((d) => (d === 1 ? 1 : ctx.fresh())) }];
  }
  if (axes === undefined || axes.length === 0) {
    axes = attrInt(ctx.attrs, 'noop_with_empty_axes', 0) ? [] : x.shape.map((_, i) => i);
  }
  const set = new Set(axes.map((a) => normAxis(a, rank)));
  const shape: Dim[] = [];
  x.shape.forEach((d, i) => {
    if (!set.has(i)) shape.push(d);
    else if (keep) shape.push(1);
  });
  return [{ dtype, shape }];
}

function matmul(ctx: ShapeContext): ValueInfo[] {
  const a = input(ctx, 0);
  const b = input(ctx, 1);
  const dtype = sameDtypes(ctx, [a, b]);
  const as = a.shape.length === 1 ? [1, a.shape[0] as Dim] : a.shape;
  const bs = b.shape.length === 1 ? [b.shape[0] as Dim, 1] : b.shape;
  const [ka, kb] = [as[as.length - 1], bs[bs.length - 2]];
  if (typeof ka === 'number' && typeof kb === 'number' && ka !== kb)
    throw new Error(`MatMul: inner sizes differ ([${a.shape}] @ [${b.shape}])`);
  const batch = broadcastShapes([as.slice(0, -2), bs.slice(0, -2)], ctx.fresh, ctx.op);
  const shape: Dim[] = [...batch];
  if (a.shape.length > 1) shape.push(as[as.length - 2] as Dim);
  if (b.shape.length > 1) shape.push(bs[bs.length - 1] as Dim);
  return [{ dtype, shape }];
}

function sliceDim(d: Dim, start: number, end: number, step: number, fresh: () => string): Dim {
  if (typeof d === 'number') {
    const clampIdx = (i: number, lo: number, hi: number): number => Math.min(Math.max(i < 0 ? i + d : i, lo), hi);
    const s = step > 0 ? clampIdx(start, 0, d) : clampIdx(start, -1, d - 1);
    const e = step > 0 ? clampIdx(end, 0, d) : clampIdx(end, -1, d - 1);
    return Math.max(0, Math.ceil((e - s) / step));
  }
  if (step !== 1 || start < 0) return fresh();
  if (end >= TO_END) return start === 0 ? d : `${d}-${start}`;
  if (end < 0) return `${d}-${start - end}`;
  return fresh();
}

function slice(ctx: ShapeContext): ValueInfo[] {
  const x = input(ctx, 0);
  const starts = intsOf(ctx.inputs[1]);
  const ends = intsOf(ctx.inputs[2]);
  const n = (input(ctx, 1).shape[0] ?? 1) as Dim;
  const axes = ctx.inputs[3] ? intsOf(ctx.inputs[3]) : typeof n === 'number' ? [...Array(n).keys()] : undefined;
  const steps = ctx.inputs[4] ? intsOf(ctx.inputs[4]) : axes?.map(() => 1);
  if (!axes) return [{ dtype: x.dtype, shape: x.shape.map(() => ctx.fresh()) }];
  const shape = [...x.shape];
  axes.forEach((a, i) => {
    const ax = normAxis(a, x.shape.length);
    const s = starts?.[i];
    const e = ends?.[i];
    const st = steps?.[i];
    shape[ax] = s === undefined || e === undefined || st === undefined ? ctx.fresh() : sliceDim(x.shape[ax] as Dim, s, e, st, ctx.fresh);
  });
  return [{ dtype: x.dtype, shape }];
}

/** Output shape of Reshape, cancelling symbolic factors where it can. */
function reshapeDims(inShape: readonly Dim[], target: readonly Dim[] | undefined, targetLen: Dim, fresh: () => string): Dim[] {
  if (!target) {
    if (typeof targetLen !== 'number') throw new Error('Reshape: the target shape has unknown length');
    return Array.from({ length: targetLen }, () => fresh());
  }
  const out = target.map((d, i) => (d === 0 ? (inShape[i] as Dim) : d));
  const hole = out.indexOf(-1);
  if (hole < 0) return out;
  const rest = [...inShape];
  let known = 1;
  for (const d of out) {
    if (d === -1) continue;
    const j = rest.indexOf(d);
    if (j >= 0) rest.splice(j, 1);
    else if (typeof d === 'number') known *= d;
    else return out.map((x) => (x === -1 ? fresh() : x));
  }
  const nums = rest.filter((d): d is number => typeof d === 'number');
  const syms = rest.filter((d) => typeof d === 'string');
  const p = numel(nums);
  if (syms.length === 0) out[hole] = p / known;
  else if (p === known)
    out[hole] = syms.join('*'); // e.g. [batch, seq, 64] -> [-1, 64] gives 'batch*seq'
  else out[hole] = fresh();
  return out;
}

function expandShape(ctx: ShapeContext): ValueInfo[] {
  const x = input(ctx, 0);
  const dims = dimsOf(ctx.inputs[1]);
  const len = input(ctx, 1).shape[0];
  if (typeof len !== 'number') throw new Error('Expand: the target shape has unknown length');
  const target: Dim[] = dims ?? Array.from({ length: len }, () => ctx.fresh());
  // An unknown target size broadcast against a known non-1 input size is that size.
  return [{ dtype: x.dtype, shape: broadcastShapes([x.shape, target], ctx.fresh, 'Expand') }];
}

const rules: Record<string, ShapeRule> = {
  Constant: (ctx) => {
    const a = ctx.attrs.value;
    if (!a || a.type !== 'tensor') throw new Error('Constant: only the tensor `value` attribute is supported');
    return [{ dtype: a.value.dtype, shape: [...a.value.dims] }];
  },
  Cast: (ctx) => [{ dtype: dtypeOfCode(attrInt(ctx.attrs, 'to', 1)), shape: [...input(ctx, 0).shape] }],
  MatMul: matmul,
  Gemm: (ctx) => {
    const a = input(ctx, 0);
    const b = input(ctx, 1);
    const m = attrInt(ctx.attrs, 'transA', 0) ? a.shape[1] : a.shape[0];
    const n = attrInt(ctx.attrs, 'transB', 0) ? b.shape[0] : b.shape[1];
    return [{ dtype: sameDtypes(ctx, [a, b]), shape: [m as Dim, n as Dim] }];
  },
  Where: (ctx) => {
    const [c, a, b] = [input(ctx, 0), input(ctx, 1), input(ctx, 2)];
    if (c.dtype !== 'bool') throw new Error(`Where: condition '${c.name}' must be bool, not ${c.dtype}`);
    return [{ dtype: sameDtypes(ctx, [a, b]), shape: broadcastShapes([c.shape, a.shape, b.shape], ctx.fresh, 'Where') }];
  },
  Clip: same,
  Pow: (ctx) => [{ dtype: input(ctx, 0).dtype, shape: broadcastShapes([input(ctx, 0).shape, input(ctx, 1).shape], ctx.fresh, 'Pow') }],
  Gather: (ctx) => {
    const x = input(ctx, 0);
    const idx = input(ctx, 1);
    const axis = normAxis(attrInt(ctx.attrs, 'axis', 0), x.shape.length);
    return [{ dtype: x.dtype, shape: [...x.shape.slice(0, axis), ...idx.shape, ...x.shape.slice(axis + 1)] }];
  },
  GatherElements: (ctx) => [{ dtype: input(ctx, 0).dtype, shape: [...input(ctx, 1).shape] }],
  Slice: slice,
  Pad: (ctx) => {
    const x = input(ctx, 0);
    const pads = intsOf(ctx.inputs[1]);
    const axes = ctx.inputs[3] ? intsOf(ctx.inputs[3])?.map((a) => normAxis(a, x.shape.length)) : x.shape.map((_, i) => i);
    if (!pads || !axes) return [{ dtype: x.dtype, shape: x.shape.map(() => ctx.fresh()) }];
    const shape = [...x.shape];
    axes.forEach((a, i) => (shape[a] = dimAdd(shape[a] as Dim, (pads[i] as number) + (pads[i + axes.length] as number))));
    return [{ dtype: x.dtype, shape }];
  },
  Concat: (ctx) => {
    const xs = ctx.inputs as Value[];
    const x0 = xs[0] as Value;
    const axis = normAxis(attrInt(ctx.attrs, 'axis', 0), x0.shape.length);
    const dtype = sameDtypes(ctx, xs);
    const shape = broadcastShapes(
      xs.map((v) => v.shape.map((d, i) => (i === axis ? 1 : d))),
      ctx.fresh,
      'Concat',
    );
    shape[axis] = xs.map((v) => v.shape[axis] as Dim).reduce((a, b) => dimAdd(a, b));
    return [{ dtype, shape }];
  },
  Split: (ctx) => {
    const x = input(ctx, 0);
    const axis = normAxis(attrInt(ctx.attrs, 'axis', 0), x.shape.length);
    const d = x.shape[axis] as Dim;
    const sizes = ctx.inputs[1] ? intsOf(ctx.inputs[1]) : undefined;
    return Array.from({ length: ctx.numOutputs }, (_, i) => {
      const shape = [...x.shape];
      if (sizes) shape[axis] = sizes[i] as number;
      else if (ctx.inputs[1]) shape[axis] = ctx.fresh();
      else if (typeof d === 'number') {
        const chunk = Math.ceil(d / ctx.numOutputs);
        shape[axis] = i < ctx.numOutputs - 1 ? chunk : d - chunk * (ctx.numOutputs - 1);
      } else shape[axis] = ctx.fresh();
      return { dtype: x.dtype, shape };
    });
  },
  Reshape: (ctx) => {
    const x = input(ctx, 0);
    return [{ dtype: x.dtype, shape: reshapeDims(x.shape, dimsOf(ctx.inputs[1]), input(ctx, 1).shape[0] as Dim, ctx.fresh) }];
  },
  Transpose: (ctx) => {
    const x = input(ctx, 0);
    const perm = attrInts(ctx.attrs, 'perm') ?? x.shape.map((_, i) => x.shape.length - 1 - i);
    return [{ dtype: x.dtype, shape: perm.map((p) => x.shape[p] as Dim) }];
  },
  Unsqueeze: (ctx) => {
    const x = input(ctx, 0);
    const axes = intsOf(ctx.inputs[1]) ?? attrInts(ctx.attrs, 'axes');
    if (!axes) throw new Error('Unsqueeze: axes must be constant');
    const rank = x.shape.length + axes.length;
    const set = new Set(axes.map((a) => normAxis(a, rank)));
    const shape: Dim[] = [];
    let j = 0;
    for (let i = 0; i < rank; i++) shape.push(set.has(i) ? 1 : (x.shape[j++] as Dim));
    return [{ dtype: x.dtype, shape }];
  },
  Squeeze: (ctx) => {
    const x = input(ctx, 0);
    const axes = ctx.inputs[1] ? intsOf(ctx.inputs[1]) : attrInts(ctx.attrs, 'axes');
    if (ctx.inputs[1] && !axes) throw new Error('Squeeze: axes must be constant');
    const set = new Set((axes ?? x.shape.flatMap((d, i) => (d === 1 ? [i] : []))).map((a) => normAxis(a, x.shape.length)));
    for (const a of set) {
      if (typeof x.shape[a] === 'number' && x.shape[a] !== 1) throw new Error(`Squeeze: axis ${a} of [${x.shape}] is not 1`);
    }
    return [{ dtype: x.dtype, shape: x.shape.filter((_, i) => !set.has(i)) }];
  },
  Expand: expandShape,
  Shape: (ctx) => {
    const r = input(ctx, 0).shape.length;
    const clampI = (i: number): number => Math.min(Math.max(i < 0 ? i + r : i, 0), r);
    return [{ dtype: 'int64', shape: [clampI(attrInt(ctx.attrs, 'end', r)) - clampI(attrInt(ctx.attrs, 'start', 0))] }];
  },
  Size: () => [{ dtype: 'int64', shape: [] }],
  NonZero: (ctx) => [{ dtype: 'int64', shape: [input(ctx, 0).shape.length, ctx.fresh()] }],
  Range: (ctx) => {
    const [s, l, d] = [0, 1, 2].map((i) => intsOf(ctx.inputs[i])?.[0] ?? constFloat(ctx.inputs[i]));
    const limit = dimsOf(ctx.inputs[1])?.[0];
    // range(0, n, 1) has n elements, also when n is a symbolic size such as 'seq'.
    const n =
      s === 0 && d === 1 && typeof limit === 'string'
        ? limit
        : s === undefined || l === undefined || d === undefined
          ? ctx.fresh()
          : Math.max(Math.ceil((l - s) / d), 0);
    return [{ dtype: input(ctx, 0).dtype, shape: [n] }];
  },
  ConstantOfShape: (ctx) => {
    const a = ctx.attrs.value;
    const dims = dimsOf(ctx.inputs[0]);
    const len = input(ctx, 0).shape[0];
    const shape = dims ?? Array.from({ length: typeof len === 'number' ? len : 0 }, () => ctx.fresh());
    if (!dims && typeof len !== 'number') throw new Error('ConstantOfShape: the shape has unknown length');
    return [{ dtype: a && a.type === 'tensor' ? a.value.dtype : 'float32', shape }];
  },
  ScatterND: same,
  ScatterElements: same,
  Trilu: same,
  CumSum: same,
  TopK: (ctx) => {
    const x = input(ctx, 0);
    const axis = normAxis(attrInt(ctx.attrs, 'axis', -1), x.shape.length);
    const shape = [...x.shape];
    shape[axis] = intsOf(ctx.inputs[1])?.[0] ?? ctx.fresh();
    return [
      { dtype: x.dtype, shape },
      { dtype: 'int64', shape: [...shape] },
    ];
  },
};
for (const op of ['ReduceSum', 'ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL2', 'ReduceLogSumExp', 'ArgMax', 'ArgMin'])
  rules[op] = reduce;
for (const op of ['Add', 'Sub', 'Mul', 'Div', 'Max', 'Min', 'Mod']) rules[op] = elementwise();
for (const op of ['Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'And', 'Or', 'Xor']) rules[op] = elementwise('bool');
for (const op of [
  'Neg',
  'Sqrt',
  'Reciprocal',
  'Exp',
  'Log',
  'Tanh',
  'Sigmoid',
  'Erf',
  'Relu',
  'Sin',
  'Cos',
  'Abs',
  'Sign',
  'Floor',
  'Ceil',
  'Round',
  'Identity',
  'Not',
  'Softmax',
  'LogSoftmax',
])
  rules[op] = same;

function constFloat(v: Value | null | undefined): number | undefined {
  return v?.constant && v.constant.data.length === 1 ? Number(v.constant.data[0]) : undefined;
}

const CODES: Record<number, DType> = { 1: 'float32', 6: 'int32', 7: 'int64', 9: 'bool', 10: 'float16', 11: 'float64' };
function dtypeOfCode(code: number): DType {
  const d = CODES[code];
  if (!d) throw new Error(`Cast: unsupported target type code ${code}`);
  return d;
}

/** Output infos of one node; throws for ops without a rule (add one to the table above). */
export function inferNode(
  op: string,
  inputs: readonly (Value | null)[],
  attrs: Record<string, Attr>,
  numOutputs: number,
  fresh: () => string,
): ValueInfo[] {
  const rule = rules[op];
  if (!rule) throw new Error(`no shape inference rule for op '${op}' (add one in src/onnx/shape-inference.ts)`);
  const infos = rule({ op, inputs, attrs, numOutputs, fresh });
  if (infos.length < numOutputs) throw new Error(`${op}: produces ${infos.length} outputs, ${numOutputs} requested`);
  return infos.slice(0, numOutputs);
}

/** Ops with a shape rule (the ops the builder and fromModelBytes understand). */
export const knownOps = (): string[] => Object.keys(rules);
export { isStatic };
