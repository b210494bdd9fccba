/**
 * The one way the trainer and evaluation open a model for rollouts: the checkpoint's config, its
 * tokenizer, a KV-cache decoder behind the engine's {@link BatchDecoder} interface, how a task's
 * question becomes prompt tokens. (The temperature head a job describes is opened by
 * `openTemperatureHead` in policy/head/open.ts.)
 */
import { existsSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { join } from 'node:path';
import type { JobConfig } from '../config/index.js';
import { loadCheckpoint, type Checkpoint } from '../model/checkpoint.js';
import type { ModelConfig } from '../model/config.js';
import { DecodeSession } from '../model/decode-session.js';
import type { ParamSelection } from '../model/graphs/params.js';
import type { SamplerPrecision } from '../model/graphs/sampler-graph.js';
import type { FloatTensor } from '../model/safetensors.js';
import { ModelTokenizer } from '../model/tokenizer.js';
import { BOXED_INSTRUCTION, buildChatMessages } from '../tasks/index.js';
import { UserError } from '../util/errors.js';
import { at } from '../util/must.js';
import type { BatchDecoder } from './types.js';
import type { ExecutionProviderName } from '../onnx/index.js';

export interface OpenPolicyModelOptions {
  /** a local Hugging Face model folder (resolve Hub ids first with `resolveModelDir`) */
  modelDir: string;
  executionProvider?: ExecutionProviderName;
  /** ONNX Runtime intra-op threads; 0 or undefined lets ONNX Runtime choose */
  threads?: number;
  /**
   * Checkpoint names of the parameters the caller will update between rollouts ({@link PolicyModel.setWeights}):
   * the decode graph takes them as inputs; every other parameter is baked into the graph.
   */
  trainableParams?: readonly string[];
  /** the folder's checkpoint when the caller has loaded it already (saves reading the weights twice) */
  checkpoint?: Checkpoint;
  /**
   * How {@link PolicyModel.setWeights} reaches the decode graph. `bake` (default): the session is
   * rebuilt with every weight stored in the graph, which ONNX Runtime prepacks for its matrix
   * kernels (weights fed as inputs are repacked at every run, which cost 10-31% of rollout
   * throughput); a rebuild per token phase costs a graph build and a session load. `inputs`: the
   * trainable parameters are graph inputs, fed without a rebuild.
   */
  weightUpdates?: 'bake' | 'inputs';
  /** the longest one text may take to tokenize and one chat template to render (`model.tokenizerTimeoutMs`) */
  tokenizerTimeoutMs?: number;
  /** where tokens are drawn (`rollout.sampler` resolved by `samplingOf`; default host): see DecodeSessionOptions.sampling */
  sampling?: 'host' | 'graph';
  /** the sampler graph's float type (default: the provider's, see DecodeSessionOptions.samplerPrecision) */
  samplerPrecision?: SamplerPrecision;
}

/** How a question becomes a prompt. */
export interface PromptOptions {
  /** the task's plain-text template, used when the tokenizer has no chat template */
  plainPrompt: (question: string) => string;
  /** chat models: the system message (default none) */
  systemPrompt?: string;
  /** chat models: appended to the question (default the \boxed{} instruction the verifier reads) */
  instruction?: string;
  /**
   * Tokens the rollout will add: prompt plus this must fit the model's positions
   * (max_position_embeddings), else encoding fails with a clear error rather than an
   * allocation of the whole attention for an impossible length.
   */
  maxNewTokens?: number;
  /** keep the last tokens of a prompt that does not fit, instead of failing (`rollout.truncatePrompts`) */
  truncate?: boolean;
}

/** Parameter values by checkpoint name (the arrays are used as they are, not copied), or device tensors. */
export type WeightMap =
  | ReadonlyMap<string, { readonly data: Float32Array; readonly dims: readonly number[] } | ort.Tensor>
  | Readonly<Record<string, { readonly data: Float32Array; readonly dims: readonly number[] } | ort.Tensor>>;

/** An opened model, ready for {@link generateRollouts}. */
export interface PolicyModel {
  readonly modelDir: string;
  readonly config: ModelConfig;
  readonly tokenizer: ModelTokenizer;
  readonly decoder: BatchDecoder;
  /** generation stops at any of these: the model's EOS ids and the tokenizer's eos_token */
  readonly eosTokenIds: readonly number[];
  /** the initial values of `trainableParams`, as loaded from the checkpoint */
  readonly trainableWeights: ReadonlyMap<string, FloatTensor>;
  /** true when prompts are rendered with the tokenizer's chat template */
  readonly usesChatTemplate: boolean;
  /** The prompt's token ids: the chat template when the tokenizer has one, else the task's plain template. */
  encodePrompt(question: string, options: PromptOptions): number[];
  /** {@link encodePrompt} of each question, tokenized together (a batch of prompts costs no more than its prompts). */
  encodePrompts(questions: readonly string[], options: PromptOptions): number[][];
  /** The text of generated ids, special tokens (EOS) left out: what the verifier grades. */
  decodeText(ids: readonly number[]): string;
  /** The text of each token on its own, special tokens included (for per-token records). */
  tokenTexts(ids: readonly number[]): string[];
  /** Gives the decode graph new values of trainable parameters; used by every later rollout. */
  setWeights(weights: WeightMap): Promise<void>;
  dispose(): Promise<void>;
}

/** The options of {@link openPolicyModel} that a job's `model` section sets. */
export function jobModelOptions(
  model: JobConfig['model'],
): Pick<OpenPolicyModelOptions, 'executionProvider' | 'threads' | 'tokenizerTimeoutMs'> {
  return {
    executionProvider: model.executionProvider,
    threads: model.threads,
    ...(model.tokenizerTimeoutMs !== undefined ? { tokenizerTimeoutMs: model.tokenizerTimeoutMs } : {}),
  };
}

/** Opens a model folder for rollouts (see {@link PolicyModel}). */
export async function openPolicyModel(options: OpenPolicyModelOptions): Promise<PolicyModel> {
  const { modelDir } = options;
  if (!existsSync(join(modelDir, 'tokenizer.json'))) {
    throw new UserError(`model folder ${modelDir} has no tokenizer.json; rollouts need a tokenizer to build prompts and read answers`);
  }
  const tokenizer = ModelTokenizer.load(
    modelDir,
    options.tokenizerTimeoutMs !== undefined ? { timeoutMs: options.tokenizerTimeoutMs } : {},
  );
  const checkpoint = options.checkpoint ?? loadCheckpoint(modelDir);
  const trainable = options.trainableParams ?? [];
  const unknown = trainable.filter((name) => !checkpoint.params.has(name));
  if (unknown.length > 0) throw new UserError(`trainable parameters not in ${modelDir}: ${unknown.slice(0, 4).join(', ')}`);
  const mode = options.weightUpdates ?? 'bake';
  const sessionOptions = {
    executionProvider: options.executionProvider ?? 'cpu',
    sampling: options.sampling ?? 'host',
    ...(options.samplerPrecision ? { samplerPrecision: options.samplerPrecision } : {}),
    ...(options.threads ? { intraOpNumThreads: options.threads } : {}),
  };
  // Exact names, anchored: selectParams compiles strings as unanchored regexes.
  const paramInputs: ParamSelection =
    trainable.length === 0 || mode === 'bake' ? 'none' : trainable.map((name) => new RegExp(`^${escapeRegExp(name)}$`));
  const session = await DecodeSession.load(checkpoint, { paramInputs, cache: true, ...sessionOptions });
  const trainableWeights = new Map(trainable.map((name) => [name, checkpoint.params.get(name)!]));
  if (session.weightInputs.length > 0) session.setWeights(trainableWeights);
  const config = checkpoint.config;
  // Rebuilt sessions bake the checkpoint's weights with the trainable ones replaced.
  const rebuild = async (weights: ReadonlyMap<string, FloatTensor>): Promise<DecodeSession> => {
    const params = new Map(checkpoint.params);
    for (const [name, t] of weights) params.set(name, t);
    return DecodeSession.load({ config, params }, { paramInputs: 'none', cache: false, ...sessionOptions });
  };
  return new OpenedModel(
    modelDir,
    config,
    tokenizer,
    session,
    eosIdsOf(config, tokenizer),
    trainableWeights,
    mode === 'bake' ? rebuild : null,
  );
}

class OpenedModel implements PolicyModel {
  readonly usesChatTemplate: boolean;
  /** the id prepended to plain prompts, or null (see {@link plainBosId}) */
  private readonly bosId: number | null;

  constructor(
    readonly modelDir: string,
    readonly config: ModelConfig,
    readonly tokenizer: ModelTokenizer,
    private session: DecodeSession,
    readonly eosTokenIds: readonly number[],
    readonly trainableWeights: ReadonlyMap<string, FloatTensor>,
    /** `bake` mode: a session with these weights stored; null: weights are fed as inputs */
    private readonly rebuild: ((weights: ReadonlyMap<string, FloatTensor>) => Promise<DecodeSession>) | null,
  ) {
    this.usesChatTemplate = tokenizer.chatTemplate !== null;
    this.bosId = plainBosId(config, tokenizer);
  }

  encodePrompt(question: string, options: PromptOptions): number[] {
    return at(this.encodePrompts([question], options), 0, 'encoded prompts');
  }

  encodePrompts(questions: readonly string[], options: PromptOptions): number[][] {
    const limit = this.config.maxPositionEmbeddings - (options.maxNewTokens ?? 0);
    if (limit < 1) {
      throw new UserError(
        `rollout.maxNewTokens ${options.maxNewTokens} leaves no room for a prompt in the model's ${this.config.maxPositionEmbeddings} positions`,
      );
    }
    // A question far longer than any prompt could be is refused before it is tokenized (a
    // character can be at most a token or so, plus the template around it).
    const long = questions.find((q) => q.length > 8 * this.config.maxPositionEmbeddings);
    if (!options.truncate && long !== undefined) throw this.tooLong(long.length, 'characters', options);
    let encoded: number[][];
    if (this.usesChatTemplate) {
      const texts = questions.map((question) => {
        const messages = buildChatMessages(question, {
          systemPrompt: options.systemPrompt ?? null,
          answerInstruction: options.instruction ?? BOXED_INSTRUCTION,
        });
        return this.tokenizer.applyChatTemplate(messages, { addGenerationPrompt: true });
      });
      encoded = this.tokenizer.encodeMany(texts, { addSpecialTokens: false });
    } else {
      encoded = this.tokenizer.encodeMany(questions.map((q) => options.plainPrompt(q)));
      for (const ids of encoded) if (this.bosId !== null && ids[0] !== this.bosId) ids.unshift(this.bosId);
    }
    return encoded.map((ids, i) => {
      if (ids.length === 0)
        throw new UserError(`the prompt of a question (${at(questions, i, 'questions').length} characters) has no tokens`);
      if (ids.length <= limit) return ids;
      if (!options.truncate) throw this.tooLong(ids.length, 'tokens', options);
      return ids.slice(ids.length - limit);
    });
  }

  private tooLong(size: number, unit: string, options: PromptOptions): UserError {
    return new UserError(
      `a prompt of ${size} ${unit} plus rollout.maxNewTokens ${options.maxNewTokens ?? 0} does not fit the model's ` +
        `${this.config.maxPositionEmbeddings} positions (max_position_embeddings); shorten the question, lower ` +
        'rollout.maxNewTokens, or set rollout.truncatePrompts: true to keep the end of long prompts',
    );
  }

  decodeText(ids: readonly number[]): string {
    return this.tokenizer.decode(ids, { skipSpecialTokens: true });
  }

  tokenTexts(ids: readonly number[]): string[] {
    return this.tokenizer.decodeMany(ids.map((id) => [id]));
  }

  /** DecodeSession has the engine's BatchDecoder shape (per-row views of the last position). */
  get decoder(): BatchDecoder {
    return this.session;
  }

  async setWeights(weights: WeightMap): Promise<void> {
    const entries = weights instanceof Map ? [...weights] : Object.entries(weights);
    if (entries.some(([, t]) => t instanceof ort.Tensor)) {
      // Device tensors (the GPU path's weights, trainer-setup.ts) are fed as they are: no rebuild, no download.
      if (this.rebuild)
        throw new UserError('setWeights: device tensors need a decode session that takes its weights as inputs (weightUpdates: inputs)');
      this.session.setWeights(new Map(entries as [string, ort.Tensor][]));
      return;
    }
    const map = new Map<string, FloatTensor>(
      (entries as [string, FloatTensor][]).map(([name, t]) => [name, { data: t.data, dims: [...t.dims] }]),
    );
    const unknown = [...map.keys()].filter((name) => !this.trainableWeights.has(name));
    if (unknown.length > 0) throw new UserError(`setWeights: not trainable parameters of this model: ${unknown.slice(0, 4).join(', ')}`);
    if (!this.rebuild) {
      this.session.setWeights(map);
      return;
    }
    const next = await this.rebuild(map);
    const previous = this.session;
    this.session = next;
    await previous.release();
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}

/** The model's EOS ids and the tokenizer's eos_token (chat models end turns with it), without duplicates. */
function eosIdsOf(config: ModelConfig, tokenizer: ModelTokenizer): number[] {
  const ids = new Set(config.eosTokenIds);
  const tokenizerEos = tokenizer.specialTokenId('eos_token');
  if (tokenizerEos !== null) ids.add(tokenizerEos);
  return [...ids];
}

/**
 * Plain prompts start with BOS when the tokenizer declares a bos_token that is also the model's
 * bos_token_id (introspect's character models are trained on `<bos>question...`), unless the
 * tokenizer's post-processor already adds it (Llama). Qwen declares no bos_token, so its prompts
 * are left as they are.
 */
function plainBosId(config: ModelConfig, tokenizer: ModelTokenizer): number | null {
  const id = tokenizer.specialTokenId('bos_token');
  return id !== null && id === config.bosTokenId ? id : null;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
