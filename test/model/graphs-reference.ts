/**
 * Shared by the graph, decode and export tests: the Hugging Face fixtures' reference tensors
 * (computed by transformers in float64, see ../shared/fixtures/hf/README.md), feeds for the
 * graphs, and error measures.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { type Checkpoint, loadCheckpoint } from '../../src/model/checkpoint.js';
import { parseModelConfig } from '../../src/model/config.js';
import { expectedParameters } from '../../src/model/parameters.js';
import { SafetensorsFile } from '../../src/model/safetensors.js';
import type { ModelWeights } from '../../src/model/graphs/train-graphs.js';
import { type Graph, createSession } from '../../src/onnx/index.js';
import { type FixtureName, fixtureDir } from '../helpers/paths.js';

export interface Reference {
  name: FixtureName;
  checkpoint: Checkpoint;
  json: { ce_loss: number; pg_loss: number; param_names: string[] };
  /** [2, 16] as rows */
  ids: number[][];
  logits: Float32Array;
  lastHidden: Float32Array;
  /** [2, 16]: ids[:, :6] then 10 greedy tokens */
  greedy: number[][];
  /** [2, 15] temperatures of positions 1..15 */
  temps: Float32Array;
  adv: Float32Array;
  tensor(name: string): Float32Array;
}

const B = 2;
const T = 16;
const cache = new Map<FixtureName, Reference>();

export function loadReference(name: FixtureName): Reference {
  const hit = cache.get(name);
  if (hit) return hit;
  const dir = fixtureDir(name);
  const file = SafetensorsFile.open(join(dir, 'reference.safetensors'));
  try {
    const rows = (t: string): number[][] => {
      const flat = Array.from(file.read(t).data as BigInt64Array, Number);
      return [flat.slice(0, T), flat.slice(T, 2 * T)];
    };
    const tensors = new Map<string, Float32Array>();
    for (const t of file.tensors.keys()) if (t !== 'input_ids' && t !== 'greedy') tensors.set(t, file.readFloat32(t).data);
    const get = (t: string): Float32Array => {
      const v = tensors.get(t);
      if (!v) throw new Error(`${name}: no reference tensor ${t}`);
      return v;
    };
    const ref: Reference = {
      name,
      checkpoint: loadCheckpoint(dir),
      json: JSON.parse(readFileSync(join(dir, 'reference.json'), 'utf8')),
      ids: rows('input_ids'),
      logits: get('logits'),
      lastHidden: get('last_hidden'),
      greedy: rows('greedy'),
      temps: get('temps'),
      adv: get('adv'),
      tensor: get,
    };
    cache.set(name, ref);
    return ref;
  } finally {
    file.close();
  }
}

export const i64 = (values: readonly number[], dims: number[]): ort.Tensor =>
  new ort.Tensor(
    'int64',
    BigInt64Array.from(values, (v) => BigInt(v)),
    dims,
  );
export const f32 = (values: ArrayLike<number>, dims: number[]): ort.Tensor => new ort.Tensor('float32', Float32Array.from(values), dims);
export const scalar = (v: number): ort.Tensor => new ort.Tensor('float32', new Float32Array([v]), []);

/** Feeds shared by the training graphs for the fixture batch (no padding). */
export function trainFeeds(ref: Reference): Record<string, ort.Tensor> {
  const temperatures = new Float32Array(B * T).fill(1);
  for (let b = 0; b < B; b++) for (let t = 1; t < T; t++) temperatures[b * T + t] = ref.temps[b * (T - 1) + t - 1] as number;
  return {
    input_ids: i64(ref.ids.flat(), [B, T]),
    attention_mask: i64(new Array<number>(B * T).fill(1), [B, T]),
    // position 0 predicts nothing: the graphs ignore it whatever its weight (1 here on purpose)
    loss_mask: f32(new Array<number>(B * T).fill(1), [B, T]),
    temperatures: new ort.Tensor('float32', temperatures, [B, T]),
  };
}

/** Every parameter of the checkpoint as a feed (the graph picks the ones it takes as inputs). */
export function paramFeeds(model: ModelWeights, names?: readonly string[]): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const name of names ?? [...model.params.keys()]) {
    const t = model.params.get(name);
    if (!t) throw new Error(`no parameter ${name}`);
    feeds[name] = new ort.Tensor('float32', t.data, t.dims);
  }
  return feeds;
}

/** Runs a graph once with the feeds it takes (extra feeds are dropped). */
export async function runGraph(
  graph: Graph | ort.InferenceSession,
  feeds: Record<string, ort.Tensor>,
): Promise<Record<string, ort.Tensor>> {
  const session = 'inputNames' in graph ? graph : await createSession(graph);
  const used = Object.fromEntries(
    session.inputNames.map((n) => {
      const f = feeds[n];
      if (!f) throw new Error(`no feed for graph input ${n}`);
      return [n, f];
    }),
  );
  return session.run(used);
}

export const data = (t: ort.Tensor | undefined): Float32Array => {
  if (!t) throw new Error('missing output');
  return t.data as Float32Array;
};

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

/** ||a - b|| / ||b|| */
export function relL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < a.length; i++) {
    diff += ((a[i] as number) - (b[i] as number)) ** 2;
    norm += (b[i] as number) ** 2;
  }
  return Math.sqrt(diff / norm);
}

/** A random qwen2-like model (for sizes the fixtures do not cover); deterministic for a seed. */
export function syntheticQwen2(overrides: Record<string, unknown>, seed = 1): ModelWeights {
  const config = parseModelConfig({
    model_type: 'qwen2',
    vocab_size: 512,
    hidden_size: 64,
    intermediate_size: 128,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    tie_word_embeddings: true,
    rope_theta: 10000,
    ...overrides,
  });
  let state = seed;
  const next = (): number => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648 - 0.5;
  };
  const params = new Map<string, { data: Float32Array; dims: number[] }>();
  for (const p of expectedParameters(config)) {
    const n = p.dims.reduce((a, b) => a * b, 1);
    const isNorm = p.dims.length === 1 && !p.name.endsWith('.bias');
    params.set(p.name, { data: Float32Array.from({ length: n }, () => (isNorm ? 1 + 0.2 * next() : 0.1 * next())), dims: p.dims });
  }
  return { config, params };
}
