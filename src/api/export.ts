import { exportModel as exportGraphs } from '../model/export.js';

export interface ExportOptions {
  modelDir: string;
  outDir: string;
  /** `all`, `none`, or regexes over checkpoint parameter names. */
  trainable: 'all' | 'none' | string[];
}

/** Writes decode.onnx, train_ce.onnx, train_policy.onnx, score.onnx and a manifest for a Hugging Face model folder. */
export async function exportModel(options: ExportOptions): Promise<{ files: string[] }> {
  const { files } = exportGraphs({ modelDir: options.modelDir, outDir: options.outDir, trainable: options.trainable });
  return { files };
}
