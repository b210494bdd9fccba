import { resolve } from 'node:path';
import { exportModel as exportGraphs } from '../model/export.js';
import { resolveModelDir } from '../model/hub.js';
import { must } from '../util/must.js';

export interface ExportOptions {
  /** a model folder or a Hub id (`org/name[@revision]`) */
  modelDir: string;
  outDir: string;
  /** `all`, `none`, or regexes over checkpoint parameter names. */
  trainable: 'all' | 'none' | string[];
}

export interface ExportResult {
  /** the export folder (load it with transformers.js or Optimum as it is) */
  outDir: string;
  /** the resolved model folder that was exported */
  modelDir: string;
  /** every file written */
  files: string[];
  /** the graph transformers.js and Optimum load */
  model: string;
  /** the trainable parameters the training graphs take */
  trainable: string[];
}

/**
 * Writes a folder that transformers.js and Optimum load as it is (`onnx/model.onnx`, config,
 * tokenizer), plus the training graphs and a manifest, for a model folder or Hub id.
 */
export async function exportModel(options: ExportOptions): Promise<ExportResult> {
  const modelDir = await resolveModelDir(options.modelDir);
  const { files, manifest } = exportGraphs({ modelDir, outDir: options.outDir, trainable: options.trainable });
  return {
    outDir: resolve(options.outDir),
    modelDir,
    files,
    model: must(files[0], 'the exported decode graph'),
    trainable: manifest.trainable,
  };
}
