/**
 * A batch of sequences decoded together over a decode graph's key/value cache: prefill the
 * prompts once, then one token per row per step. The session keeps the cache in buffers with
 * spare capacity: each run reads them in place (ONNX Runtime takes inputs without copying) and
 * returns only the new entries, which are written into the next free slots; unused slots are
 * masked out. (Returning the whole cache each step would copy all of it out of ONNX Runtime,
 * which dominates a step once the cache holds a few dozen tokens.)
 *
 * Prompts are left-padded to the longest one; padding slots are masked out of attention and do
 * not count as positions (position = number of real tokens before it, as transformers derives
 * position ids from the attention mask), so a row decodes exactly as it would alone.
 *
 * On a provider that keeps tensors on its device (WebGPU; see onnx/device.ts) the cache and the
 * weights fed as inputs stay there instead: the graph returns the whole cache into device
 * buffers that the next step reads ({@link DeviceKvCache}), weights are uploaded once per
 * {@link DecodeSession.setWeights} (or handed over as device tensors by a trainer that keeps them
 * there), and only the last position's logits and hidden state come to the host each step.
 */
import * as ort from 'onnxruntime-node';
import { UserError } from '../util/errors.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSession, DeviceTransfer, onDevice, saveModel, toModelBytes, type ExecutionProviderName } from '../onnx/index.js';
import type { ModelConfig } from './config.js';
import { cachedGraphPath, folderSource, weightsSource } from './graph-cache.js';
import { DeviceKvCache } from './device-cache.js';
import { GraphSampler, type LastTensors } from './graph-sampler.js';
import {
  buildDecodeGraph,
  type DecodeGraphOptions,
  newKeyName,
  newValueName,
  pastKeyName,
  pastValueName,
  presentKeyName,
} from './graphs/decode-graph.js';
import type { ParamSelection } from './graphs/params.js';
import type { SamplerPrecision } from './graphs/sampler-graph.js';
import type { ModelWeights } from './graphs/train-graphs.js';
import { expectedParameters } from './parameters.js';
import type { FloatTensor } from './safetensors.js';
import { must } from '../util/must.js';

/** Where the graph runs: ONNX Runtime execution provider names ('cpu', 'cuda', 'webgpu', ...). */
export type ExecutionProvider = ExecutionProviderName | (string & {});

export interface DecodeSessionOptions {
  executionProvider?: ExecutionProvider;
  /** threads per operator (ONNX Runtime's default, one per core, when omitted) */
  intraOpNumThreads?: number;
  /**
   * Cache slots added whenever the cache runs out of room (default 32): larger means fewer
   * copies to grow it, smaller means fewer unused slots for attention to skip over.
   */
  capacityChunk?: number;
  /**
   * Keep the cache and fed weights on the provider's device where it can (default true). Off,
   * or on providers that cannot (CPU), the session keeps them on the host.
   */
  deviceState?: boolean;
  /**
   * Where the next token is drawn (default `host`). `host`: each run returns the last position's
   * logits and hidden state to the host for the caller's sampler. `graph`: the session also opens
   * the in-graph sampler ({@link DecodeSession.sampler}); on a device provider the logits and
   * hidden states then stay on the device and only the sampler's few numbers per row come back.
   */
  sampling?: 'host' | 'graph';
  /** the sampler graph's float type (default float64 on CPU, where it draws as the host sampler; float32 elsewhere) */
  samplerPrecision?: SamplerPrecision;
}

export interface LoadDecoderOptions extends DecodeSessionOptions {
  /** parameters the graph takes as inputs, to be fed with {@link DecodeSession.setWeights} (default none) */
  paramInputs?: ParamSelection;
  /**
   * Take the graph from the on-disk graph cache (building it there on a miss) instead of building
   * it in memory. Default: on for model folders, off for in-memory weights. Graphs whose weights
   * exceed one protobuf (2 GiB) go through a file unless `cache` is false.
   */
  cache?: boolean | { cacheDir?: string };
  /** compute each row's entropy in the graph (default true; the rollout engine computes it otherwise) */
  entropyOutput?: boolean;
}

