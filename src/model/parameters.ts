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
