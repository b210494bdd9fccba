/**
 * The key/value cache of a {@link DecodeSession} kept on the execution provider's device: the
 * decode graph returns the whole cache (`cacheOutputs: 'full'`, past and new entries
 * concatenated) into device buffers, and the next step feeds those buffers back as its past.
 * Nothing of the cache crosses to the host; the per-step concatenation is a device-side copy.
 *
 * Dropping rows (finished sequences) and leading all-padding slots is a small gather/slice graph
 * run on the device as well.
 */
import * as ort from 'onnxruntime-node';
import { GraphBuilder, toModelBytes, type Value } from '../onnx/index.js';
import { pastKeyName, pastValueName, presentKeyName, presentValueName } from './graphs/decode-graph.js';
import { at } from '../util/must.js';

export class DeviceKvCache {
  /** per layer: key then value, [B, kvh, slots, hd] device tensors; empty host tensors before a prefill */
  private tensors: ort.Tensor[] = [];
  private select: Promise<ort.InferenceSession> | null = null;

  constructor(
    readonly executionProvider: string,
    readonly numLayers: number,
    readonly kvHeads: number,
    readonly headDim: number,
  ) {}

  /** Output locations for a decode session whose cache stays here (everything else comes to the host). */
  static outputLocations(numLayers: number): Record<string, 'gpu-buffer'> {
    const out: Record<string, 'gpu-buffer'> = {};
    for (let i = 0; i < numLayers; i++) {
      out[presentKeyName(i)] = 'gpu-buffer';
      out[presentValueName(i)] = 'gpu-buffer';
    }
    return out;
  }

  /** Starts an empty cache for `batch` rows. */
  reset(batch: number): void {
    this.dispose();
    const empty = () => new ort.Tensor('float32', new Float32Array(0), [batch, this.kvHeads, 0, this.headDim]);
    this.tensors = Array.from({ length: 2 * this.numLayers }, empty);
  }

  /** The past_key_values feeds of the next run. */
  feeds(): Record<string, ort.Tensor> {
    const feeds: Record<string, ort.Tensor> = {};
    for (let i = 0; i < this.numLayers; i++) {
      feeds[pastKeyName(i)] = at(this.tensors, 2 * i, 'past keys and values');
      feeds[pastValueName(i)] = at(this.tensors, 2 * i + 1, 'past keys and values');
    }
    return feeds;
  }

  /** Takes a run's `present` outputs as the cache (the previous buffers are released). */
  update(outputs: Record<string, ort.OnnxValue>): void {
    const next: ort.Tensor[] = [];
    for (let i = 0; i < this.numLayers; i++)
      next.push(outputs[presentKeyName(i)] as ort.Tensor, outputs[presentValueName(i)] as ort.Tensor);
    this.dispose();
    this.tensors = next;
  }

  /** Keeps rows `rows` (in order) and slots [from, end) of every layer, on the device. */
  async keepRows(rows: readonly number[], from: number): Promise<void> {
    const session = await (this.select ??= this.openSelect());
    const feeds: Record<string, ort.Tensor> = {
      rows: new ort.Tensor(
        'int64',
        BigInt64Array.from(rows, (r) => BigInt(r)),
        [rows.length],
      ),
      from: new ort.Tensor('int64', BigInt64Array.of(BigInt(from)), [1]),
    };
    this.tensors.forEach((t, i) => (feeds[`in${i}`] = t));
    const out = await session.run(feeds);
    const next = this.tensors.map((_, i) => out[`out${i}`] as ort.Tensor);
    this.dispose();
    this.tensors = next;
  }

  /** Releases the device buffers (and the row-selection session). */
  dispose(): void {
    for (const t of this.tensors) if (t.location === 'gpu-buffer') t.dispose();
    this.tensors = [];
  }

  async release(): Promise<void> {
    this.dispose();
    if (this.select) await (await this.select).release();
    this.select = null;
  }

  private openSelect(): Promise<ort.InferenceSession> {
    const g = new GraphBuilder('kv_select');
    const rows = g.input('rows', 'int64', ['rows']);
    const from = g.input('from', 'int64', [1]);
    const n = 2 * this.numLayers;
    for (let i = 0; i < n; i++) {
      const x = g.input(`in${i}`, 'float32', ['batch', this.kvHeads, 'slots', this.headDim]);
      const kept: Value = g.slice(g.gather(x, rows, { axis: 0 }), { starts: from, ends: [2 ** 62], axes: [2] });
      g.output(kept, `out${i}`);
    }
    return ort.InferenceSession.create(toModelBytes(g.build()), {
      executionProviders: [this.executionProvider],
      preferredOutputLocation: 'gpu-buffer',
      logSeverityLevel: 3,
    });
  }
}