/** The last position of every row after a prefill or a step. */
export interface DecodeOutput {
  /**
   * Per row: logits over the vocabulary [V]. Views into the run's output, valid until the next
   * `prefill`/`step` (copy them to keep them).
   */
  logits: Float32Array[];
  /** Per row: the final hidden state after the final norm [H] (what the temperature head reads); views as above. */
  hidden: Float32Array[];
  /** Per row: entropy of softmax(logits) in nats, when the graph outputs it (graphs built with `entropyOutput`). */
  entropy?: Float32Array;
  /**
   * The run's `logits` [B, 1, V] and `last_hidden` [B, S, H] as tensors, for the in-graph sampler
   * (sessions with `sampling: 'graph'`). When they stay on the device, `logits` and `hidden`
   * above throw on access: nothing of them is on the host. Valid until the next run.
   */
  tensors?: LastTensors;
}

/** Largest weights loaded from memory rather than from a cached file (one protobuf's limit, with headroom). */
export const IN_MEMORY_MAX_BYTES = 2 ** 31 - 2 ** 26;

const I64 = (values: ArrayLike<number>): BigInt64Array => BigInt64Array.from(values as ArrayLike<number>, (v) => BigInt(v));

const DEFAULT_CAPACITY_CHUNK = 32;

/**
 * One layer's key or value cache: [B, kvh, capacity, hd], slots [0, filled) in use. Unused slots
 * are zeros (finite, so masking them out of the softmax is exact).
 */
class CacheBuffer {
  constructor(
    readonly data: Float32Array,
    readonly batch: number,
    readonly heads: number,
    readonly capacity: number,
    readonly headDim: number,
  ) {}

  /**
   * A cache with no slots in use. It has one (masked) slot, not zero: a zero-width past makes
   * the append-only graph multiply over an empty axis, which some providers' kernels do not
   * survive (WebGPU's MatMul segfaults on it).
   */
  static empty(batch: number, heads: number, headDim: number): CacheBuffer {
    return new CacheBuffer(new Float32Array(batch * heads * headDim), batch, heads, 1, headDim);
  }

  tensor(): ort.Tensor {
    return new ort.Tensor('float32', this.data, [this.batch, this.heads, this.capacity, this.headDim]);
  }

  /**
   * Rows `rows` of this cache, slots [from, to), in a new buffer with `capacity` slots
   * (slot `from` becomes slot 0).
   */
  select(rows: readonly number[], from: number, to: number, capacity: number): CacheBuffer {
    const { heads, headDim: hd } = this;
    const out = new Float32Array(rows.length * heads * capacity * hd);
    rows.forEach((r, i) => {
      for (let h = 0; h < heads; h++) {
        const src = ((r * heads + h) * this.capacity + from) * hd;
        out.set(this.data.subarray(src, src + (to - from) * hd), (i * heads + h) * capacity * hd);
      }
    });
    return new CacheBuffer(out, rows.length, heads, capacity, hd);
  }

  /** Writes `entries` [B, heads, S, hd] at slots [at, at+S) (the caller makes room first). */
  write(entries: Float32Array, at: number, S: number): void {
    const hd = this.headDim;
    for (let bh = 0; bh < this.batch * this.heads; bh++) {
      this.data.set(entries.subarray(bh * S * hd, (bh + 1) * S * hd), (bh * this.capacity + at) * hd);
    }
  }
}

export class DecodeSession {
  /** Cache per layer. */
  private cache: { key: CacheBuffer; value: CacheBuffer }[] = [];
  /** Leading padding slots of each row. */
  private padding: number[] = [];
  /** Cache slots in use (the same for every row, padding included). */
  private slots = 0;
  private readonly weightFeeds: Record<string, ort.Tensor> = {};
  /** fed weights set from host arrays but not yet uploaded (device state only) */
  private readonly pendingUploads = new Set<string>();
  /** parameters the graph takes as inputs, with their checkpoint shapes */
  private readonly paramInputs: Map<string, readonly number[]>;
  /** the cache on the device (null: host buffers, {@link cache}) */
  private readonly deviceCache: DeviceKvCache | null;
  /** the last run's outputs left on the device (released at the next run) */
  private deviceOutputs: ort.Tensor[] = [];

