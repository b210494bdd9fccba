// A synthetic Llama-style decoder (pre-norm RMSNorm, RoPE, grouped-query causal attention, SiLU
// MLP) with a clipped policy-gradient loss, written with the builder. It stands in for the real
// model graphs (src/model/, a later issue) in the autodiff tests: the same op mix, any depth.
import { type DType, type GraphBuilder, type Value } from '../../src/onnx/index.js';

export interface TinyConfig {
  layers: number;
  hidden: number;
  heads: number;
  kvHeads: number;
  ffn: number;
  vocab: number;
}

/** Shapes of every weight, by name. */
export function weightShapes(c: TinyConfig): Record<string, number[]> {
  const hd = c.hidden / c.heads;
  const shapes: Record<string, number[]> = { embed: [c.vocab, c.hidden], norm_f: [c.hidden], lm_head: [c.hidden, c.vocab] };
  for (let l = 0; l < c.layers; l++) {
    Object.assign(shapes, {
      [`l${l}.norm1`]: [c.hidden],
      [`l${l}.wq`]: [c.hidden, c.heads * hd],
      [`l${l}.wk`]: [c.hidden, c.kvHeads * hd],
      [`l${l}.wv`]: [c.hidden, c.kvHeads * hd],
      [`l${l}.wo`]: [c.heads * hd, c.hidden],
      [`l${l}.norm2`]: [c.hidden],
      [`l${l}.wg`]: [c.hidden, c.ffn],
      [`l${l}.wu`]: [c.hidden, c.ffn],
      [`l${l}.wd`]: [c.ffn, c.hidden],
    });
  }
  return shapes;
}

const rmsNorm = (g: GraphBuilder, x: Value, w: Value): Value =>
  g.mul(g.div(x, g.sqrt(g.add(g.reduceMean(g.mul(x, x), { axes: [-1] }), 1e-6))), w);

/** HF's rotate_half form of RoPE on [B, nh, T, hd] with cos/sin [T, hd]. */
function rope(g: GraphBuilder, x: Value, cos: Value, sin: Value, hd: number): Value {
  const x1 = g.slice(x, { starts: [0], ends: [hd / 2], axes: [-1] });
  const x2 = g.slice(x, { starts: [hd / 2], ends: [hd], axes: [-1] });
  const rotated = g.concat([g.neg(x2), x1], { axis: -1 });
  return g.add(g.mul(x, cos), g.mul(rotated, sin));
}

/** [B, T, nh*hd] -> [B, nh, T, hd] */
const splitHeads = (g: GraphBuilder, x: Value, nh: number, hd: number): Value =>
  g.transpose(g.reshape(x, [0, 0, nh, hd]), { perm: [0, 2, 1, 3] });

/** The graph inputs {@link tinyTransformer} reads, declared on `g` with the training graphs' names. */
export function decoderInputs(g: GraphBuilder, dtype: DType = 'float32'): DecoderInputs {
  return {
    ids: g.input('ids', 'int64', ['batch', 'seq']),
    targets: g.input('targets', 'int64', ['batch', 'seq']),
    oldLogprobs: g.input('old', dtype, ['batch', 'seq']),
    advantages: g.input('adv', dtype, ['batch', 1]),
  };
}

export interface DecoderInputs {
  ids: Value;
  targets: Value;
  oldLogprobs: Value;
  advantages: Value;
}

/**
 * Forward graph pieces: per-token log-probabilities of `targets` and the clipped surrogate loss
 * `-mean(min(r * A, clip(r, 0.8, 1.2) * A))` with `r = exp(logprob - oldLogprob)`.
 */
export function tinyTransformer(
  g: GraphBuilder,
  c: TinyConfig,
  w: (name: string) => Value,
  io: DecoderInputs,
  dtype: DType,
): { logprobs: Value; loss: Value } {
  const hd = c.hidden / c.heads;
  const rep = c.heads / c.kvHeads;
  let h = g.gather(w('embed'), io.ids, { axis: 0 }); // [B, T, D]
  const T = g.gather(g.shape(io.ids), g.constant(1, 'int64')); // scalar
  const pos = g.cast(g.range(0, T, 1), { to: dtype }); // [T]
  const invFreq = g.constant(
    Array.from({ length: hd / 2 }, (_, i) => 10000 ** (-(2 * i) / hd)),
    dtype,
  );
  const half = g.mul(g.unsqueeze(pos, { axes: [1] }), invFreq); // [T, hd/2]
  const angles = g.concat([half, half], { axis: -1 }); // [T, hd]
  const [cos, sin] = [g.cos(angles), g.sin(angles)];
  const steps = g.range(0, T, 1);
  const future = g.greater(g.unsqueeze(steps, { axes: [0] }), g.unsqueeze(steps, { axes: [1] })); // [T, T]: key after query
  for (let l = 0; l < c.layers; l++) {
    const p = (n: string): Value => w(`l${l}.${n}`);
    const x = rmsNorm(g, h, p('norm1'));
    const q = rope(g, splitHeads(g, g.matmul(x, p('wq')), c.heads, hd), cos, sin, hd); // [B, H, T, hd]
    let k = rope(g, splitHeads(g, g.matmul(x, p('wk')), c.kvHeads, hd), cos, sin, hd); // [B, KV, T, hd]
    let v = splitHeads(g, g.matmul(x, p('wv')), c.kvHeads, hd); // [B, KV, T, hd]
    if (rep > 1) {
      // GQA: repeat each kv head `rep` times: [B, KV, 1, T, hd] -> [B, KV, rep, T, hd] -> [B, H, T, hd]
      const repeat = (t: Value): Value => {
        const target = g.concat([g.shape(t, { end: 2 }), g.constant([rep], 'int64'), g.shape(t, { start: 2 })], { axis: 0 });
        return g.reshape(g.expand(g.unsqueeze(t, { axes: [2] }), target), [0, c.heads, -1, hd]);
      };
      [k, v] = [repeat(k), repeat(v)];
    }
    const scores = g.mul(g.matmul(q, g.transpose(k, { perm: [0, 1, 3, 2] })), 1 / Math.sqrt(hd)); // [B, H, T, T]
    const probs = g.softmax(g.where(future, -1e9, scores), { axis: -1 });
    const att = g.reshape(g.transpose(g.matmul(probs, v), { perm: [0, 2, 1, 3] }), [0, 0, c.heads * hd]); // [B, T, H*hd]
    h = g.add(h, g.matmul(att, p('wo')));
    const y = rmsNorm(g, h, p('norm2'));
    h = g.add(h, g.matmul(g.mul(g.silu(g.matmul(y, p('wg'))), g.matmul(y, p('wu'))), p('wd')));
  }
  const logits = g.matmul(rmsNorm(g, h, w('norm_f')), w('lm_head')); // [B, T, V]
  const all = g.logSoftmax(logits, { axis: -1 });
  const logprobs = g.squeeze(g.gatherElements(all, g.unsqueeze(io.targets, { axes: [-1] }), { axis: -1 }), { axes: [-1] }); // [B, T]
  const ratio = g.exp(g.sub(logprobs, io.oldLogprobs));
  const surrogate = g.min(g.mul(ratio, io.advantages), g.mul(g.clip(ratio, { min: 0.8, max: 1.2 }), io.advantages));
  return { logprobs, loss: g.neg(g.reduceMean(surrogate, { keepdims: false })) };
}
