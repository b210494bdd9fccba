/**
 * The trainable parameters each architecture expects, named exactly as in Hugging Face checkpoints
 * and shaped as transformers stores them: `nn.Linear` weights are [out, in]; GPT-2's `Conv1D`
 * weights are [in, out]. The order is transformers' `named_parameters()` order, which is also the
 * order of the fixtures' `reference.json`. The lists themselves live with each architecture (arch/).
 */
import { architectures } from './arch/index.js';
import type { ModelConfig, ParamSpec } from './types.js';

export type { ParamSpec } from './types.js';

export function expectedParameters(config: ModelConfig): ParamSpec[] {
  return architectures.get(config.arch).parameters(config);
}

/** How many parameters (elements) the architecture's checkpoint has for this config. */
export function parameterCount(config: ModelConfig): number {
  return expectedParameters(config).reduce((n, p) => n + p.dims.reduce((a, b) => a * b, 1), 0);
}

/**
 * Models from this many parameters count as large for training: their training graphs get the
 * low-memory backward (train-graphs.ts) and their sessions run without ONNX Runtime's arena
 * (rl/token-update.ts), unless the job says otherwise. Measured: at 3M parameters the arena made an
 * update 25-30% faster; at 41.6M off ran as fast with a lower peak.
 */
export const LARGE_MODEL_PARAMETERS = 32e6;