  private constructor(
    readonly session: ort.InferenceSession,
    readonly config: ModelConfig,
    private readonly capacityChunk: number,
    /** set when the cache and weights stay on the provider's device */
    readonly device: DeviceTransfer | null,
    /** the in-graph sampler (sessions opened with `sampling: 'graph'`), else null */
    readonly sampler: GraphSampler | null = null,
  ) {
    if (!Number.isInteger(capacityChunk) || capacityChunk < 1)
      throw new UserError(`capacityChunk must be a whole number >= 1, got ${capacityChunk}`);
    const needs = device ? presentKeyName(0) : newKeyName(0);
    if (!session.outputNames.includes(needs)) {
      throw new Error(`DecodeSession needs a decode graph built with cacheOutputs: '${device ? 'full' : 'new'}' (outputs ${needs}, ...)`);
    }
    this.deviceCache = device ? new DeviceKvCache(device.executionProvider, config.numLayers, config.numKvHeads, config.headDim) : null;
    const inputs = new Set(session.inputNames);
    this.paramInputs = new Map(
      expectedParameters(config)
        .filter((p) => inputs.has(p.name))
        .map((p) => [p.name, p.dims]),
    );
  }

  /**
   * Opens a session for a decode graph (a model path, or ONNX bytes) of a model with `config`.
   * The graph must be built with `cacheOutputs: 'new'` (the session keeps the cache), or with
   * `'full'` when `device` is given (the cache stays on that device); it should be built with
   * `lastLogitsOnly` (a prefill then returns only what the session uses).
   */
  static async open(
    model: string | Uint8Array,
    config: ModelConfig,
    opts: DecodeSessionOptions & { device?: DeviceTransfer | null } = {},
  ): Promise<DecodeSession> {
    const ep = opts.executionProvider ?? 'cpu';
    const device = opts.device ?? null;
    const graphSampling = opts.sampling === 'graph';
    const locations = device ? { ...DeviceKvCache.outputLocations(config.numLayers), ...(graphSampling ? LAST_ON_DEVICE : {}) } : null;
    const session = await createSession(model, {
      executionProviders: ep === 'cpu' ? ['cpu'] : [ep, 'cpu'],
      ...(opts.intraOpNumThreads === undefined ? {} : { intraOpNumThreads: opts.intraOpNumThreads }),
      ...(locations ? { preferredOutputLocation: locations } : {}),
    });
    const sampler = graphSampling
      ? await GraphSampler.open({ vocabSize: config.vocabSize, hiddenSize: config.hiddenSize }, ep, device, opts.samplerPrecision)
      : null;
    return new DecodeSession(session, config, opts.capacityChunk ?? DEFAULT_CAPACITY_CHUNK, device, sampler);
  }

