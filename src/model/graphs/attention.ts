/**
 * Causal self-attention over a key/value cache, as transformers computes it: rotary position
 * embeddings (rotate_half over concatenated halves), grouped-query attention, and an additive
 * mask that combines causality with left padding.
 *
 * Sizes: B batch, S new tokens, P cached tokens, T = P + S, nh query heads, kvh key/value heads,
 * rep = nh / kvh, hd head width.
 */
import type { GraphBuilder, Value } from '../../onnx/index.js';
import { rmsNorm } from './layers.js';

/**
 * Added to the scores of keys a query must not see. Finite (not -inf), so a query row whose keys
 * are all masked (a padding position of a left-padded prompt) gets a finite uniform softmax
 * instead of NaN; exp(-1e9 - max) is exactly 0 wherever any key is visible, so masked weights
 * are exact zeros (tiny nonzero weights would make the backward pass multiply denormals, which
 * is many times slower on CPUs).
 */
export const MASKED_SCORE = -1e9;

/** cos and sin of each position's rotation angles, shaped to broadcast over heads. */
export interface Rotary {
  /** [B, S, 1, hd]: cos of the angles, both halves */
  cos: Value;
  /** [B, S, 1, hd]: -sin for the first half, +sin for the second, so rotate_half needs no Neg */
  sinSigned: Value;
}

/** Everything the attention of every layer shares, computed once per graph. */
export interface AttentionShared {
  /**
   * Read the cache where it lies and return only the new entries as the layer's `present`,
   * instead of concatenating cache and new entries (see `cacheOutputs` of the decode graph).
   */
  appendOnly?: boolean;
  /** [B, 1, rep*S, T] additive mask: 0 where a query may attend, {@link MASKED_SCORE} elsewhere */
  bias: Value;
  rotary: Rotary | null;
}

export interface AttentionDims {
  numHeads: number;
  numKvHeads: number;
  headDim: number;
}

/** A layer's key/value cache entry: [B, kvh, P, hd] each. */
export interface KeyValue {
  key: Value;
  value: Value;
}

/**
 * The additive attention mask for `S` queries that are the last S of `T` cache slots.
 * `attentionMask` [B, T] int64 marks real tokens (1) and padding (0); a query at slot P+i may
 * attend to slot j when j <= P+i and slot j is not padding. Repeated `rep` times along the query
 * axis so that grouped queries (see {@link attention}) can add it without a reshape.
 */
export function attentionBias(g: GraphBuilder, inputIds: Value, attentionMask: Value, rep: number): Value {
  const scalar = (v: Value, axis: number): Value => g.gather(g.shape(v), g.constant(axis, 'int64'));
  const total = scalar(attentionMask, 1); // T
  const keySlots = g.unsqueeze(g.range(0, total), { axes: [0] }); // [1, T]
  const querySlots = g.unsqueeze(g.range(g.sub(total, scalar(inputIds, 1)), total), { axes: [1] }); // [S, 1]
  const causal = g.lessOrEqual(keySlots, querySlots); // [S, T]
  const notPadding = g.unsqueeze(g.cast(attentionMask, { to: 'bool' }), { axes: [1, 2] }); // [B, 1, 1, T]
  const visible = g.and(causal, notPadding); // [B, 1, S, T]
  const bias = g.where(visible, g.constant(0), g.constant(MASKED_SCORE)); // [B, 1, S, T]
  return rep === 1 ? bias : g.concat(new Array<Value>(rep).fill(bias), { axis: 2 }); // [B, 1, rep*S, T]
}

/**
 * cos/sin tables for rotary embeddings at `positionIds` [B, S]: angle = position * inv_freq with
 * inv_freq_i = theta^(-2i/hd), as transformers' default rope (angles in float32 from the integer
 * positions; inv_freq computed in double and rounded once).
 */
export function rotaryTables(g: GraphBuilder, positionIds: Value, headDim: number, theta: number): Rotary {
  const half = headDim / 2;
  const invFreq = Float32Array.from({ length: half }, (_, i) => 1 / theta ** ((2 * i) / headDim));
  const positions = g.unsqueeze(g.cast(positionIds, { to: 'float32' }), { axes: [2] }); // [B, S, 1]
  const angles = g.mul(positions, g.constant(invFreq, 'float32', [half])); // [B, S, hd/2]
  const cosHalf = g.cos(angles);
  const sinHalf = g.sin(angles);
  const cos = g.unsqueeze(g.concat([cosHalf, cosHalf], { axis: -1 }), { axes: [2] }); // [B, S, 1, hd]
  const sinSigned = g.unsqueeze(g.concat([g.neg(sinHalf), sinHalf], { axis: -1 }), { axes: [2] }); // [B, S, 1, hd]
  return { cos, sinSigned };
}

/** x * cos + rotate_half(x) * sin for x [B, S, h, hd], with rotate_half(x) = [-x2, x1]. */
export function applyRotary(g: GraphBuilder, x: Value, rotary: Rotary): Value {
  const [first, second] = g.split(x, { axis: -1, numOutputs: 2 }) as [Value, Value]; // [B, S, h, hd/2] each
  const swapped = g.concat([second, first], { axis: -1 }); // [B, S, h, hd]; the signs live in sinSigned
  return g.add(g.mul(x, rotary.cos), g.mul(swapped, rotary.sinSigned));
}

/** Per-head RMS norms applied to queries and keys before the rotation (Qwen3). */
export interface QkNorm {
  q: Value;
  k: Value;
  eps: number;
}

/**
 * The projected rows attention reads: separate q [N, nh*hd], k and v [N, kvh*hd], or one fused
 * [N, (nh + 2*kvh)*hd] with q, k and v side by side (N = B*S).
 */
export type AttentionRows = { q: Value; k: Value; v: Value } | { qkv: Value };

