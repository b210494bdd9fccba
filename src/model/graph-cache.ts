/**
 * Graphs built on demand and cached on disk, so a command does not rebuild (and re-differentiate)
 * the same graph every time it starts. A cached graph is keyed by everything that decides its
 * contents: the model config, the weights it stores (frozen parameters are initializers), which
 * graph, its options (trainable set, parameter inputs, losses), and {@link GRAPH_FORMAT_VERSION}.
 *
 * Layout: `<cache>/<key>/model.onnx` (+ `model.onnx.data`, the weights as ONNX external data, when
 * they exceed {@link EXTERNAL_DATA_MIN_BYTES}: encoding a large graph as one protobuf took minutes
 * and tripled the build's memory, while the graph without its weights encodes in a second), where
 * `<cache>` is `$INTROSPECT_CACHE_DIR/graphs` or `~/.cache/introspect/graphs`. Entries are
 * written into a temporary folder and renamed into place, so a reader never sees half a graph.
 * Nothing is evicted; delete the folder to reclaim space.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Graph, saveModel } from '../onnx/index.js';
import { loadCheckpoint } from './checkpoint.js';
import { type ModelConfig, readModelConfig } from './config.js';
import { expectedParameters } from './parameters.js';
import { buildDecodeGraph, type DecodeGraphOptions } from './graphs/decode-graph.js';
import { selectParams } from './graphs/params.js';
import {
  buildTrainGraph,
  defaultLowMemoryBackward,
  DEFAULT_RECOMPUTE_LOGITS,
  defaultVocabChunks,
  type ModelWeights,
  type TrainGraphKind,
  type TrainGraphOptions,
} from './graphs/train-graphs.js';

/**
 * Bump whenever a change to the graph builders changes what an existing cached graph would compute,
 * or how (4: gradients seeded instead of surrogate terms, runtime-sized zeros: the same values with
 * less memory; 5: the vocabulary terms keep the log-softmax, not the logits, and take dW and dh
 * over all rows at once), so that no cache keeps serving the old graph.
 */
export const GRAPH_FORMAT_VERSION = 5;

/** Graphs whose stored weights exceed this are cached with their weights in an external data file. */
export const EXTERNAL_DATA_MIN_BYTES = 64 * 2 ** 20;

/** Which graph to build, with its options. */
export type GraphSpec = { kind: 'decode'; options?: DecodeGraphOptions } | { kind: TrainGraphKind; options?: TrainGraphOptions };

/** Builds the graph a spec names. */
export function buildGraph(model: ModelWeights, spec: GraphSpec): Graph {
  return spec.kind === 'decode' ? buildDecodeGraph(model, spec.options) : buildTrainGraph(model, spec.kind, spec.options);
}

/** `$INTROSPECT_CACHE_DIR/graphs`, else `~/.cache/introspect/graphs`. */
export function graphCacheDir(): string {
  const root = process.env.INTROSPECT_CACHE_DIR;
  return root ? resolve(root, 'graphs') : join(homedir(), '.cache', 'introspect', 'graphs');
}

/** A short hash of a value's canonical JSON (object keys sorted). */
export function stableHash(value: unknown, length = 24): string {
  const canonical = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(canonical);
    if (v instanceof RegExp) return { regex: v.source, flags: v.flags };
    if (v && typeof v === 'object')
      return Object.fromEntries(
        Object.keys(v)
          .sort()
          .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
      );
    return v;
  };
  return createHash('sha256')
    .update(JSON.stringify(canonical(value)))
    .digest('hex')
    .slice(0, length);
}

/** A hash of the model's config.json as read (what the graph builders' ModelConfig comes from). */
export function configHash(config: ModelConfig): string {
  return stableHash(config.raw);
}

/**
 * Identifies the weights of a model folder without reading them: the path, name, size and
 * modification time of every weight file. Saving a checkpoint rewrites its files, which changes
 * their times, so a changed checkpoint never hits a stale graph.
 */
export function folderWeightsId(dir: string): string {
  const abs = resolve(dir);
  const files = readdirSync(abs)
    .filter((n) => n.endsWith('.safetensors') || n === 'model.safetensors.index.json')
    .sort()
    .map((n) => {
      const s = statSync(join(abs, n));
      return [n, s.size, s.mtimeMs];
    });
  return stableHash({ dir: abs, files });
}

/**
 * Identifies in-memory weights by their contents (for parameters that come from no folder).
 * `stored`, when given, limits it to the parameters a graph stores: the others are graph inputs,
 * so their values do not change the graph (a training graph with every parameter trainable needs
 * no hashing at all).
 */
