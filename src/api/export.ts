import { CapabilityMissingError } from '../util/errors.js';

export interface ExportOptions {
  modelDir: string;
  outDir: string;
  /** `all`, `none`, or regexes over checkpoint parameter names. */
  trainable: 'all' | 'none' | string[];
}

/** Writes decode.onnx, train_ce.onnx, train_policy.onnx and a manifest for a Hugging Face model folder. */
export async function exportModel(_options: ExportOptions): Promise<{ files: string[] }> {
  throw new CapabilityMissingError('ONNX export of Hugging Face models (the model issue)');
}
