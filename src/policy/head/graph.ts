/**
 * The head's forward pass as ONNX: `temperature_head.onnx`, and the same layers appended onto another
 * graph's hidden state (for a fused decode + head graph).
 *
 * The stop-gradient of the method lives in how the head sees the LLM: the standalone graphs read
 * `hidden` as a graph input (no LLM parameters in the graph, so no gradient can reach them), and
 * {@link appendTemperatureHead} reads the LLM's hidden state through `g.stopGradient`, so autodiff
 * of anything downstream of the head never enters the LLM.
 */
import { lastPositionRows, SAMPLER } from '../../model/graphs/sampler-graph.js';
import { type DType, type Graph, GraphBuilder, type Value } from '../../onnx/index.js';
import { type TemperatureHeadConfig, headOutputWidth } from './config.js';
import { HEAD_PARAM_NAMES, type HeadParamName, type HeadParams, checkHeadParams, headParamShapes } from './parameters.js';

/** The head's parameters as values of one graph. */
export type HeadParamValues = Record<HeadParamName, Value>;

/** Float element types a head graph can be built in (float64 for finite-difference tests). */
export type HeadDType = Extract<DType, 'float32' | 'float64'>;

/** Name of the forward graph's output: grid logits [N, K] or log-normal (mu, logStd) [N, 2]. */
export function headOutputName(config: Pick<TemperatureHeadConfig, 'kind'>): string {
  return config.kind === 'grid' ? 'temperature_logits' : 'temperature_params';
}

/**
 * Where a graph gets the head's parameters from:
 * - `initializers`: stored in the graph with these values (a self-contained model file);
 * - `inputs`: graph inputs, fed on every run (the trainer updates them without rebuilding).
 */
export type HeadParamSource = { readonly as: 'initializers'; readonly params: HeadParams } | { readonly as: 'inputs' };

/**
 * Declares the head's parameters in `g`, named `<prefix><name>` (`fc1.weight`, ...).
 * @param dtype element type of the declared values; float32 values are widened for float64 graphs
 */
export function declareHeadParams(
  g: GraphBuilder,
  config: TemperatureHeadConfig,
  source: HeadParamSource,
  opts: { dtype?: HeadDType; prefix?: string } = {},
): HeadParamValues {
  const dtype = opts.dtype ?? 'float32';
  const prefix = opts.prefix ?? '';
  const shapes = headParamShapes(config);
  if (source.as === 'initializers') {
    const problem = checkHeadParams(config, source.params);
    if (problem !== undefined) throw new RangeError(`temperature head graph: ${problem}`);
  }
  const entries = HEAD_PARAM_NAMES.map((name): [HeadParamName, Value] => {
    const fullName = `${prefix}${name}`;
    if (source.as === 'inputs') return [name, g.input(fullName, dtype, shapes[name])];
    const data = source.params.get(name) as Float32Array;
    return [name, g.initializer(fullName, dtype === 'float64' ? Float64Array.from(data) : Float32Array.from(data), shapes[name])];
  });
  return Object.fromEntries(entries) as HeadParamValues;
}

/**
 * The head's layers on `hidden` [..., H] -> [..., K] (any leading axes):
 * `silu(hidden fc1.weight^T + fc1.bias) fc2.weight^T + fc2.bias`.
 */
export function headLayers(g: GraphBuilder, hidden: Value, p: HeadParamValues): Value {
  const z1 = g.add(g.matmul(hidden, g.transpose(p['fc1.weight'])), p['fc1.bias']); // [..., H] @ [H, D] -> [..., D]
  return g.add(g.matmul(g.silu(z1), g.transpose(p['fc2.weight'])), p['fc2.bias']); // [..., D] @ [D, K] -> [..., K]
}

export interface HeadGraphOptions {
  /** parameters as initializers (default, needs `params`) or as graph inputs */
  paramsAs?: 'initializers' | 'inputs';
  /** values for initializers */
  params?: HeadParams;
  /** element type of the graph's inputs, parameters and output (default float32) */
  dtype?: HeadDType;
}

/**
 * `temperature_head.onnx`: input `hidden` [N, H]; output `temperature_logits` [N, K] (grid) or
 * `temperature_params` [N, 2] = (mu, logStd) (lognormal); with `paramsAs: 'inputs'` the parameters
 * are inputs too, named as in {@link HEAD_PARAM_NAMES}.
 */
export function temperatureHeadGraph(config: TemperatureHeadConfig, opts: HeadGraphOptions = {}): Graph {
  const dtype = opts.dtype ?? 'float32';
  const g = new GraphBuilder('temperature_head');
  const source: HeadParamSource =
    opts.paramsAs === 'inputs' ? { as: 'inputs' } : { as: 'initializers', params: requireParams(opts.params) };
  const p = declareHeadParams(g, config, source, { dtype });
  const hidden = g.input('hidden', dtype, ['N', config.inputSize]);
  const out = headLayers(g, hidden, p);
  g.output(out, headOutputName(config)); // [N, K]
  return g.build();
}

/**
 * The head on a decode step's own output (for in-graph sampling, where that output stays on the
 * device): inputs `last_hidden` [B, S, H] and `rows` [N] int64 (batch rows, read at their last
 * position), parameters as inputs; output as {@link temperatureHeadGraph}'s for those rows.
 */
export function temperatureHeadRowsGraph(config: TemperatureHeadConfig): Graph {
  const g = new GraphBuilder('temperature_head_rows');
  const p = declareHeadParams(g, config, { as: 'inputs' });
  const lastHidden = g.input(SAMPLER.hidden, 'float32', ['batch_size', 'sequence_length', config.inputSize]);
  const rows = g.input(SAMPLER.rows, 'int64', ['rows']);
  g.output(headLayers(g, lastPositionRows(g, lastHidden, rows, config.inputSize), p), headOutputName(config));
  return g.build();
}

/**
 * Appends the head onto `hidden`, a value of an existing graph (e.g. an LLM's final hidden state
 * [B, T, H]), behind a stop-gradient: gradients of the head's output reach the head's parameters
 * but never `hidden` or anything upstream of it. Returns the head's output [..., K]; the caller
 * names it with `g.output`.
 *
 * @param params the head's parameters in `g` (see {@link declareHeadParams}; use a prefix such as
 *   `temperature_head.` to keep them apart from the LLM's)
 */
export function appendTemperatureHead(g: GraphBuilder, hidden: Value, params: HeadParamValues, config: TemperatureHeadConfig): Value {
  const last = hidden.shape[hidden.shape.length - 1];
  if (last !== config.inputSize)
    throw new RangeError(`temperature head expects hidden size ${config.inputSize}, got a value of shape [${hidden.shape.join(', ')}]`);
  if (hidden.dtype !== params['fc1.weight'].dtype)
    throw new RangeError(`temperature head parameters are ${params['fc1.weight'].dtype} but the hidden state is ${hidden.dtype}`);
  if (headOutputWidth(config) !== params['fc2.bias'].shape[0]) throw new RangeError('temperature head parameters do not match the config');
  return headLayers(g, g.stopGradient(hidden), params);
}

function requireParams(params: HeadParams | undefined): HeadParams {
  if (!params) throw new RangeError('temperature head graph: parameters as initializers need `params`');
  return params;
}
