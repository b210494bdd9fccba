/**
 * Reverse-mode automatic differentiation over the IR. The backward graph is made of standard
 * ONNX ops only (see gradients.ts), so stock onnxruntime-node runs it on any execution provider;
 * no training build of ONNX Runtime is needed.
 */
import { GraphBuilder } from './builder.js';
import { type Graph, type Node, type Value, isFloat, isStatic, numel } from './ir.js';
import { type GradientContext, gradientRules } from './gradients.js';

export interface GradOptions {
  /** Outputs of the forward graph to keep in the result (e.g. `logprobs`), under their own names. */
  keepOutputs?: readonly string[];
  /**
   * Gradients of the loss that the caller computed itself, by value name: each `{ value, grad }`
   * adds the value named `grad` to the gradient of `value`, and autodiff carries it from there on
   * into everything `value` depends on. This is how a hand-written backward joins autodiff
   * (vocab-terms.ts). A loss term `sum(stopGradient(grad) * value)` would give the same gradients,
   * but ONNX Runtime would also compute that term's value, keep the ones its gradient is expanded
   * from as a folded initializer of `value`'s size (545 MB for Qwen2.5-0.5B's embedding), and
   * multiply by them. A seed reaches `wrt` through what its value depends on, whether or not the
   * loss uses that value; a seed on a value that depends on no `wrt` has nowhere to go and is ignored.
   */
  seeds?: readonly { value: string; grad: string }[];
  /**
   * Recompute the outputs of the forward's recompute regions ({@link GraphBuilder.recompute}) in
   * the backward pass instead of keeping them alive from the forward pass to their backward use:
   * less memory for a second run of the region's (cheap) nodes. The same kernels run on the same
   * inputs, so the results are the same bits as without, unless ONNX Runtime's graph optimisations
   * fuse the forward differently (they may, once the backward no longer reads a region's insides:
   * a normalisation becomes one fused kernel, which can differ in the last bit). Default false.
   */
  recompute?: boolean;
  /**
   * Let a rule add its contribution onto the gradient accumulated so far instead of building it
   * apart and adding the two (the Gather rule: a tied embedding's rows are scattered onto the
   * output projection's gradient). Saves [V, H] tables at the end of the backward pass; the sum is
   * taken in another order, so the bits differ from the default. Default false.
   */
  accumulateInPlace?: boolean;
}

/**
 * A new graph that computes `loss` (as output `loss`), `grad.<name>` for each name in `wrt`
 * (graph inputs, initializers, or any other value of the graph), and the forward outputs named in
 * `keepOutputs`. A non-scalar loss is differentiated as the sum of its elements.
 *
 * Gradients flow only through floating-point values and never through `stopGradient`, and start
 * from the loss and from `opts.seeds`; a `wrt`
 * value that `loss` does not depend on gets zeros of its shape. Throws, naming the op, when a
 * node on a differentiated path has no gradient rule. The input graph is not modified.
 */
export function grad(graph: Graph, loss: string, wrt: readonly string[], opts: GradOptions = {}): Graph {
  const g = GraphBuilder.extend(graph, `${graph.name}_grad`);
  const lossValue = g.value(loss);
  if (!isFloat(lossValue.dtype)) throw new Error(`grad(): loss '${loss}' has dtype ${lossValue.dtype}; it must be floating point`);
  const wrtValues = wrt.map((name) => g.value(name));
  const nodes = nodesOf(g, graph);

  // Values that depend on a wrt value through differentiable (floating-point) edges.
  const active = new Set<Value>(wrtValues.filter((v) => isFloat(v.dtype)));
  for (const node of nodes) {
    if (node.tag === 'stopGradient' || !node.inputs.some((v) => v && active.has(v))) continue;
    for (const out of node.outputs) if (isFloat(out.dtype)) active.add(out);
  }

  const grads = new Map<Value, Value>();
  const accumulate = (v: Value, gv: Value): void => {
    const prev = grads.get(v);
    grads.set(v, prev ? g.add(prev, gv) : gv);
  };
  if (active.has(lossValue)) accumulate(lossValue, ones(g, lossValue));
  for (const seed of opts.seeds ?? []) {
    const v = g.value(seed.value);
    const gv = g.value(seed.grad);
    if (gv.dtype !== v.dtype || gv.shape.length !== v.shape.length)
      throw new Error(
        `grad(): seed '${seed.grad}' (${gv.dtype}, rank ${gv.shape.length}) does not match '${seed.value}' (${v.dtype}, rank ${v.shape.length})`,
      );
    if (active.has(v)) accumulate(v, gv);
  }

  const recomputed = opts.recompute ? recomputer(g, new Set(nodes)) : null;
  for (let n = nodes.length - 1; n >= 0; n--) {
    const node = nodes[n] as Node;
    const outGrads = node.outputs.map((v) => grads.get(v) ?? null);
    if (node.tag === 'stopGradient' || outGrads.every((x) => x === null)) continue;
    const needs = node.inputs.map((v) => v !== null && active.has(v));
    if (!needs.some(Boolean)) continue;
    const rule = gradientRules[node.op];
    if (!rule) {
      throw new Error(
        `grad(): no gradient rule for op '${node.op}' (node '${node.name}', output '${node.outputs[0]?.name}'); add one in src/onnx/gradients.ts or keep it off the differentiated path with stopGradient`,
      );
    }
    // The rule reads the forward values it needs; with recompute, those of recompute regions are
    // computed again, after this node's output gradient (which orders them into the backward pass).
    const at = outGrads.find((x) => x !== null) as Value;
    const forwardValue = (v: Value | null): Value | null => (v && recomputed ? recomputed(v, at) : v);
    const ctx: GradientContext = {
      g,
      node,
      inputs: node.inputs.map(forwardValue),
      outputs: node.outputs.map((v) => forwardValue(v) as Value),
      grads: outGrads,
      gy: outGrads[0] ?? g.zerosLike(node.outputs[0] as Value),
      needs,
      ...(opts.accumulateInPlace
        ? { accumulated: node.inputs.map((v) => (v ? (grads.get(v) ?? null) : null)), absorbed: node.inputs.map(() => false) }
        : {}),
    };
    const inGrads = rule(ctx);
    node.inputs.forEach((v, i) => {
      const gi = inGrads[i];
      if (!v || !gi || !needs[i]) return;
      if (ctx.absorbed?.[i]) grads.set(v, gi);
      else accumulate(v, gi);
    });
  }

  g.output(lossValue, 'loss');
  wrtValues.forEach((v, i) => g.output(grads.get(v) ?? g.zerosLike(v), `grad.${wrt[i]}`));
  for (const name of opts.keepOutputs ?? []) {
    if (!graph.outputs.some((o) => o.name === name))
      throw new Error(`grad(): keepOutputs names '${name}', which is not an output of '${graph.name}'`);
    g.output(g.value(name), name);
  }
  return g.build();
}

