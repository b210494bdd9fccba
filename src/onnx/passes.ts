/** Whole-graph passes over the IR. */
import type { Graph, Node, Value } from './ir.js';

/**
 * Removes nodes that no graph output depends on. Graph inputs and initializers are kept by
 * default: they are the graph's declared parameters (grad() may be asked for the gradient of a
 * weight the loss ignores, which is zeros) and ONNX Runtime accepts unused ones; pass
 * `dropUnusedInitializers` to remove weights nothing reads. Returns a new Graph that shares the
 * surviving nodes and values.
 */
export function eliminateDeadNodes(graph: Graph, opts: { dropUnusedInitializers?: boolean } = {}): Graph {
  const live = new Set<Value>();
  const liveNodes = new Set<Node>();
  const stack = [...graph.outputs];
  while (stack.length > 0) {
    const v = stack.pop() as Value;
    if (live.has(v)) continue;
    live.add(v);
    const n = v.producer;
    if (n && !liveNodes.has(n)) {
      liveNodes.add(n);
      for (const i of n.inputs) if (i) stack.push(i);
    }
  }
  return {
    name: graph.name,
    inputs: graph.inputs,
    initializers: opts.dropUnusedInitializers ? graph.initializers.filter((i) => live.has(i.value)) : graph.initializers,
    nodes: graph.nodes.filter((n) => liveNodes.has(n)),
    outputs: graph.outputs,
  };
}

/** Consumers of every value (node, input slot), for passes that walk forward. */
export function consumers(graph: Graph): Map<Value, { node: Node; index: number }[]> {
  const map = new Map<Value, { node: Node; index: number }[]>();
  for (const node of graph.nodes) {
    node.inputs.forEach((v, index) => {
      if (!v) return;
      const list = map.get(v);
      if (list) list.push({ node, index });
      else map.set(v, [{ node, index }]);
    });
  }
  return map;
}
