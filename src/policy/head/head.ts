/**
 * `TemperatureHead`: a head's config and parameters, with its graphs, ONNX Runtime sessions for
 * decoding (on host rows, or on a decode step's `last_hidden` where it lies), and save/load. The
 * parameters are the one mutable state: the trainer updates the Float32Arrays in place and calls
 * {@link TemperatureHead.paramsChanged} (or replaces them with {@link TemperatureHead.setParams}),
 * and the next run uses them, because the sessions take them as inputs: on the host the arrays
 * themselves, on a device provider copies uploaded once per change.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { type Graph, type SessionOptions, createSession, DeviceTransfer, floatOutput, saveModel } from '../../onnx/index.js';
import type { TemperatureHeadSession } from '../types.js';
import { type TemperatureHeadConfig, type TemperatureHeadOptions, headOutputWidth, resolveHeadConfig } from './config.js';
import { HEAD_GRAPH_FILE, loadHeadFiles, saveHeadFiles } from './checkpoint.js';
import { type HeadDType, headOutputName, temperatureHeadGraph, temperatureHeadRowsGraph } from './graph.js';
import { HEAD_PARAM_NAMES, type HeadParams, checkHeadParams, headParamShapes, initHeadParams } from './parameters.js';
import { headForwardReference } from './reference.js';
import { temperatureHeadTrainingGraph } from './training-graph.js';

export class TemperatureHead implements TemperatureHeadSession {
  private paramsById: HeadParams;
  private session: Promise<ort.InferenceSession> | null = null;
  /** the head on a decode step's `last_hidden` (see {@link runRows}) */
  private rowsSession: Promise<ort.InferenceSession> | null = null;
  /** the parameters as the sessions are fed them: device copies on a device provider, made once per change */
  private feeds: Promise<Record<string, ort.Tensor>> | null = null;

  private constructor(
    readonly config: TemperatureHeadConfig,
    params: HeadParams,
    private readonly sessionOptions: SessionOptions = {},
  ) {
    const problem = checkHeadParams(config, params);
    if (problem !== undefined) throw new RangeError(`temperature head: ${problem}`);
    this.paramsById = params;
  }

  /** A freshly initialised head (deterministic in `config.seed`). */
  static create(options: TemperatureHeadOptions, sessionOptions?: SessionOptions): TemperatureHead {
    const config = resolveHeadConfig(options);
    return new TemperatureHead(config, initHeadParams(config), sessionOptions);
  }

  /** A head from config and parameters (copied). */
  static fromParams(
    options: TemperatureHeadOptions,
    params: ReadonlyMap<string, ArrayLike<number>>,
    sessionOptions?: SessionOptions,
  ): TemperatureHead {
    return new TemperatureHead(resolveHeadConfig(options), new Map([...params].map(([k, v]) => [k, Float32Array.from(v)])), sessionOptions);
  }

  /** Reads `temperature_head.json` + `temperature_head.safetensors` from `dir`. */
  static load(dir: string, sessionOptions?: SessionOptions): TemperatureHead {
    const { config, params } = loadHeadFiles(dir);
    return new TemperatureHead(config, params, sessionOptions);
  }

  /** Writes `temperature_head.json` + `temperature_head.safetensors` into `dir`; returns their paths. */
  save(dir: string): string[] {
    return saveHeadFiles(dir, this.config, this.paramsById);
  }

  /** Writes the forward graph with the current parameters as initializers to `dir/temperature_head.onnx`. */
  exportOnnx(dir: string): string[] {
    mkdirSync(dir, { recursive: true });
    return saveModel(this.forwardGraph(), join(dir, HEAD_GRAPH_FILE), { producerName: 'introspect' });
  }

  /** The parameters by name (`fc1.weight` [D, H], `fc1.bias` [D], `fc2.weight` [K, D], `fc2.bias` [K]); live, not copies. */
  get params(): HeadParams {
    return this.paramsById;
  }

  /** Replaces the parameters (e.g. after an optimiser step that returns new arrays). */
  setParams(params: HeadParams): void {
    const problem = checkHeadParams(this.config, params);
    if (problem !== undefined) throw new RangeError(`temperature head: ${problem}`);
    this.paramsById = params;
    this.paramsChanged();
  }

  /**
   * Says the parameter arrays were changed in place (an optimiser step): on a device provider the
   * next run uploads them again (they are uploaded once per change, not at every decode step).
   */
  paramsChanged(): void {
    const previous = this.feeds;
    this.feeds = null;
    void previous?.then(disposeDevice, () => {});
  }

  /** The execution provider the head's sessions run on (the first of its session options). */
  get executionProvider(): string {
    return this.sessionOptions.executionProviders?.[0] ?? 'cpu';
  }

  /** The session options the head's sessions are made with (its training session uses them too). */
  get options(): SessionOptions {
    return this.sessionOptions;
  }

  /** K: the width of one output row (grid size, or 2 for lognormal). */
  get outputWidth(): number {
    return headOutputWidth(this.config);
  }

  /** Parameter shapes by name. */
  get paramShapes(): Record<string, number[]> {
    return headParamShapes(this.config);
  }

  /** The forward graph (see {@link temperatureHeadGraph}); current parameters unless `paramsAs: 'inputs'`. */
  forwardGraph(opts: { paramsAs?: 'initializers' | 'inputs'; dtype?: HeadDType } = {}): Graph {
    return temperatureHeadGraph(this.config, { ...opts, params: this.paramsById });
  }

  /** The training graph (see {@link temperatureHeadTrainingGraph}). */
  trainingGraph(opts: { dtype?: HeadDType; loss?: string } = {}): Graph {
    return temperatureHeadTrainingGraph(this.config, opts);
  }

  /**
   * The head's output in plain TypeScript (float64).
   * @param hidden [rows, H] row-major
   * @returns [rows, K] row-major: grid logits, or (mu, logStd) for lognormal
   */
  forward(hidden: ArrayLike<number>, rows: number): Float64Array {
    return headForwardReference(this.config, this.paramsById, hidden, rows);
  }

  /**
   * The head's output through ONNX Runtime, with the current parameters.
   * @param hidden final hidden states, [rows, H] row-major float32
   * @returns [rows, K] row-major float32: grid logits, or (mu, logStd) for lognormal
   */
  async logits(hidden: Float32Array, rows: number): Promise<Float32Array> {
    const H = this.config.inputSize;
    if (hidden.length !== rows * H)
      throw new RangeError(`temperature head: hidden has ${hidden.length} values, expected rows ${rows} x H ${H}`);
    this.session ??= createSession(this.forwardGraph({ paramsAs: 'inputs' }), this.sessionOptions).catch((error: unknown) => {
      this.session = null; // let a later call try again instead of replaying the failure
      throw error;
    });
    const session = await this.session;
    const result = await session.run({ ...(await this.paramFeeds()), hidden: new ort.Tensor('float32', hidden, [rows, H]) });
    return result[headOutputName(this.config)]?.data as Float32Array;
  }

  /**
   * The head on rows `rows` of a decode step's `last_hidden` [B, S, H] (their last position),
   * read where it lies: a device buffer of the head's provider (in-graph sampling) or a host tensor.
   * @returns [rows.length, K] row-major float32, as {@link logits} on those rows
   */
  async runRows(lastHidden: ort.Tensor, rows: readonly number[]): Promise<Float32Array> {
    this.rowsSession ??= createSession(temperatureHeadRowsGraph(this.config), this.sessionOptions).catch((error: unknown) => {
      this.rowsSession = null;
      throw error;
    });
    const session = await this.rowsSession;
    const result = await session.run({
      ...(await this.paramFeeds()),
      last_hidden: lastHidden,
      rows: new ort.Tensor(
        'int64',
        BigInt64Array.from(rows, (r) => BigInt(r)),
        [rows.length],
      ),
    });
    (await DeviceTransfer.open(this.executionProvider))?.countReturned(result);
    return floatOutput(result, headOutputName(this.config));
  }

  /** The parameters as feeds: host tensors over the live arrays on the host, device copies (made once per change) on a device. */
  private paramFeeds(): Promise<Record<string, ort.Tensor>> {
    this.feeds ??= (async () => {
      const shapes = headParamShapes(this.config);
      const device = await DeviceTransfer.open(this.executionProvider);
      const feeds: Record<string, ort.Tensor> = {};
      for (const name of HEAD_PARAM_NAMES) {
        const host = new ort.Tensor('float32', this.paramsById.get(name) as Float32Array, shapes[name]);
        feeds[name] = device ? await device.upload(host) : host;
      }
      return feeds;
    })();
    const feeds = this.feeds;
    feeds.catch(() => {
      if (this.feeds === feeds) this.feeds = null;
    });
    return feeds;
  }

  /** {@link TemperatureHeadSession}'s entry point for the rollout engine: same as {@link logits}. */
  run(hidden: Float32Array, rows: number): Promise<Float32Array> {
    return this.logits(hidden, rows);
  }

  /** Releases the ONNX Runtime session (a later {@link logits} call makes a new one). */
  async dispose(): Promise<void> {
    const sessions = [this.session, this.rowsSession];
    this.session = null;
    this.rowsSession = null;
    this.paramsChanged();
    for (const session of sessions) if (session) await (await session).release();
  }
}

function disposeDevice(feeds: Record<string, ort.Tensor>): void {
  for (const t of Object.values(feeds)) if (t.location === 'gpu-buffer') t.dispose();
}