/**
 * Rematerialisation for grad(): maps a forward value to what the backward pass should read. A
 * value made by a node of a recompute region is computed again from the region's inputs (once per
 * value, shared by every rule that reads it); anything else is returned as it is.
 *
 * Why the region's inputs pass through a Reshape to their own shape, made to depend on the
 * gradient at which the region is first needed: without a dependence on the backward pass, the
 * copies would equal the forward's nodes (this builder's and ONNX Runtime's common-subexpression
 * elimination would merge them back) and could be scheduled right after the forward's, keeping
 * their outputs alive just as long. A Reshape shares its input's buffer, and the shape arithmetic
 * on the gradient's Shape is a few int64 elements. Where that dimension is static the dependence
 * folds away and ONNX Runtime may merge the copies again: the same values, without the saving.
 */
function recomputer(g: GraphBuilder, forward: ReadonlySet<Node>): (v: Value, at: Value) => Value {
  const copies = new Map<Value, Value>();
  /** per region, the gradient it is recomputed after */
  const after = new Map<number, Value>();
  const ordered = new Map<string, Value>();
  const orderedInput = (u: Value, region: number, barrier: Value): Value => {
    if (u.constant || u.producer?.op === 'Constant') return u;
    const key = `${region}|${u.name}`;
    const done = ordered.get(key);
    if (done) return done;
    const first = g.shape(barrier, { start: 0, end: 1 });
    const zero = g.sub(first, first); // [1], 0 at run time; not folded while the dimension is symbolic
    const out = g.reshape(u, g.add(g.shape(u), zero));
    out.shape = [...u.shape];
    if (u.symbolic) out.symbolic = [...u.symbolic];
    ordered.set(key, out);
    return out;
  };
  /** the recompute region of the forward node that makes `v`, if any */
  const regionOf = (v: Value): number | undefined => (v.producer && forward.has(v.producer) ? v.producer.recompute : undefined);
  const copy = (v: Value, at: Value): Value => {
    const region = regionOf(v);
    if (region === undefined) return v;
    const done = copies.get(v);
    if (done) return done;
    const node = v.producer as Node;
    const barrier = after.get(region) ?? at;
    after.set(region, barrier);
    const inputs = node.inputs.map((u) => (u === null ? null : regionOf(u) !== undefined ? copy(u, at) : orderedInput(u, region, barrier)));
    const outs = g.node(node.op, inputs, node.attrs, node.outputs.length);
    node.outputs.forEach((o, i) => {
      const c = outs[i] as Value;
      c.shape = [...o.shape];
      if (o.symbolic) c.symbolic = [...o.symbolic];
      copies.set(o, c);
    });
    return copies.get(v) as Value;
  };
  return copy;
}

/** The copied forward nodes, in the builder (found through the copies of the graph's outputs and values). */
function nodesOf(g: GraphBuilder, graph: Graph): Node[] {
  const seen = new Set<Node>();
  const out: Node[] = [];
  for (const node of graph.nodes) {
    const copy = g.value((node.outputs[0] as Value).name).producer as Node;
    if (!seen.has(copy)) {
      seen.add(copy);
      out.push(copy);
    }
  }
  return out;
}

/** d(sum(loss))/d(loss): ones of the loss's shape. */
function ones(g: GraphBuilder, v: Value): Value {
  if (v.shape.length === 0) return g.constant(1, v.dtype);
  if (isStatic(v.shape) && numel(v.shape) === 1) return g.constant([1], v.dtype, v.shape);
  return g.constantOfShape(g.shape(v), { dtype: v.dtype, value: 1 });
}
