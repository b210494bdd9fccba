/**
 * Building blocks the gradient rules share: summing a broadcast gradient back to an input's
 * shape, and small integer arithmetic on sizes that folds to constants when sizes are static.
 */
import type { GraphBuilder } from './builder.js';
import type { Dim, Value } from './ir.js';

/**
 * Sums `grad` (shaped like a broadcast result) back to `x`'s shape: over the leading axes `x`
 * lacks and over the axes where `x` has size 1. Decided at build time when the shapes say
 * enough (a size-1 axis of `x` is always summed, which is correct even when the result's size
 * is 1 too). Otherwise, for symbolic sizes that might be 1 at run time, the axes are computed at
 * run time: NonZero over `[1]*k ++ Shape(x) == 1`, a ReduceSum with runtime axes that does
 * nothing for an empty list, then a Reshape to `Shape(x)`.
 */
export function unbroadcast(g: GraphBuilder, grad: Value, x: Value): Value {
  const k = grad.shape.length - x.shape.length;
  if (k < 0) throw new Error(`unbroadcast: gradient [${grad.shape}] has lower rank than input [${x.shape}]`);
  const axes: number[] = [];
  let decidable = true;
  grad.shape.forEach((d, i) => {
    if (i < k) return axes.push(i);
    const xd = x.shape[i - k] as Dim;
    if (xd === d) return;
    if (xd === 1) return axes.push(i);
    if (typeof xd === 'string') decidable = false;
  });
  if (decidable) {
    if (axes.length === 0) return grad;
    const summed = g.reduceSum(grad, { axes, keepdims: true });
    return k === 0 ? summed : g.squeeze(summed, { axes: [...Array(k).keys()] });
  }
  const padded = k === 0 ? g.shape(x) : g.concat([g.constant(new Array<number>(k).fill(1), 'int64'), g.shape(x)], { axis: 0 });
  const dynamicAxes = g.reshape(g.node('NonZero', [g.equal(padded, 1)])[0] as Value, [-1]);
  const summed = g.reduceSumDynamic(grad, dynamicAxes, { keepdims: true, noopWithEmptyAxes: true });
  return g.reshape(summed, g.shape(x));
}

/** A size as a JS number (static) or an int64 scalar Value (runtime). */
export type Size = number | Value;

/** Size of axis `axis` of `x`. */
export function dimOf(g: GraphBuilder, x: Value, axis: number): Size {
  const d = x.shape[axis];
  return typeof d === 'number' ? d : g.squeeze(g.shape(x, { start: axis, end: axis + 1 }), { axes: [0] });
}

const asValue = (g: GraphBuilder, s: Size): Value => (typeof s === 'number' ? g.constant(s, 'int64') : s);
export const iadd = (g: GraphBuilder, a: Size, b: Size): Size =>
  typeof a === 'number' && typeof b === 'number' ? a + b : g.add(asValue(g, a), asValue(g, b));
export const isub = (g: GraphBuilder, a: Size, b: Size): Size =>
  typeof a === 'number' && typeof b === 'number' ? a - b : g.sub(asValue(g, a), asValue(g, b));
export const imin = (g: GraphBuilder, a: Size, b: Size): Size =>
  typeof a === 'number' && typeof b === 'number' ? Math.min(a, b) : g.min(asValue(g, a), asValue(g, b));
export const imax = (g: GraphBuilder, a: Size, b: Size): Size =>
  typeof a === 'number' && typeof b === 'number' ? Math.max(a, b) : g.max(asValue(g, a), asValue(g, b));

/** A 1-D int64 tensor from sizes (a constant when all are static). */
export function sizesToTensor(g: GraphBuilder, sizes: readonly Size[]): Value {
  if (sizes.every((s) => typeof s === 'number')) return g.constant(sizes as number[], 'int64');
  return g.concat(
    sizes.map((s) => (typeof s === 'number' ? g.constant([s], 'int64') : g.reshape(s, [1]))),
    { axis: 0 },
  );
}

/** Inverse of a permutation. */
export const invertPerm = (perm: readonly number[]): number[] => {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
};

/** Swaps the last two axes. */
export function transposeLast2(g: GraphBuilder, x: Value): Value {
  const r = x.shape.length;
  const perm = [...Array(r).keys()];
  [perm[r - 2], perm[r - 1]] = [r - 1, r - 2];
  return g.transpose(x, { perm });
}
