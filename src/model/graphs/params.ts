/**
 * Where each checkpoint parameter lives in a graph: a graph input named exactly as in the
 * checkpoint (trainable parameters of the training graphs; weights the RL trainer swaps into a
 * decode session), or an initializer stored with the graph (everything else).
 */
import type { GraphBuilder, Value } from '../../onnx/index.js';
import { UserError } from '../../util/errors.js';
import type { ParamMap } from '../types.js';
import type { FloatTensor } from '../safetensors.js';

/**
 * A choice of parameters: all, none, or those whose checkpoint name matches any of the regexes
 * (strings are compiled with `new RegExp`, unanchored, so `layers\.1\.` picks layer 1).
 */
export type ParamSelection = 'all' | 'none' | RegExp | readonly (string | RegExp)[];

/** Names of the selected parameters, in checkpoint order. Throws when regexes select nothing. */
export function selectParams(names: readonly string[], selection: ParamSelection): string[] {
  if (selection === 'all') return [...names];
  if (selection === 'none') return [];
  const patterns = (selection instanceof RegExp ? [selection] : selection).map((p) => {
    if (p instanceof RegExp) return p;
    try {
      return new RegExp(p);
    } catch (error) {
      throw new UserError(`invalid parameter regex ${JSON.stringify(p)}: ${(error as Error).message}`);
    }
  });
  const chosen = names.filter((n) => patterns.some((p) => p.test(n)));
  if (chosen.length === 0) throw new UserError(`no parameter name matches ${patterns.map(String).join(' or ')}`);
  return chosen;
}

/** A canonical, stable string for a selection (graph cache keys, manifests). */
export function selectionKey(selection: ParamSelection): string {
  if (typeof selection === 'string') return selection;
  const list = selection instanceof RegExp ? [selection] : selection;
  return JSON.stringify(list.map((p) => (p instanceof RegExp ? p.source : p)));
}

/**
 * The parameters of one graph under construction. Inputs are declared up front in checkpoint
 * order (so a graph's signature does not depend on the order layers read their weights);
 * initializers are added on first use, so unused parameters (e.g. `wpe` rows) cost nothing.
 */
export class GraphParams {
  private readonly values = new Map<string, Value>();
  private readonly inputNames: ReadonlySet<string>;

  constructor(
    private readonly g: GraphBuilder,
    private readonly params: ParamMap,
    /** parameters that become graph inputs, in checkpoint order */
    inputNames: readonly string[],
  ) {
    this.inputNames = new Set(inputNames);
    for (const name of inputNames) {
      const t = this.tensor(name);
      this.values.set(name, g.input(name, 'float32', t.dims));
    }
  }

  /** The parameter as a graph value. */
  get(name: string): Value {
    let v = this.values.get(name);
    if (!v) {
      const t = this.tensor(name);
      v = this.g.initializer(name, t.data, t.dims);
      this.values.set(name, v);
    }
    return v;
  }

  /** Optional parameters (biases an architecture may or may not have). */
  maybe(name: string): Value | null {
    return this.params.has(name) ? this.get(name) : null;
  }

  /** True when the parameter is stored in the graph (so it can be rearranged at build time). */
  isConstant(name: string): boolean {
    return !this.inputNames.has(name);
  }

  /** The checkpoint tensor. */
  tensor(name: string): FloatTensor {
    const t = this.params.get(name);
    if (!t) throw new Error(`checkpoint has no parameter '${name}'`);
    return t;
  }

  /**
   * A weight built once from constant parameters at build time (fused projections); `make` runs
   * only the first time `name` is asked for.
   */
  derived(name: string, make: () => FloatTensor): Value {
    let v = this.values.get(name);
    if (!v) {
      const t = make();
      v = this.g.initializer(name, t.data, t.dims);
      this.values.set(name, v);
    }
    return v;
  }
}
