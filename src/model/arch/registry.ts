/**
 * Everything that differs between the supported architectures, one registry entry each:
 * how their config.json names things, which parameters their checkpoints hold, and the parts of
 * the transformer graph that differ (embeddings, one decoder layer, the final norm).
 * Entries live in `llama.ts` (Llama, Qwen2, Qwen3) and `gpt2.ts`; `index.ts` registers them.
 */
import type { GraphBuilder, Value } from '../../onnx/index.js';
import { Registry } from '../../util/registry.js';
import type { ConfigFields } from '../config-fields.js';
import type { AttentionShared, KeyValue } from '../graphs/attention.js';
import type { GraphParams } from '../graphs/params.js';
import type { ArchFields, ArchName, ModelConfig, ParamSpec } from '../types.js';

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
  /** the architecture's parts of the transformer graph (graphs/transformer.ts assembles them) */
  graph: ArchGraph;
}

/** What one architecture's layers read while building. */
export interface BodyContext {
  g: GraphBuilder;
  config: ModelConfig;
  params: GraphParams;
  /** [B, S] as an int64 tensor (the shape of input_ids) */
  bs: Value;
  attention: AttentionShared;
}

/** The parts of the graph that differ between architectures. */
export interface ArchGraph {
  /** Input rows [N, H] for token ids [B, S] at positions [B, S]. */
  embed(ctx: BodyContext, inputIds: Value, positionIds: Value): Value;
  /** One decoder layer on rows [N, H]; returns the new rows and the layer's cache entry. */
  layer(ctx: BodyContext, index: number, x: Value, past: KeyValue | null): { x: Value; present: KeyValue };
  /** The norm after the last layer. */
  finalNorm(ctx: BodyContext, x: Value): Value;
  /** Checkpoint name of the [V, H] output projection (the embedding when tied). */
  lmHeadName(config: ModelConfig): string;
}

export const architectures = new Registry<ArchName, Architecture>('model_type');
