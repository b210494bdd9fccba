/**
 * The small building blocks of the transformer graphs, composed from primitive ONNX ops so that
 * autodiff needs no rule of its own for them. Activations flow as rows: `[N, width]` with
 * N = batch * sequence, so every projection is one Gemm (which takes the checkpoint's
 * `[out, in]` weight as it is via `transB`, and adds the bias in the same kernel).
 */
import type { GraphBuilder, Value } from '../../onnx/index.js';
import type { FloatTensor } from '../safetensors.js';
import type { GraphParams } from './params.js';

/**
 * How a checkpoint stores a projection's weight: `out_in` for `nn.Linear` (Llama family, lm_head),
 * `in_out` for GPT-2's `Conv1D`.
 */
export type WeightLayout = 'out_in' | 'in_out';

/** `x @ W^T + b` (out_in) or `x @ W + b` (in_out) for rows `x` [N, in]; returns [N, out]. */
export function linear(g: GraphBuilder, x: Value, weight: Value, bias: Value | null, layout: WeightLayout): Value {
  return g.gemm(x, weight, bias, { transB: layout === 'out_in' });
}

/** One projection of {@link projections}: checkpoint names of its weight and optional bias. */
export interface ProjectionSpec {
  weight: string;
  bias: string | null;
}

/**
 * Several projections of the same rows (q/k/v, gate/up) as one: when all their weights are stored
 * in the graph they are concatenated at build time, so the runtime does one larger matrix product
 * instead of several small ones (fewer kernel launches per decode step). Returns the fused rows
 * [N, sum of outs], or null when a weight is a graph input: concatenating inputs would copy every
 * weight on every run (and measured no faster in training graphs), so those keep separate products.
 */
export function fusedProjection(
  g: GraphBuilder,
  params: GraphParams,
  x: Value,
  specs: readonly ProjectionSpec[],
  layout: WeightLayout,
  fusedName: string,
): Value | null {
  const constant = specs.every((s) => params.isConstant(s.weight) && (s.bias === null || params.isConstant(s.bias)));
  if (!constant) return null;
  const tensors = specs.map((s) => params.tensor(s.weight));
  const outSizes = tensors.map((t) => (layout === 'out_in' ? t.dims[0] : t.dims[1]) as number);
  const weight = params.derived(`${fusedName}.weight`, () => concatOut(tensors, layout));
  const bias = !specs.some((s) => s.bias !== null)
    ? null
    : params.derived(`${fusedName}.bias`, () => {
        const data = new Float32Array(outSizes.reduce((a, b) => a + b, 0));
        let offset = 0;
        specs.forEach((s, i) => {
          if (s.bias !== null) data.set(params.tensor(s.bias).data, offset);
          offset += outSizes[i] as number;
        });
        return { data, dims: [data.length] };
      });
  return linear(g, x, weight, bias, layout);
}

/** The projections of {@link fusedProjection}, one value each (split from the fused product when possible). */
export function projections(
  g: GraphBuilder,
  params: GraphParams,
  x: Value,
  specs: readonly ProjectionSpec[],
  layout: WeightLayout,
  fusedName: string,
): Value[] {
  const fused = specs.length > 1 ? fusedProjection(g, params, x, specs, layout, fusedName) : null;
  if (!fused) return specs.map((s) => linear(g, x, params.get(s.weight), s.bias === null ? null : params.get(s.bias), layout));
  const outSizes = specs.map((s) => params.tensor(s.weight).dims[layout === 'out_in' ? 0 : 1] as number);
  return g.split(fused, { axis: 1, split: outSizes });
}

/** Concatenates weights along their output axis. */
function concatOut(tensors: readonly FloatTensor[], layout: WeightLayout): FloatTensor {
  const inSize = (layout === 'out_in' ? tensors[0]?.dims[1] : tensors[0]?.dims[0]) as number;
  const outSizes = tensors.map((t) => (layout === 'out_in' ? t.dims[0] : t.dims[1]) as number);
  const total = outSizes.reduce((a, b) => a + b, 0);
  const data = new Float32Array(inSize * total);
  if (layout === 'out_in') {
    // [out, in] row-major: output rows follow each other.
    let offset = 0;
    for (const t of tensors) {
      data.set(t.data, offset);
      offset += t.data.length;
    }
    return { data, dims: [total, inSize] };
  }
  // [in, out]: each input row holds the pieces' output columns side by side.
  for (let r = 0; r < inSize; r++) {
    let col = 0;
    tensors.forEach((t, i) => {
      const w = outSizes[i] as number;
      data.set(t.data.subarray(r * w, (r + 1) * w), r * total + col);
      col += w;
    });
  }
  return { data, dims: [inSize, total] };
}

/**
 * RMSNorm over the last axis: `x / sqrt(mean(x^2) + eps) * w` (Llama's and Qwen's norm, computed
 * in float32 as transformers does). Written as Pow(2) -> ReduceMean -> Add -> Sqrt -> Div -> Mul,
 * the pattern ONNX Runtime fuses into one SimplifiedLayerNormalization kernel for inference.
 */
export function rmsNorm(g: GraphBuilder, x: Value, weight: Value, eps: number): Value {
  // A recompute region: its [N, H] intermediates are recomputed in the backward pass rather than kept.
  return g.recompute(() => {
    const meanSquare = g.reduceMean(g.pow(x, 2), { axes: [-1], keepdims: true });
    return g.mul(g.div(x, g.sqrt(g.add(meanSquare, eps))), weight);
  });
}

/**
 * LayerNorm over the last axis: `(x - mean) / sqrt(var + eps) * w + b`, the biased variance as
 * torch computes it (ONNX Runtime fuses this pattern into LayerNormalization).
 */
export function layerNorm(g: GraphBuilder, x: Value, weight: Value, bias: Value, eps: number): Value {
  // A recompute region, as rmsNorm.
  return g.recompute(() => {
    const centered = g.sub(x, g.reduceMean(x, { axes: [-1], keepdims: true }));
    const variance = g.reduceMean(g.pow(centered, 2), { axes: [-1], keepdims: true });
    return g.add(g.mul(g.div(centered, g.sqrt(g.add(variance, eps))), weight), bias);
  });
}

/** The MLP activations of the supported architectures. */
export function activate(g: GraphBuilder, x: Value, kind: 'silu' | 'gelu_tanh' | 'gelu'): Value {
  switch (kind) {
    case 'silu':
      return g.silu(x);
    case 'gelu_tanh':
      return g.geluTanh(x);
    case 'gelu':
      // exact GELU: x * (1 + erf(x / sqrt(2))) / 2
      return g.mul(g.mul(x, 0.5), g.add(g.erf(g.mul(x, Math.SQRT1_2)), 1));
  }
}

/** Rows [N, H] of an embedding table [V, H] at `ids` [B, S]. */
export function embedRows(g: GraphBuilder, table: Value, ids: Value, hiddenSize: number): Value {
  return g.reshape(g.gather(table, ids), [-1, hiddenSize]); // [N, H]
}
