// Shared test helpers for the ONNX layer: a seeded RNG, running graphs in onnxruntime-node, and a
// finite-difference gradient check (the independent reference for every gradient rule).
import type * as ort from 'onnxruntime-node';
import assert from 'node:assert/strict';
import {
  type DType,
  type Dim,
  type Graph,
  type TensorData,
  type Value,
  GraphBuilder,
  UNKNOWN_DIM_PREFIX,
  allocate,
  createSession,
  grad,
  toOrtTensor,
} from '../../src/onnx/index.js';

/** mulberry32: small, seeded, deterministic. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
/** Standard normal samples (Box-Muller). */
export function normal(rand: () => number, n: number): number[] {
  return Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand()));
}

export function tensor(dtype: DType, values: readonly number[], dims: number[]): TensorData {
  const data = allocate(dtype, values.length);
  values.forEach((v, i) => {
    if (data instanceof BigInt64Array) data[i] = BigInt(v);
    else data[i] = v;
  });
  return { dtype, dims, data };
}

export type Feeds = Record<string, TensorData>;

/** Runs a session and returns every output as plain numbers. */
export async function runSession(
  session: ort.InferenceSession,
  feeds: Feeds,
): Promise<Record<string, { dims: number[]; values: number[] }>> {
  const ortFeeds: Record<string, ort.Tensor> = {};
  for (const [k, t] of Object.entries(feeds)) ortFeeds[k] = toOrtTensor(t);
  const res = await session.run(ortFeeds);
  const out: Record<string, { dims: number[]; values: number[] }> = {};
  for (const [k, t] of Object.entries(res))
    out[k] = { dims: [...t.dims], values: Array.from(t.data as ArrayLike<number | bigint>, Number) };
  return out;
}

/** Inputs of a gradient-check row. `declared` is the graph's (possibly symbolic) shape. */
export interface InputSpec {
  shape: number[];
  declared?: Dim[];
  dtype?: DType;
  /** Explicit values; otherwise drawn from `gen`. */
  values?: number[];
  /** normal (default), positive in [0.5, 2], distinct: a shuffled grid with gaps of 0.1 (for max/min/relu/abs kinks). */
  gen?: 'normal' | 'positive' | 'distinct';
}
export interface GradRow {
  op: string;
  case: string;
  inputs: Record<string, InputSpec>;
  /** Inputs to differentiate (default: every floating-point input). */
  wrt?: string[];
  f: (g: GraphBuilder, x: Record<string, Value>) => Value;
  /** Norm-wise relative error bound (default 1e-6). */
  tol?: number;
  /** Why this row deviates from the float64 / 1e-6 default, when it does. */
  reason?: string;
  /** Check at most this many (evenly spaced) elements of each wrt input (big inputs). */
  maxEntries?: number;
}

function makeValues(spec: InputSpec, rand: () => number): number[] {
  const n = spec.shape.reduce((a, b) => a * b, 1);
  if (spec.values) return spec.values;
  if (spec.gen === 'positive') return Array.from({ length: n }, () => 0.5 + 1.5 * rand());
  if (spec.gen === 'distinct') {
    const grid = Array.from({ length: n }, (_, i) => (i - n / 2 + 0.5) * 0.1 + 0.02 * rand());
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [grid[i], grid[j]] = [grid[j] as number, grid[i] as number];
    }
    return grid;
  }
  return normal(rand, n);
}

/** The row's loss graph: sum(f(x) * r) with a fixed random r, so every output element matters differently. */
function lossGraph(row: GradRow, staticShapes: boolean, r?: TensorData): { graph: Graph; outShape: Dim[]; outDtype: DType } {
  const g = new GraphBuilder(`${row.op}_${row.case}`.replace(/[^A-Za-z0-9_]/g, '_'));
  const xs: Record<string, Value> = {};
  for (const [name, spec] of Object.entries(row.inputs))
    xs[name] = g.input(name, spec.dtype ?? 'float64', staticShapes ? spec.shape : (spec.declared ?? spec.shape));
  const out = row.f(g, xs);
  const weighted = r ? g.mul(out, g.constant(r)) : out;
  g.output(g.reduceSum(weighted, { keepdims: false }), 'loss');
  return { graph: g.build(), outShape: out.shape, outDtype: out.dtype };
}

export interface GradCheckResult {
  /** Norm-wise relative error per wrt input: max|analytic - numeric| / max(max|numeric|, 1e-6). */
  errors: Record<string, number>;
  gradGraph: Graph;
  feeds: Feeds;
}