/**
 * Multi-head causal attention with `bs` = [B, S] as an int64 tensor. Returns rows [N, nh*hd] and
 * the layer's new cache entry.
 *
 * Grouped queries are folded into the key/value heads instead of repeating keys and values:
 * query head h uses kv head h / rep, so [B, nh, S, hd] reshapes for free to [B, kvh, rep*S, hd]
 * and every score matrix is one product with the shared keys.
 */
export function attention(
  g: GraphBuilder,
  rows: AttentionRows,
  bs: Value,
  past: KeyValue | null,
  shared: AttentionShared,
  dims: AttentionDims,
  qkNorm: QkNorm | null,
): { out: Value; present: KeyValue } {
  const { numHeads: nh, numKvHeads: kvh, headDim: hd } = dims;
  const heads = (x: Value, n: number): Value => g.reshape(x, g.concat([bs, g.constant([n, hd], 'int64')], { axis: 0 })); // [B, S, n, hd]
  let q: Value;
  let k: Value;
  let v: Value;
  if ('qkv' in rows) {
    const all = heads(rows.qkv, nh + 2 * kvh); // [B, S, nh+2kvh, hd]
    if (shared.rotary && !qkNorm) {
      // One rotation for queries and keys together: half the rotary ops of rotating each.
      const [qk, v0] = g.split(all, { axis: 2, split: [nh + kvh, kvh] }) as [Value, Value]; // [B, S, nh+kvh, hd], [B, S, kvh, hd]
      [q, k] = g.split(applyRotary(g, qk, shared.rotary), { axis: 2, split: [nh, kvh] }) as [Value, Value]; // [B, S, nh, hd], [B, S, kvh, hd]
      v = v0;
    } else {
      [q, k, v] = g.split(all, { axis: 2, split: [nh, kvh, kvh] }) as [Value, Value, Value]; // [B, S, nh|kvh|kvh, hd]
    }
  } else {
    q = heads(rows.q, nh); // [B, S, nh, hd]
    k = heads(rows.k, kvh); // [B, S, kvh, hd]
    v = heads(rows.v, kvh); // [B, S, kvh, hd]
  }
  const rotated = 'qkv' in rows && shared.rotary && !qkNorm;
  if (qkNorm) {
    q = rmsNorm(g, q, qkNorm.q, qkNorm.eps);
    k = rmsNorm(g, k, qkNorm.k, qkNorm.eps);
  }
  if (shared.rotary && !rotated) {
    q = applyRotary(g, q, shared.rotary);
    k = applyRotary(g, k, shared.rotary);
  }
  const toHeadsFirst = { perm: [0, 2, 1, 3] };
  q = g.transpose(q, toHeadsFirst); // [B, nh, S, hd]
  const newKey = g.transpose(k, toHeadsFirst); // [B, kvh, S, hd]
  const newValue = g.transpose(v, toHeadsFirst); // [B, kvh, S, hd]
  const rep = nh / kvh;
  // Reshape targets built from the sizes they name (not -1), so the symbolic shapes of queries,
  // mask and gradients agree and autodiff can sum broadcasts at build time.
  const sizes = (parts: (Value | number)[]): Value =>
    g.concat(
      parts.map((p) => (typeof p === 'number' ? g.constant([p], 'int64') : p)),
      { axis: 0 },
    );
  const dim = (x: Value, axis: number): Value => g.shape(x, { start: axis, end: axis + 1 });
  // The 1/sqrt(hd) score scale is applied to the queries: S*hd values instead of S*T scores,
  // in the forward and the backward pass.
  const scaled = g.mul(q, 1 / Math.sqrt(hd)); // [B, nh, S, hd]
  const grouped = rep === 1 ? scaled : g.reshape(scaled, sizes([dim(q, 0), kvh, dim(shared.bias, 2), hd])); // [B, kvh, rep*S, hd]
  const keyT = (x: Value): Value => g.transpose(x, { perm: [0, 1, 3, 2] }); // [B, kvh, hd, len]
  let context: Value;
  let present: KeyValue;
  if (past && shared.appendOnly) {
    // Scores against the cache and against the new keys separately: the cache is read where it
    // lies instead of being copied into a concatenation at every step.
    const scores = g.concat([g.matmul(grouped, keyT(past.key)), g.matmul(grouped, keyT(newKey))], { axis: 3 }); // [B, kvh, rep*S, P+S]
    const weights = g.softmax(g.add(scores, shared.bias), { axis: -1 }); // [B, kvh, rep*S, P+S]
    const [onPast, onNew] = g.split(weights, { axis: 3, split: sizes([dim(past.key, 2), dim(newKey, 2)]) }) as [Value, Value]; // [B, kvh, rep*S, P], [.., S]
    context = g.add(g.matmul(onPast, past.value), g.matmul(onNew, newValue)); // [B, kvh, rep*S, hd]
    present = { key: newKey, value: newValue };
  } else {
    const key = past ? g.concat([past.key, newKey], { axis: 2 }) : newKey; // [B, kvh, T, hd]
    const value = past ? g.concat([past.value, newValue], { axis: 2 }) : newValue; // [B, kvh, T, hd]
    const weights = g.softmax(g.add(g.matmul(grouped, keyT(key)), shared.bias), { axis: -1 }); // [B, kvh, rep*S, T]
    context = g.matmul(weights, value); // [B, kvh, rep*S, hd]
    present = { key, value };
  }
  if (rep !== 1) context = g.reshape(context, sizes([dim(q, 0), nh, dim(q, 2), hd])); // [B, nh, S, hd]
  const merged = g.transpose(context, toHeadsFirst); // [B, S, nh, hd]
  const out = g.reshape(merged, [-1, nh * hd]); // [N, nh*hd]
  return { out, present };
}