export function contentWeightsId(model: ModelWeights, stored?: ReadonlySet<string>): string {
  const h = createHash('sha256');
  for (const p of expectedParameters(model.config)) {
    if (stored && !stored.has(p.name)) continue;
    const t = model.params.get(p.name);
    if (!t) continue;
    h.update(p.name).update(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  }
  return h.digest('hex').slice(0, 24);
}

/** Options resolved to what they mean (the regexes' matching names), so equal graphs share a key. */
function resolvedSpec(config: ModelConfig, spec: GraphSpec): unknown {
  const names = expectedParameters(config).map((p) => p.name);
  if (spec.kind === 'decode') {
    const o = spec.options ?? {};
    return {
      kind: 'decode',
      paramInputs: selectParams(names, o.paramInputs ?? 'none'),
      lastLogitsOnly: o.lastLogitsOnly === true,
      cacheOutputs: o.cacheOutputs ?? 'full',
      entropyOutput: o.entropyOutput === true,
    };
  }
  const o = spec.options ?? {};
  return {
    kind: spec.kind,
    trainable: selectParams(names, o.trainable ?? 'all'),
    klPenalty: o.klPenalty === true,
    entropyBonus: o.entropyBonus === true,
    entropyOutput: o.entropyOutput === true,
    vocabChunks: o.vocabChunks ?? defaultVocabChunks(config),
    recomputeLogits: o.recomputeLogits ?? DEFAULT_RECOMPUTE_LOGITS,
    lowMemoryBackward: o.lowMemoryBackward ?? defaultLowMemoryBackward(config),
    loss: spec.kind === 'policy' ? (o.loss ?? 'clipped') : null,
  };
}

/** The parameters a graph stores as initializers (the rest are its inputs). */
export function storedParams(config: ModelConfig, spec: GraphSpec): Set<string> {
  const names = expectedParameters(config).map((p) => p.name);
  const inputs = new Set(
    spec.kind === 'decode'
      ? selectParams(names, spec.options?.paramInputs ?? 'none')
      : selectParams(names, spec.options?.trainable ?? 'all'),
  );
  return new Set(names.filter((n) => !inputs.has(n)));
}

/** The cache key of a graph. */
export function graphKey(config: ModelConfig, weightsId: string, spec: GraphSpec): string {
  return stableHash({ version: GRAPH_FORMAT_VERSION, config: configHash(config), weights: weightsId, graph: resolvedSpec(config, spec) });
}

/**
 * What a graph is built from: the config and an identity of the weights (enough for the cache
 * key), and how to load the weights on a miss (so a hit never reads a checkpoint).
 */
export interface GraphSource {
  config: ModelConfig;
  /** the weights' identity; a function of the graph's stored parameters when it depends on them */
  weightsId: string | ((stored: ReadonlySet<string>) => string);
  load(): ModelWeights;
}

/** A model folder as a graph source: only config.json is read unless the graph must be built. */
export function folderSource(dir: string): GraphSource {
  return { config: readModelConfig(dir).config, weightsId: folderWeightsId(dir), load: () => loadCheckpoint(dir) };
}

/**
 * Loaded weights as a graph source, identified by their contents: they may have been changed in
 * memory since they were read from a folder, so the folder's identity would not do.
 */
export function weightsSource(model: ModelWeights): GraphSource {
  return { config: model.config, weightsId: (stored) => contentWeightsId(model, stored), load: () => model };
}

/** The identity of the weights a graph of `spec` stores. */
function weightsIdFor(source: GraphSource, spec: GraphSpec): string {
  return typeof source.weightsId === 'string' ? source.weightsId : source.weightsId(storedParams(source.config, spec));
}

/**
 * The path of the graph's .onnx file in the cache (default {@link graphCacheDir}), building and
 * saving it first on a miss. Load it with `createSession(path)`: external weight data, when the
 * weights needed it, lies beside it.
 */
export function cachedGraphPath(
  source: GraphSource,
  spec: GraphSpec,
  opts: { cacheDir?: string; externalDataMinBytes?: number } = {},
): { path: string; hit: boolean } {
  const weightsId = weightsIdFor(source, spec);
  const key = graphKey(source.config, weightsId, spec);
  const root = opts.cacheDir ?? graphCacheDir();
  const entry = join(root, key);
  const path = join(entry, 'model.onnx');
  if (existsSync(path)) return { path, hit: true };
  mkdirSync(root, { recursive: true });
  const temp = join(root, `${key}.tmp-${process.pid}-${Date.now()}`);
  mkdirSync(temp);
  try {
    const graph = buildGraph(source.load(), spec);
    const weightBytes = graph.initializers.reduce((sum, i) => sum + i.data.data.byteLength, 0);
    saveModel(graph, join(temp, 'model.onnx'), { externalData: weightBytes > (opts.externalDataMinBytes ?? EXTERNAL_DATA_MIN_BYTES) });
    const about = { version: GRAPH_FORMAT_VERSION, arch: source.config.arch, weightsId, graph: resolvedSpec(source.config, spec) };
    writeFileSync(join(temp, 'spec.json'), JSON.stringify(about, null, 1) + '\n');
    renameSync(temp, entry);
  } catch (error) {
    rmSync(temp, { recursive: true, force: true });
    // Another process finished the same entry first: use theirs.
    if (existsSync(path)) return { path, hit: true };
    throw error;
  }
  return { path, hit: false };
}
