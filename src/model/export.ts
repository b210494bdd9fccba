/**
 * Exports a Hugging Face model folder as the ONNX graphs introspect runs (see graphs/README.md
 * for their contract), plus `manifest.json` describing each file's inputs and outputs, the
 * trainable parameters and the config hash, so other tools can run them without introspect.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { type Dim, type Graph, type Value, UNKNOWN_DIM_PREFIX, saveModel } from '../onnx/index.js';
import { loadCheckpoint } from './checkpoint.js';
import { configHash } from './graph-cache.js';
import { buildDecodeGraph, type DecodeGraphOptions } from './graphs/decode-graph.js';
import { type ParamSelection, selectionKey } from './graphs/params.js';
import { buildTrainGraph, trainableNames, type TrainGraphOptions } from './graphs/train-graphs.js';

export interface ExportModelOptions {
  modelDir: string;
  outDir: string;
  /** parameters the training graphs differentiate (default all) */
  trainable?: ParamSelection;
  /** options of decode.onnx (default: every position's logits, all weights stored) */
  decode?: DecodeGraphOptions;
  /** loss options of train_policy.onnx (KL penalty, entropy bonus, entropy output) */
  policy?: Omit<TrainGraphOptions, 'trainable'>;
  /** weights in `<file>.data` beside each graph: 'auto' (default) only above one protobuf's 2 GiB */
  externalData?: boolean | 'auto';
}

/** One graph input or output: symbolic dims are names, unknown ones null. */
export interface IoSpec {
  name: string;
  dtype: string;
  shape: (number | string | null)[];
}

export interface ManifestGraph {
  /** files of this graph, relative to the manifest (the .onnx first) */
  files: string[];
  inputs: IoSpec[];
  outputs: IoSpec[];
}

export interface ExportManifest {
  format: 1;
  model: { dir: string; arch: string; configHash: string };
  /** how the trainable set was chosen, and the names it selected (inputs of the training graphs) */
  trainableSelection: string;
  trainable: string[];
  graphs: Record<'decode' | 'train_ce' | 'train_policy' | 'score', ManifestGraph>;
}

const ioSpec = (v: Value): IoSpec => ({
  name: v.name,
  dtype: v.dtype,
  shape: v.shape.map((d: Dim) => (typeof d === 'string' && d.startsWith(UNKNOWN_DIM_PREFIX) ? null : d)),
});

/** Writes decode.onnx, train_ce.onnx, train_policy.onnx, score.onnx and manifest.json into `outDir`. */
export function exportModel(opts: ExportModelOptions): { files: string[]; manifest: ExportManifest } {
  const checkpoint = loadCheckpoint(opts.modelDir);
  const outDir = resolve(opts.outDir);
  mkdirSync(outDir, { recursive: true });
  const selection = opts.trainable ?? 'all';
  const trainable = trainableNames(checkpoint.config, selection);
  const builders: Record<keyof ExportManifest['graphs'], () => Graph> = {
    decode: () => buildDecodeGraph(checkpoint, opts.decode),
    train_ce: () => buildTrainGraph(checkpoint, 'ce', { trainable: selection }),
    train_policy: () => buildTrainGraph(checkpoint, 'policy', { ...opts.policy, trainable: selection }),
    score: () => buildTrainGraph(checkpoint, 'score', { trainable: selection }),
  };
  const graphs = {} as ExportManifest['graphs'];
  const files: string[] = [];
  for (const [name, build] of Object.entries(builders) as [keyof ExportManifest['graphs'], () => Graph][]) {
    // One graph at a time, so only one copy of the graph structure is alive next to the weights.
    const graph = build();
    const written = saveModel(graph, join(outDir, `${name}.onnx`), { externalData: opts.externalData ?? 'auto', producerName: 'introspect' });
    files.push(...written);
    graphs[name] = { files: written.map((f) => basename(f)), inputs: graph.inputs.map(ioSpec), outputs: graph.outputs.map(ioSpec) };
  }
  const manifest: ExportManifest = {
    format: 1,
    model: { dir: checkpoint.dir, arch: checkpoint.config.arch, configHash: configHash(checkpoint.config) },
    trainableSelection: selectionKey(selection),
    trainable,
    graphs,
  };
  const manifestPath = join(outDir, 'manifest.json');
  writeFileSync(manifestPath, JSON.stringify(manifest, null, 2) + '\n');
  files.push(manifestPath);
  return { files, manifest };
}