/**
 * Central finite differences of the float loss against the analytic gradients of grad(), the
 * latter run with ONNX Runtime's graph optimisations both disabled and enabled.
 */
export async function gradCheck(row: GradRow, seed = 1): Promise<GradCheckResult> {
  const rand = rng(seed);
  const feeds: Feeds = {};
  for (const [name, spec] of Object.entries(row.inputs)) feeds[name] = tensor(spec.dtype ?? 'float64', makeValues(spec, rand), spec.shape);
  const probe = lossGraph(row, true);
  const outShape = probe.outShape as number[];
  const outDtype = probe.outDtype;
  const r = tensor(
    outDtype,
    normal(
      rand,
      outShape.reduce((a, b) => a * b, 1),
    ),
    outShape,
  );
  const { graph } = lossGraph(row, false, r);
  const wrt =
    row.wrt ??
    Object.entries(row.inputs)
      .filter(([, s]) => (s.dtype ?? 'float64').startsWith('float'))
      .map(([n]) => n);
  const gradGraph = grad(graph, 'loss', wrt);

  const forward = await createSession(graph, { graphOptimizationLevel: 'disabled', intraOpNumThreads: 1 });
  const lossAt = async (f: Feeds): Promise<number> => (await runSession(forward, f)).loss?.values[0] as number;
  const analytic = await Promise.all(
    (['disabled', 'all'] as const).map(async (level) =>
      runSession(await createSession(gradGraph, { graphOptimizationLevel: level, intraOpNumThreads: 1 }), feeds),
    ),
  );
  const errors: Record<string, number> = {};
  for (const name of wrt) {
    const base = feeds[name] as TensorData;
    const h = base.dtype === 'float64' ? 1e-5 : 1e-2;
    const step = Math.max(1, Math.floor(base.data.length / (row.maxEntries ?? Infinity)));
    const checked: number[] = [];
    // Evenly spaced, shifted by one more element each time so a matrix's columns are all visited.
    for (let k = 0; k * step < base.data.length; k++) checked.push(k * step + (k % step));
    const numeric: number[] = [];
    for (const i of checked) {
      const plus = { ...base, data: base.data.slice() } as TensorData;
      const minus = { ...base, data: base.data.slice() } as TensorData;
      (plus.data as Float64Array)[i] = (base.data[i] as number) + h;
      (minus.data as Float64Array)[i] = (base.data[i] as number) - h;
      const hp = (plus.data[i] as number) - (base.data[i] as number);
      const hm = (base.data[i] as number) - (minus.data[i] as number);
      numeric.push(((await lossAt({ ...feeds, [name]: plus })) - (await lossAt({ ...feeds, [name]: minus }))) / (hp + hm));
    }
    const scale = Math.max(1e-6, ...numeric.map(Math.abs));
    let worst = 0;
    for (const res of analytic) {
      const got = res[`grad.${name}`];
      if (!got || got.values.length !== base.data.length)
        throw new Error(`grad.${name}: got ${got?.values.length} values, expected ${base.data.length}`);
      numeric.forEach((n, k) => (worst = Math.max(worst, Math.abs((got.values[checked[k] as number] as number) - n) / scale)));
    }
    errors[name] = worst;
  }
  return { errors, gradGraph, feeds };
}

/**
 * Runs `graph` with every node output exposed and checks each inferred shape against the real
 * one: numbers must match, and each symbolic name must stand for one size throughout.
 */
export async function checkInferredShapes(graph: Graph, feeds: Feeds): Promise<number> {
  const g = GraphBuilder.extend(graph);
  const probes = new Map<string, { shape: Value['shape'] }>();
  graph.nodes.forEach((n, i) =>
    n.outputs.forEach((v, j) => probes.set(g.output(g.value(v.name), `probe.${i}.${j}`).name, { shape: [...v.shape] })),
  );
  const out = await runSession(await createSession(g.build(), { graphOptimizationLevel: 'disabled' }), feeds);
  const binding = new Map<string, number>();
  for (const [name, { shape }] of probes) {
    const dims = out[name]?.dims as number[];
    assert.equal(dims.length, shape.length, `${name}: rank`);
    shape.forEach((d, i) => {
      const real = dims[i] as number;
      if (typeof d === 'number') assert.equal(real, d, `${name}: dim ${i} inferred ${d}, actual ${real}`);
      else if (!d.startsWith(UNKNOWN_DIM_PREFIX)) {
        if (!binding.has(d)) binding.set(d, real);
        assert.equal(real, binding.get(d), `${name}: '${d}' is ${real} here but ${binding.get(d)} elsewhere`);
      }
    });
  }
  return probes.size;
}
