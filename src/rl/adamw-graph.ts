/**
 * AdamW as one ONNX graph, so that the optimiser runs where the weights live: on a GPU the
 * parameters, gradients and both moments stay in device buffers and only the gradient norm comes
 * back each step. The arithmetic is that of the TypeScript {@link AdamW} (optimizer.ts, which is
 * torch.optim.AdamW's), step for step: global-norm clipping, a skipped step when the norm is not
 * finite, decoupled weight decay, bias-corrected moments. The learning rate of each step (from
 * the schedule) and the bias corrections are computed on the host in float64 and passed as
 * scalars; the per-element arithmetic is float32 (the TypeScript version rounds once per
 * expression from float64, so the two agree to a few ulps per step).
 *
 * Graph contract, for parameters p (checkpoint names):
 *   inputs   param.<p>, grad.<p>, exp_avg.<p>, exp_avg_sq.<p>  float32, the parameter's shape
 *            step_size [] = lr / (1 - beta1^step), bias2_sqrt [] = sqrt(1 - beta2^step),
 *            decay [] = 1 - lr * weightDecay (applied to the parameters the decay filter picks)
 *   outputs  new.param.<p>, new.exp_avg.<p>, new.exp_avg_sq.<p>  (the inputs unchanged when skipped)
 *            grad_norm [] (before clipping), weight_sq_sum [] (sum of squares of the new
 *            parameters: a fingerprint of the weights that needs no download)
 */
import * as ort from 'onnxruntime-node';
import {
  GraphBuilder,
  onDevice,
  outputTensor,
  scalarOutput,
  toModelBytes,
  type DeviceTransfer,
  type Graph,
  type Value,
} from '../onnx/index.js';
import type { FloatTensor } from '../model/safetensors.js';
import type { AdamWOptions, OptimizerState, StepReport } from './optimizer.js';
import { must } from '../util/must.js';

export interface AdamWGraphOptions {
  betas?: readonly [number, number];
  eps?: number;
  maxGradNorm?: number;
  /** names (in order) and shapes of the parameters */
  shapes: ReadonlyMap<string, readonly number[]>;
  /** parameters that get weight decay (default all) */
  decayParameter?: (name: string) => boolean;
}

export function buildAdamWGraph(opts: AdamWGraphOptions): Graph {
  const [beta1, beta2] = opts.betas ?? [0.9, 0.999];
  const eps = opts.eps ?? 1e-8;
  const maxGradNorm = opts.maxGradNorm ?? Infinity;
  const decays = opts.decayParameter ?? (() => true);
  const g = new GraphBuilder('adamw');
  const stepSize = g.input('step_size', 'float32', []);
  const bias2Sqrt = g.input('bias2_sqrt', 'float32', []);
  const decay = g.input('decay', 'float32', []);
  const inputs = [...opts.shapes].map(([name, dims]) => {
    return {
      name,
      p: g.input(`param.${name}`, 'float32', dims),
      grad: g.input(`grad.${name}`, 'float32', dims),
      m: g.input(`exp_avg.${name}`, 'float32', dims),
      v: g.input(`exp_avg_sq.${name}`, 'float32', dims),
    };
  });
  const sumOfSquares = (xs: Value[]): Value => xs.map((x) => g.reduceSum(g.mul(x, x), { keepdims: false })).reduce((a, b) => g.add(a, b));
  const norm = g.sqrt(sumOfSquares(inputs.map((i) => i.grad)));
  // NaN and +-Inf are the only values for which x - x is not 0.
  const finite = g.equal(g.sub(norm, norm), 0);
  const clip = Number.isFinite(maxGradNorm) ? g.min(g.div(g.constant(maxGradNorm), g.add(norm, 1e-6)), 1) : null;
  const newParams: Value[] = [];
  for (const { name, p, grad, m, v } of inputs) {
    const gi = clip ? g.mul(grad, clip) : grad;
    const pi = decays(name) ? g.mul(p, decay) : p;
    const mi = g.add(g.mul(m, beta1), g.mul(gi, 1 - beta1));
    const vi = g.add(g.mul(v, beta2), g.mul(g.mul(gi, gi), 1 - beta2));
    const update = g.div(g.mul(mi, stepSize), g.add(g.div(g.sqrt(vi), bias2Sqrt), eps));
    const pNew = g.where(finite, g.sub(pi, update), p);
    newParams.push(pNew);
    g.output(pNew, `new.param.${name}`);
    g.output(g.where(finite, mi, m), `new.exp_avg.${name}`);
    g.output(g.where(finite, vi, v), `new.exp_avg_sq.${name}`);
  }
  g.output(norm, 'grad_norm');
  g.output(sumOfSquares(newParams), 'weight_sq_sum');
  return g.build();
}

/**
 * AdamW whose state (parameters, moments) is held as ONNX Runtime tensors and updated by
 * {@link buildAdamWGraph} on an execution provider: device tensors where the provider keeps
 * them (`transfer` given), host tensors otherwise. The step count and hyper-parameters live here.
 */
