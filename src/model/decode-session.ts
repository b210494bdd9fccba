/**
 * A batch of sequences decoded together over a decode graph's key/value cache: prefill the
 * prompts once, then one token per row per step. The cache is kept as ONNX Runtime tensors (the
 * `present.*` outputs of one run are the `past_key_values.*` inputs of the next, without a copy).
 *
 * Prompts are left-padded to the longest one; padding slots are masked out of attention and do
 * not count as positions (position = number of real tokens before it, as transformers derives
 * position ids from the attention mask), so a row decodes exactly as it would alone.
 */
import * as ort from 'onnxruntime-node';
import { UserError } from '../util/errors.js';
import { createSession, toModelBytes } from '../onnx/index.js';
import type { ModelConfig } from './config.js';
import { cachedGraphPath, folderSource, weightsSource } from './graph-cache.js';
import { buildDecodeGraph, pastKeyName, pastValueName, presentKeyName, presentValueName } from './graphs/decode-graph.js';
import type { ParamSelection } from './graphs/params.js';
import type { ModelWeights } from './graphs/train-graphs.js';
import { expectedParameters } from './parameters.js';
import type { FloatTensor } from './safetensors.js';

/** Where the graph runs: ONNX Runtime execution provider names ('cpu', 'cuda', 'webgpu', ...). */
export type ExecutionProvider = 'cpu' | 'cuda' | 'webgpu' | (string & {});

export interface DecodeSessionOptions {
  executionProvider?: ExecutionProvider;
  /** threads per operator (ONNX Runtime's default, one per core, when omitted) */
  intraOpNumThreads?: number;
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
}

/** Largest weights loaded from memory rather than from a cached file (one protobuf's limit, with headroom). */
const IN_MEMORY_MAX_BYTES = 2 ** 31 - 2 ** 26;

const I64 = (values: ArrayLike<number>): BigInt64Array => BigInt64Array.from(values as ArrayLike<number>, (v) => BigInt(v));

export class DecodeSession {
  /** Cache per layer, [B, kvh, T, hd] each; T counts padding slots. */
  private past: { key: ort.Tensor; value: ort.Tensor }[] = [];
  /** Leading padding slots of each row. */
  private padding: number[] = [];
  /** Cache slots T (the same for every row). */
  private slots = 0;
  private readonly weightFeeds: Record<string, ort.Tensor> = {};
  /** parameters the graph takes as inputs, with their checkpoint shapes */
  private readonly paramInputs: Map<string, readonly number[]>;

  private constructor(
    readonly session: ort.InferenceSession,
    readonly config: ModelConfig,
  ) {
    const inputs = new Set(session.inputNames);
    this.paramInputs = new Map(expectedParameters(config).filter((p) => inputs.has(p.name)).map((p) => [p.name, p.dims]));
  }

  /**
   * Opens a session for a decode graph (a model path, or ONNX bytes) of a model with `config`.
   * Build the graph with `lastLogitsOnly` unless every position's logits are wanted: a prefill
   * then returns only what the session uses.
   */
  static async open(model: string | Uint8Array, config: ModelConfig, opts: DecodeSessionOptions = {}): Promise<DecodeSession> {
    const ep = opts.executionProvider ?? 'cpu';
    const session = await createSession(model, {
      executionProviders: ep === 'cpu' ? ['cpu'] : [ep, 'cpu'],
      ...(opts.intraOpNumThreads === undefined ? {} : { intraOpNumThreads: opts.intraOpNumThreads }),
    });
    return new DecodeSession(session, config);
  }

