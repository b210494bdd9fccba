/** Whole-graph passes over the IR. */
import type { Graph, Node, Value } from './ir.js';

/**
 * Removes nodes and initializers that no graph output depends on. Graph inputs are kept (they
 * are the graph's signature, and ONNX Runtime accepts unused inputs). Returns a new Graph that
 * shares the surviving nodes and values.
 */
export function eliminateDeadNodes(graph: Graph): Graph {
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
    initializers: graph.initializers.filter((i) => live.has(i.value)),
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