export class GraphAdamW {
  /** current parameters, by name (device tensors with a transfer) */
  readonly params = new Map<string, ort.Tensor>();
  private readonly m = new Map<string, ort.Tensor>();
  private readonly v = new Map<string, ort.Tensor>();
  private steps = 0;
  private lastWeightSqSum = NaN;

  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly transfer: DeviceTransfer | null,
    readonly options: AdamWOptions,
  ) {}

  /**
   * Uploads `params` and the optimiser `state` (moments and step count, e.g. a fresh AdamW's or
   * one restored from a checkpoint) and opens the update graph on `executionProvider`.
   */
  static async create(
    params: ReadonlyMap<string, FloatTensor>,
    state: OptimizerState,
    options: AdamWOptions,
    executionProvider: string,
    transfer: DeviceTransfer | null,
  ): Promise<GraphAdamW> {
    const shapes = new Map([...params].map(([n, p]) => [n, p.dims] as const));
    const graph = buildAdamWGraph({ shapes, ...options, ...(options.decayParameter ? { decayParameter: options.decayParameter } : {}) });
    const locations: Record<string, 'gpu-buffer'> = {};
    if (transfer) for (const o of graph.outputs) if (o.name.startsWith('new.')) locations[o.name] = 'gpu-buffer';
    const session = await ort.InferenceSession.create(toModelBytes(graph), {
      executionProviders: executionProvider === 'cpu' ? ['cpu'] : [executionProvider, 'cpu'],
      ...(transfer ? { preferredOutputLocation: locations } : {}),
      logSeverityLevel: 3,
    });
    const opt = new GraphAdamW(session, transfer, options);
    const place = async (data: Float32Array, dims: readonly number[]): Promise<ort.Tensor> => {
      const t = new ort.Tensor('float32', data, dims);
      return transfer ? transfer.upload(t) : new ort.Tensor('float32', data.slice(), dims);
    };
    for (const [name, p] of params) {
      opt.params.set(name, await place(p.data, p.dims));
      opt.m.set(name, await place(state.tensors.get(`exp_avg.${name}`) ?? new Float32Array(p.data.length), p.dims));
      opt.v.set(name, await place(state.tensors.get(`exp_avg_sq.${name}`) ?? new Float32Array(p.data.length), p.dims));
    }
    opt.steps = state.step;
    return opt;
  }

  get stepCount(): number {
    return this.steps;
  }

  /** Sum of squares of the parameters after the last applied step (NaN before any). */
  get weightSqSum(): number {
    return this.lastWeightSqSum;
  }

  /**
   * One AdamW update with gradients `grads` (tensors on the same side as the parameters; not
   * released here). Only the gradient norm and the weights' sum of squares come to the host.
   */
  async step(grads: ReadonlyMap<string, ort.Tensor>, lr: number): Promise<StepReport> {
    const { betas = [0.9, 0.999], weightDecay = 0.01 } = this.options;
    const next = this.steps + 1;
    const scalar = (x: number) => new ort.Tensor('float32', Float32Array.of(x), []);
    const feeds: Record<string, ort.Tensor> = {
      step_size: scalar(lr / (1 - betas[0] ** next)),
      bias2_sqrt: scalar(Math.sqrt(1 - betas[1] ** next)),
      decay: scalar(1 - lr * weightDecay),
    };
    for (const [name, p] of this.params) {
      const grad = grads.get(name);
      if (!grad) throw new RangeError(`no gradient for parameter "${name}"`);
      feeds[`param.${name}`] = p;
      feeds[`grad.${name}`] = grad;
      feeds[`exp_avg.${name}`] = must(this.m.get(name), `first moment of ${name}`);
      feeds[`exp_avg_sq.${name}`] = must(this.v.get(name), `second moment of ${name}`);
    }
    const out = await this.session.run(feeds);
    const gradNorm = scalarOutput(out, 'grad_norm');
    const swap = (map: Map<string, ort.Tensor>, prefix: string) => {
      for (const [name, old] of [...map]) {
        map.set(name, outputTensor(out, `${prefix}${name}`));
        if (onDevice(old)) old.dispose();
      }
    };
    swap(this.params, 'new.param.');
    swap(this.m, 'new.exp_avg.');
    swap(this.v, 'new.exp_avg_sq.');
    if (!Number.isFinite(gradNorm)) return { applied: false, gradNorm, clipCoef: 0, step: this.steps, lr };
    this.steps = next;
    this.lastWeightSqSum = scalarOutput(out, 'weight_sq_sum');
    const maxGradNorm = this.options.maxGradNorm ?? Infinity;
    return { applied: true, gradNorm, clipCoef: Math.min(1, maxGradNorm / (gradNorm + 1e-6)), step: this.steps, lr };
  }

  /** Host copies of the parameters (downloads on a device: for checkpoints only). */
  async downloadParams(): Promise<Map<string, Float32Array>> {
    return this.downloadAll(this.params);
  }

  /** The moments and step count, as {@link AdamW.exportState} (downloads on a device). */
  async exportState(): Promise<OptimizerState> {
    const tensors = new Map<string, Float32Array>();
    for (const [name, t] of await this.downloadAll(this.m)) tensors.set(`exp_avg.${name}`, t);
    for (const [name, t] of await this.downloadAll(this.v)) tensors.set(`exp_avg_sq.${name}`, t);
    return { step: this.steps, tensors };
  }

  async release(): Promise<void> {
    for (const map of [this.params, this.m, this.v]) for (const t of map.values()) if (onDevice(t)) t.dispose();
    await this.session.release();
  }

  private async downloadAll(map: ReadonlyMap<string, ort.Tensor>): Promise<Map<string, Float32Array>> {
    const out = new Map<string, Float32Array>();
    for (const [name, t] of map) out.set(name, (this.transfer ? await this.transfer.download(t) : t).data as Float32Array);
    return out;
  }
}