  /**
   * A session for a model folder or loaded weights, over a decode graph that computes logits for
   * the last position only (all a decode loop reads).
   */
  static async load(model: string | ModelWeights, opts: LoadDecoderOptions = {}): Promise<DecodeSession> {
    const source = typeof model === 'string' ? folderSource(model) : weightsSource(model);
    const options = { lastLogitsOnly: true, paramInputs: opts.paramInputs ?? 'none' };
    // One protobuf holds at most 2 GiB, so bigger models always go through a file with external data.
    const weightBytes = expectedParameters(source.config).reduce((sum, p) => sum + 4 * p.dims.reduce((a, b) => a * b, 1), 0);
    const useCache = opts.cache ?? (typeof model === 'string' || weightBytes > IN_MEMORY_MAX_BYTES);
    if (useCache) {
      const { path } = cachedGraphPath(source, { kind: 'decode', options }, typeof useCache === 'object' ? useCache : {});
      return DecodeSession.open(path, source.config, opts);
    }
    return DecodeSession.open(toModelBytes(buildDecodeGraph(source.load(), options)), source.config, opts);
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
   */
  setWeights(weights: ReadonlyMap<string, FloatTensor> | Record<string, FloatTensor>): void {
    const entries = weights instanceof Map ? [...weights] : Object.entries(weights);
    for (const [name, t] of entries as [string, FloatTensor][]) {
      const dims = this.paramInputs.get(name);
      if (!dims) throw new UserError(`the decode graph takes no parameter input named "${name}" (it takes: ${this.weightInputs.join(', ') || 'none'})`);
      if (dims.length !== t.dims.length || dims.some((d, i) => d !== t.dims[i])) throw new UserError(`setWeights: "${name}" has shape [${t.dims}], expected [${dims}]`);
      this.weightFeeds[name] = new ort.Tensor('float32', t.data, t.dims);
    }
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
    const { numKvHeads, headDim } = this.config;
    const empty = new ort.Tensor('float32', new Float32Array(0), [B, numKvHeads, 0, headDim]);
    this.past = Array.from({ length: this.config.numLayers }, () => ({ key: empty, value: empty }));
    this.slots = 0;
    return this.run(new ort.Tensor('int64', I64(ids), [B, L]), new ort.Tensor('int64', I64(positions), [B, L]));
  }

  /** Appends one token to every row and returns each row's new last position. */
  async step(nextTokens: readonly number[]): Promise<DecodeOutput> {
    if (nextTokens.length !== this.batchSize) throw new UserError(`step got ${nextTokens.length} tokens for a batch of ${this.batchSize} rows`);
    const positions = this.padding.map((pad) => this.slots - pad); // real tokens so far
    return this.run(new ort.Tensor('int64', I64(nextTokens), [this.batchSize, 1]), new ort.Tensor('int64', I64(positions), [this.batchSize, 1]));
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
    const { numKvHeads: kvh, headDim: hd } = this.config;
    const T = this.slots;
    const kept = T - drop;
    const select = (t: ort.Tensor): ort.Tensor => {
      const src = t.data as Float32Array;
      const out = new Float32Array(rows.length * kvh * kept * hd);
      rows.forEach((r, i) => {
        for (let h = 0; h < kvh; h++) {
          // [B, kvh, T, hd]: one head's slots drop..T are contiguous
          const from = ((r * kvh + h) * T + drop) * hd;
          out.set(src.subarray(from, from + kept * hd), (i * kvh + h) * kept * hd);
        }
      });
      return new ort.Tensor('float32', out, [rows.length, kvh, kept, hd]);
    };
    this.past = this.past.map((kv) => ({ key: select(kv.key), value: select(kv.value) }));
    this.padding = padding.map((p) => p - drop);
    this.slots = kept;
  }

  /** Releases the ONNX Runtime session. */
  async release(): Promise<void> {
    await this.session.release();
  }

  private async run(inputIds: ort.Tensor, positionIds: ort.Tensor): Promise<DecodeOutput> {
    const missing = this.weightInputs.filter((n) => !this.weightFeeds[n]);
    if (missing.length > 0) throw new UserError(`set the decode graph's parameter inputs with setWeights() first (missing: ${missing.slice(0, 4).join(', ')}${missing.length > 4 ? ', ...' : ''})`);
    const B = this.batchSize;
    const S = inputIds.dims[1] as number;
    const total = this.slots + S;
    const mask = new BigInt64Array(B * total);
    this.padding.forEach((pad, b) => mask.fill(1n, b * total + pad, (b + 1) * total));
    const feeds: Record<string, ort.Tensor> = {
      ...this.weightFeeds,
      input_ids: inputIds,
      attention_mask: new ort.Tensor('int64', mask, [B, total]),
      position_ids: positionIds,
    };
    this.past.forEach((kv, i) => {
      feeds[pastKeyName(i)] = kv.key;
      feeds[pastValueName(i)] = kv.value;
    });
    const out = await this.session.run(feeds);
    this.past = this.past.map((_, i) => ({ key: out[presentKeyName(i)] as ort.Tensor, value: out[presentValueName(i)] as ort.Tensor }));
    this.slots = total;
    return lastPositions(out.logits as ort.Tensor, out.last_hidden as ort.Tensor, B);
  }
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