  /** A session for a model folder or loaded weights (building or reusing the decode graph it needs). */
  static async load(model: string | ModelWeights, opts: LoadDecoderOptions = {}): Promise<DecodeSession> {
    const source = typeof model === 'string' ? folderSource(model) : weightsSource(model);
    // The in-graph sampler's callers choose temperatures from the entropy, which only the graph can compute then.
    if (opts.sampling === 'graph' && opts.entropyOutput === false)
      throw new UserError("sampling: 'graph' needs the decode graph's entropy output (entropyOutput)");
    const device = opts.deviceState === false ? null : await DeviceTransfer.open(opts.executionProvider ?? 'cpu');
    const options: DecodeGraphOptions = {
      lastLogitsOnly: true,
      cacheOutputs: device ? 'full' : 'new',
      entropyOutput: opts.entropyOutput ?? true,
      paramInputs: opts.paramInputs ?? 'none',
    };
    // One protobuf holds at most 2 GiB, so bigger models always go through a file with external data.
    const weightBytes = expectedParameters(source.config).reduce((sum, p) => sum + 4 * p.dims.reduce((a, b) => a * b, 1), 0);
    const useCache = opts.cache ?? (typeof model === 'string' || weightBytes > IN_MEMORY_MAX_BYTES);
    if (useCache) {
      const { path } = cachedGraphPath(source, { kind: 'decode', options }, typeof useCache === 'object' ? useCache : {});
      return DecodeSession.open(path, source.config, { ...opts, device });
    }
    const graph = buildDecodeGraph(source.load(), options);
    if (weightBytes <= IN_MEMORY_MAX_BYTES) return DecodeSession.open(toModelBytes(graph), source.config, { ...opts, device });
    // Too big for one protobuf and not to be cached (e.g. weights rebuilt after every update):
    // through a temporary file with external data, removed once ONNX Runtime has loaded it.
    const dir = mkdtempSync(join(tmpdir(), 'introspect-decode-'));
    try {
      saveModel(graph, join(dir, 'model.onnx'), { externalData: true });
      return await DecodeSession.open(join(dir, 'model.onnx'), source.config, { ...opts, device });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  /** Rows in the batch. */
  get batchSize(): number {
    return this.padding.length;
  }

  /** Cache slots per row (prompt length, padding included, plus tokens decoded so far). */
  get length(): number {
    return this.slots;
  }

  /** Parameters that are graph inputs (fed by {@link setWeights}). */
  get weightInputs(): string[] {
    return [...this.paramInputs.keys()];
  }

  /**
   * Sets parameters that the graph takes as inputs (decode graphs built with `paramInputs`);
   * they are used by every later run until set again. All such inputs must be set before a run.
   * With device state, host arrays are uploaded once, before the next run; device tensors (a
   * trainer's weights on the same device) are used in place and stay owned by the caller.
   */
  setWeights(weights: ReadonlyMap<string, FloatTensor | ort.Tensor> | Record<string, FloatTensor | ort.Tensor>): void {
    const entries = weights instanceof Map ? [...weights] : Object.entries(weights);
    for (const [name, t] of entries as [string, FloatTensor | ort.Tensor][]) {
      const dims = this.paramInputs.get(name);
      if (!dims)
        throw new UserError(
          `the decode graph takes no parameter input named "${name}" (it takes: ${this.weightInputs.join(', ') || 'none'})`,
        );
      if (dims.length !== t.dims.length || dims.some((d, i) => d !== t.dims[i]))
        throw new UserError(`setWeights: "${name}" has shape [${t.dims}], expected [${dims}]`);
      const tensor = t instanceof ort.Tensor ? t : new ort.Tensor('float32', t.data, t.dims);
      if (onDevice(tensor) && !this.device)
        throw new UserError(`setWeights: "${name}" is a device tensor but this session keeps its weights on the host`);
      this.releaseUploaded(name);
      this.weightFeeds[name] = tensor;
      if (this.device && !onDevice(tensor)) this.pendingUploads.add(name);
    }
  }

  /** The tensors fed for the parameter inputs (device tensors with device state; for tests and reports). */
  get weightTensors(): ReadonlyMap<string, ort.Tensor> {
    return new Map(Object.entries(this.weightFeeds));
  }

  /** Starts a new batch: runs the prompts (left-padded to the longest) and returns each row's last position. */
  async prefill(promptIds: readonly (readonly number[])[]): Promise<DecodeOutput> {
    if (promptIds.length === 0) throw new UserError('prefill needs at least one prompt');
    if (promptIds.some((p) => p.length === 0)) throw new UserError('every prompt needs at least one token');
    const B = promptIds.length;
    const L = Math.max(...promptIds.map((p) => p.length));
    this.padding = promptIds.map((p) => L - p.length);
    // Padding slots are never attended to; token 0 is just a valid row of the embedding.
    const ids = new Array<number>(B * L).fill(0);
    const positions = new Array<number>(B * L).fill(0);
    promptIds.forEach((p, b) => {
      const pad = L - p.length;
      p.forEach((id, j) => {
        ids[b * L + pad + j] = id;
        positions[b * L + pad + j] = j; // cumsum(mask) - 1; padding slots stay at 0
      });
    });
    const { numKvHeads: kvh, headDim: hd } = this.config;
    if (this.deviceCache) this.deviceCache.reset(B);
    else
      this.cache = Array.from({ length: this.config.numLayers }, () => ({
        key: CacheBuffer.empty(B, kvh, hd),
        value: CacheBuffer.empty(B, kvh, hd),
      }));
    this.slots = 0;
    return this.run(new ort.Tensor('int64', I64(ids), [B, L]), new ort.Tensor('int64', I64(positions), [B, L]));
  }

  /** Appends one token to every row and returns each row's new last position. */
  async step(nextTokens: readonly number[]): Promise<DecodeOutput> {
    if (nextTokens.length !== this.batchSize)
      throw new UserError(`step got ${nextTokens.length} tokens for a batch of ${this.batchSize} rows`);
    const positions = this.padding.map((pad) => this.slots - pad); // real tokens so far
    return this.run(
      new ort.Tensor('int64', I64(nextTokens), [this.batchSize, 1]),
      new ort.Tensor('int64', I64(positions), [this.batchSize, 1]),
    );
  }

  /**
   * Keeps only the given rows (in the given order), e.g. to drop finished sequences so they stop
   * costing compute. Cache slots that are padding in every remaining row are dropped too.
   */
  keepRows(rows: readonly number[]): void {
    const B = this.batchSize;
    if (rows.some((r) => !Number.isInteger(r) || r < 0 || r >= B)) throw new UserError(`keepRows: row indices must be in [0, ${B})`);
    if (rows.length === 0) throw new UserError('keepRows: at least one row must remain (start a new batch with prefill instead)');
    const padding = rows.map((r) => this.padding[r] as number);
    const drop = Math.min(...padding);
    this.padding = padding.map((p) => p - drop);
    if (this.deviceCache) {
      // Runs on the device; the next run (or release) waits for it and sees its error, if any.
      const done = this.deviceCache.keepRows(rows, drop);
      done.catch(() => {});
      this.slots -= drop;
      this.pendingSelect = done;
      return;
    }
    const capacity = this.slots - drop + this.capacityChunk;
    this.cache = this.cache.map((kv) => ({
      key: kv.key.select(rows, drop, this.slots, capacity),
      value: kv.value.select(rows, drop, this.slots, capacity),
    }));
    this.slots -= drop;
  }

  /** A device-side row selection still running (see {@link keepRows}). */
  private pendingSelect: Promise<void> | null = null;

  /** Releases the ONNX Runtime session (and the device buffers it owns). */
  async release(): Promise<void> {
    await this.pendingSelect;
    for (const name of Object.keys(this.weightFeeds)) this.releaseUploaded(name);
    this.releaseDeviceOutputs();
    await this.deviceCache?.release();
    await this.sampler?.release();
    await this.session.release();
  }

  /** Weights this session uploaded itself are its own to release; handed-over device tensors are not. */
  private readonly uploaded = new Set<string>();

  private releaseUploaded(name: string): void {
    this.pendingUploads.delete(name);
    if (this.uploaded.delete(name)) this.weightFeeds[name]?.dispose();
  }

  private async uploadPending(): Promise<void> {
    for (const name of [...this.pendingUploads]) {
      this.weightFeeds[name] = await must(this.device, 'the device of pending uploads').upload(
        must(this.weightFeeds[name], `weight feed ${name}`),
      );
      this.uploaded.add(name);
      this.pendingUploads.delete(name);
    }
  }

  private releaseDeviceOutputs(): void {
    for (const t of this.deviceOutputs) t.dispose();
    this.deviceOutputs = [];
  }

  private async runOnDevice(inputIds: ort.Tensor, positionIds: ort.Tensor): Promise<DecodeOutput> {
    await this.pendingSelect;
    this.pendingSelect = null;
    await this.uploadPending();
    this.releaseDeviceOutputs();
    const B = this.batchSize;
    const S = inputIds.dims[1] as number;
    // [cache slots | new tokens], the cache exactly `slots` long.
    const width = this.slots + S;
    const mask = new BigInt64Array(B * width);
    this.padding.forEach((pad, b) => mask.fill(1n, b * width + pad, (b + 1) * width));
    const cache = must(this.deviceCache, 'the device KV cache');
    const out = await this.session.run({
      ...this.weightFeeds,
      ...cache.feeds(),
      input_ids: inputIds,
      attention_mask: new ort.Tensor('int64', mask, [B, width]),
      position_ids: positionIds,
    });
    cache.update(out);
    this.slots += S;
    this.device?.countReturned(out);
    const logits = out.logits as ort.Tensor;
    const hidden = out.last_hidden as ort.Tensor;
    if (onDevice(logits)) {
      this.deviceOutputs = [logits, hidden];
      return withEntropy(deviceOnly({ logits, hidden }), out, B);
    }
    return this.withTensors(withEntropy(lastPositions(logits, hidden, B), out, B), out);
  }

  private async run(inputIds: ort.Tensor, positionIds: ort.Tensor): Promise<DecodeOutput> {
    const missing = this.weightInputs.filter((n) => !this.weightFeeds[n]);
    if (missing.length > 0)
      throw new UserError(
        `set the decode graph's parameter inputs with setWeights() first (missing: ${missing.slice(0, 4).join(', ')}${missing.length > 4 ? ', ...' : ''})`,
      );
    if (this.deviceCache) return this.runOnDevice(inputIds, positionIds);
    const B = this.batchSize;
    const S = inputIds.dims[1] as number;
    const capacity = this.cache[0]?.key.capacity ?? 0;
    // [cache slots | new tokens]: a slot is visible when it is in use and not padding.
    const width = capacity + S;
    const mask = new BigInt64Array(B * width);
    this.padding.forEach((pad, b) => {
      mask.fill(1n, b * width + Math.min(pad, this.slots), b * width + this.slots);
      mask.fill(1n, b * width + capacity + Math.max(pad - this.slots, 0), (b + 1) * width);
    });
    const feeds: Record<string, ort.Tensor> = {
      ...this.weightFeeds,
      input_ids: inputIds,
      attention_mask: new ort.Tensor('int64', mask, [B, width]),
      position_ids: positionIds,
    };
    this.cache.forEach((kv, i) => {
      feeds[pastKeyName(i)] = kv.key.tensor();
      feeds[pastValueName(i)] = kv.value.tensor();
    });
    const out = await this.session.run(feeds);
    if (this.slots + S > capacity) {
      const grown = this.slots + S + this.capacityChunk;
      const all = [...Array(B).keys()];
      this.cache = this.cache.map((kv) => ({
        key: kv.key.select(all, 0, this.slots, grown),
        value: kv.value.select(all, 0, this.slots, grown),
      }));
    }
    this.cache.forEach((kv, i) => {
      kv.key.write((out[newKeyName(i)] as ort.Tensor).data as Float32Array, this.slots, S);
      kv.value.write((out[newValueName(i)] as ort.Tensor).data as Float32Array, this.slots, S);
    });
    this.slots += S;
    return this.withTensors(withEntropy(lastPositions(out.logits as ort.Tensor, out.last_hidden as ort.Tensor, B), out, B), out);
  }

  /** Adds the output tensors for the in-graph sampler (host tensors: the rows' views stay readable). */
  private withTensors(result: DecodeOutput, out: Record<string, ort.OnnxValue>): DecodeOutput {
    if (this.sampler) result.tensors = { logits: out.logits as ort.Tensor, hidden: out.last_hidden as ort.Tensor };
    return result;
  }
}

/** Output locations of a session whose last logits and hidden states stay on the device (in-graph sampling). */
const LAST_ON_DEVICE = { logits: 'gpu-buffer', last_hidden: 'gpu-buffer' } as const;

/** A result whose logits and hidden states are on the device only: reading them as host rows is a clear error. */
function deviceOnly(tensors: LastTensors): DecodeOutput {
  const onDeviceOnly = (): never => {
    throw new UserError(
      "the last logits and hidden states are on the device (sampling: graph); draw with the session's sampler instead of reading them",
    );
  };
  const result = { tensors } as DecodeOutput;
  Object.defineProperty(result, 'logits', { get: onDeviceOnly, enumerable: true });
  Object.defineProperty(result, 'hidden', { get: onDeviceOnly, enumerable: true });
  return result;
}

/** Adds each row's last-position entropy when the graph outputs it. */
function withEntropy(result: DecodeOutput, out: Record<string, ort.OnnxValue>, B: number): DecodeOutput {
  const entropy = out.entropy as ort.Tensor | undefined;
  if (entropy) {
    const [, E] = entropy.dims as [number, number];
    const values = entropy.data as Float32Array;
    result.entropy = E === 1 ? values : Float32Array.from({ length: B }, (_, b) => values[b * E + E - 1] ?? NaN);
  }
  return result;
}

/** Per-row views of the last position of `logits` [B, S|1, V] and `last_hidden` [B, S, H]. */
function lastPositions(logits: ort.Tensor, hidden: ort.Tensor, B: number): DecodeOutput {
  const rowsOf = (t: ort.Tensor): Float32Array[] => {
    const [, S, W] = t.dims as [number, number, number];
    const data = t.data as Float32Array;
    return Array.from({ length: B }, (_, b) => data.subarray((b * S + S - 1) * W, (b * S + S) * W));
  };
  return { logits: rowsOf(logits), hidden: rowsOf(hidden) };
}
