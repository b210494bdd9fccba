/**
 * Everything that differs between the supported architectures, one registry entry each:
 * how their config.json names things, and which parameters their checkpoints hold.
 * Entries live in `llama.ts` (Llama, Qwen2, Qwen3) and `gpt2.ts`; `index.ts` registers them.
 */
import { Registry } from '../../util/registry.js';
import type { ConfigFields } from '../config-fields.js';
import type { ArchFields, ArchName, ModelConfig } from '../config.js';
import type { ParamSpec } from '../parameters.js';

export interface Architecture {
  /** the `architectures` entry transformers uses to pick the model class */
  hfClass: string;
  /** reads this architecture's fields from config.json; refuses options introspect does not implement */
  readConfig(fields: ConfigFields): ArchFields;
  /** the config.json fields that describe `config` in this architecture's vocabulary (inverse of readConfig) */
  writeConfig(config: ModelConfig): Record<string, unknown>;
  /** expected parameters with their stored shapes, in transformers' `named_parameters()` order */
  parameters(config: ModelConfig): ParamSpec[];
  /** the canonical name for a checkpoint tensor name (older GPT-2 files omit `transformer.`) */
  canonicalName(name: string): string;
  /** tensors a checkpoint may contain that are not parameters (buffers, tied duplicates) */
  isIgnorable(name: string, config: ModelConfig): boolean;
}

export const architectures = new Registry<ArchName, Architecture>('model_type');
