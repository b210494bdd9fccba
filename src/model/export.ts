/**
 * Exports a Hugging Face model folder as a folder that ONNX clients load as it is: the decode
 * graph as `onnx/model.onnx` (weights above 2 GiB in `onnx/model.onnx_data`) with Optimum's input,
 * output and dimension names, beside the model's own config.json, generation_config.json and
 * tokenizer files; this is the layout transformers.js and Optimum's ORTModelForCausalLM
 * (`subfolder="onnx"`) read. The training graphs introspect runs (see graphs/README.md for their
 * contract) go beside it in `onnx/`, and `manifest.json` describes each file's inputs and
 * outputs, the trainable parameters and the config hash, so other tools can run them without
 * introspect.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { type Dim, type Graph, type Value, UNKNOWN_DIM_PREFIX, saveModel } from '../onnx/index.js';
import { TOKENIZER_FILES, loadCheckpoint } from './checkpoint.js';
import type { ModelConfig } from './config.js';
import { configHash } from './graph-cache.js';
import { buildDecodeGraph, type DecodeGraphOptions } from './graphs/decode-graph.js';
import { type ParamSelection, selectionKey } from './graphs/params.js';
import { buildTrainGraph, trainableNames, type TrainGraphOptions } from './graphs/train-graphs.js';

export interface ExportModelOptions {
  modelDir: string;
  outDir: string;
  /** parameters the training graphs differentiate (default all) */
  trainable?: ParamSelection;
  /** options of the decode graph (default: every position's logits, all weights stored) */
  decode?: DecodeGraphOptions;
  /** loss options of train_policy.onnx (KL penalty, entropy bonus, entropy output) */
  policy?: Omit<TrainGraphOptions, 'trainable'>;
  /** weights in `<file>_data` beside each graph: 'auto' (default) only above one protobuf's 2 GiB */
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
  format: 2;
  model: { dir: string; arch: string; configHash: string };
  /** how the trainable set was chosen, and the names it selected (inputs of the training graphs) */
  trainableSelection: string;
  trainable: string[];
  graphs: Record<'decode' | 'train_ce' | 'train_policy' | 'score', ManifestGraph>;
  /** the model's own files copied beside the graphs (config, generation config, tokenizer) */
  modelFiles: string[];
}

/** Where each graph goes, relative to the export folder; `decode` is the one clients load. */
export const EXPORT_GRAPH_FILES: Record<keyof ExportManifest['graphs'], string> = {
  decode: 'onnx/model.onnx',
  train_ce: 'onnx/train_ce.onnx',
  train_policy: 'onnx/train_policy.onnx',
  score: 'onnx/score.onnx',
};

const ioSpec = (v: Value): IoSpec => ({
  name: v.name,
  dtype: v.dtype,
  shape: v.shape.map((d: Dim) => (typeof d === 'string' && d.startsWith(UNKNOWN_DIM_PREFIX) ? null : d)),
});

/** Writes the graphs, the model's config and tokenizer files, and manifest.json into `outDir`. */
export function exportModel(opts: ExportModelOptions): { files: string[]; manifest: ExportManifest } {
  const checkpoint = loadCheckpoint(opts.modelDir);
  const outDir = resolve(opts.outDir);
  mkdirSync(join(outDir, 'onnx'), { recursive: true });
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
    const path = join(outDir, EXPORT_GRAPH_FILES[name]);
    const written = saveModel(graph, path, {
      externalData: opts.externalData ?? 'auto',
      externalDataName: `${EXPORT_GRAPH_FILES[name].split('/').pop()!}_data`,
      producerName: 'introspect',
    });
    files.push(...written);
    graphs[name] = { files: written.map((f) => relative(outDir, f)), inputs: graph.inputs.map(ioSpec), outputs: graph.outputs.map(ioSpec) };
  }
  const modelFiles = copyModelFiles(checkpoint.dir, checkpoint.config, outDir, graphs.decode.files.length > 1);
  files.push(...modelFiles.map((f) => join(outDir, f)));
  const manifest: ExportManifest = {
    format: 2,
    model: { dir: checkpoint.dir, arch: checkpoint.config.arch, configHash: configHash(checkpoint.config) },
    trainableSelection: selectionKey(selection),
    trainable,
    graphs,
    modelFiles,
  };
  const manifestPath = join(outDir, 'manifest.json');
  writeFileSync(manifestPath, JSON.stringify(manifest, null, 2) + '\n');
  files.push(manifestPath);
  return { files, manifest };
}

/**
 * Copies config.json (telling transformers.js about external data, which in a browser it must
 * fetch itself), generation_config.json (written from config.json's token ids when the folder has
 * none) and the tokenizer files. Returns the names written.
 */
function copyModelFiles(modelDir: string, config: ModelConfig, outDir: string, externalData: boolean): string[] {
  const written: string[] = [];
  const configJson = JSON.parse(readFileSync(join(modelDir, 'config.json'), 'utf8')) as Record<string, unknown>;
  if (externalData) {
    const jsConfig = (configJson['transformers.js_config'] ?? {}) as Record<string, unknown>;
    configJson['transformers.js_config'] = { ...jsConfig, use_external_data_format: { 'model.onnx': 1 } };
  }
  writeFileSync(join(outDir, 'config.json'), JSON.stringify(configJson, null, 2) + '\n');
  written.push('config.json');
  if (existsSync(join(modelDir, 'generation_config.json'))) {
    copyFileSync(join(modelDir, 'generation_config.json'), join(outDir, 'generation_config.json'));
  } else {
    const { eosTokenIds } = config;
    const eos = eosTokenIds.length === 1 ? eosTokenIds[0] : eosTokenIds.length > 0 ? eosTokenIds : undefined;
    const generation = { bos_token_id: config.bosTokenId ?? undefined, eos_token_id: eos, pad_token_id: config.padTokenId ?? undefined };
    writeFileSync(join(outDir, 'generation_config.json'), JSON.stringify(generation, null, 2) + '\n');
  }
  written.push('generation_config.json');
  for (const name of TOKENIZER_FILES) {
    if (!existsSync(join(modelDir, name))) continue;
    copyFileSync(join(modelDir, name), join(outDir, name));
    written.push(name);
  }
  return written;
}
