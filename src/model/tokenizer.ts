/**
 * A model folder's tokenizer: `tokenizer.json` run by @huggingface/tokenizers, the special tokens
 * and chat template of `tokenizer_config.json`, and chat templates rendered by @huggingface/jinja
 * with the same variables transformers' `apply_chat_template` passes.
 *
 * Tokenization is bounded in time. A tokenizer.json may carry regular expressions of its own
 * (`{"Regex": ...}` patterns of Split and Replace in the normalizer, the pre-tokenizer and the
 * decoder) and one that backtracks catastrophically hangs on some input. Those stages run under
 * a deadline ({@link mapWithin}); the library's own patterns (ByteLevel, Whitespace, Digits,
 * Punctuation, literal `String` patterns) are single character-class runs, linear in the text,
 * so tokenizers without a `Regex` (character tokenizers, GPT-2, SentencePiece) run unbounded at
 * full speed, and so does the decoding of those whose `Regex` patterns are only in encoding
 * (Qwen2, Llama 3: a ByteLevel decoder).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_TOKENIZER_TIMEOUT_MS, renderChatTemplate } from './chat-template.js';
import { Tokenizer } from '@huggingface/tokenizers';
import { UserError } from '../util/errors.js';
import { jsonErrorReason } from '../util/json-file.js';
import { at } from '../util/must.js';
import { mapWithin } from '../util/time-bound.js';

export interface ChatMessage {
  role: string;
  content: string;
}

export interface ChatTemplateOptions {
  /** end the prompt with the header of an assistant turn, so the model answers next */
  addGenerationPrompt?: boolean;
  /** further template variables, e.g. `{ enable_thinking: false }` for Qwen3 */
  extra?: Record<string, unknown>;
}

/** The `*_token` fields of tokenizer_config.json that templates and generation use. */
const SPECIAL_TOKEN_KEYS = ['bos_token', 'eos_token', 'pad_token', 'unk_token'] as const;

/** A special token in tokenizer_config.json: a string, or an AddedToken object `{content, ...}`. */
function tokenContent(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && typeof (value as { content?: unknown }).content === 'string') {
    return (value as { content: string }).content;
  }
  return null;
}

export class ModelTokenizer {
  private readonly tokenizer: Tokenizer;
  /** special token strings by tokenizer_config key (`bos_token`, ...), where set */
  readonly specialTokens: Record<string, string>;
  readonly chatTemplate: string | null;
  /** one past the largest token id (the model's embedding may have more rows, never fewer) */
  readonly vocabSize: number;
  /** the file the tokenizer came from, for errors */
  private readonly source: string;
  /** the longest one text may take to encode or decode, and one chat template to render */
  private readonly timeoutMs: number;
  /** whether encoding (normalizer, pre-tokenizer) and decoding run regexes of the file's own */
  private readonly ownRegex: { encode: boolean; decode: boolean };

  constructor(
    tokenizerJson: object,
    tokenizerConfig: Record<string, unknown>,
    opts: { source?: string; chatTemplate?: string | null; timeoutMs?: number } = {},
  ) {
    const source = opts.source ?? 'tokenizer.json';
    this.source = source;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TOKENIZER_TIMEOUT_MS;
    const parts = tokenizerJson as { normalizer?: unknown; pre_tokenizer?: unknown; decoder?: unknown };
    this.ownRegex = { encode: hasRegex(parts.normalizer) || hasRegex(parts.pre_tokenizer), decode: hasRegex(parts.decoder) };
    try {
      this.tokenizer = new Tokenizer(tokenizerJson, tokenizerConfig);
    } catch (error) {
      throw new UserError(`cannot load tokenizer ${source}: ${(error as Error).message}`, { cause: error });
    }
    this.specialTokens = {};
    for (const key of SPECIAL_TOKEN_KEYS) {
      const content = tokenContent(tokenizerConfig[key]);
      if (content !== null) this.specialTokens[key] = content;
    }
    this.chatTemplate = opts.chatTemplate ?? chatTemplateOf(tokenizerConfig, source);
    let maxId = -1;
    for (const id of this.tokenizer.get_vocab(true).values()) maxId = Math.max(maxId, id);
    this.vocabSize = maxId + 1;
  }

  /**
   * Loads `tokenizer.json` and `tokenizer_config.json` from a model folder. The chat template comes
   * from `chat_template.jinja` or `chat_template.json` when present (newer transformers save it
   * there), else from tokenizer_config.json. `timeoutMs` bounds each text's tokenization and each
   * chat template's rendering (`model.tokenizerTimeoutMs`).
   */
  static load(dir: string, opts: { timeoutMs?: number } = {}): ModelTokenizer {
    const tokenizerPath = join(dir, 'tokenizer.json');
    if (!existsSync(tokenizerPath)) throw new UserError(`${dir} has no tokenizer.json`);
    const configPath = join(dir, 'tokenizer_config.json');
    const config = existsSync(configPath) ? (readJson(configPath) as Record<string, unknown>) : {};
    let chatTemplate: string | null = null;
    if (existsSync(join(dir, 'chat_template.jinja'))) chatTemplate = readFileSync(join(dir, 'chat_template.jinja'), 'utf8');
    else if (existsSync(join(dir, 'chat_template.json'))) {
      chatTemplate = chatTemplateOf(readJson(join(dir, 'chat_template.json')) as Record<string, unknown>, join(dir, 'chat_template.json'));
    }
    return new ModelTokenizer(readJson(tokenizerPath) as object, config, { source: tokenizerPath, chatTemplate, ...opts });
  }

  tokenToId(token: string): number | undefined {
    return this.tokenizer.token_to_id(token);
  }

  idToToken(id: number): string | undefined {
    return this.tokenizer.id_to_token(id);
  }

  /** The id of a special token named in tokenizer_config.json (`bos_token`, `eos_token`, ...), or null. */
  specialTokenId(key: (typeof SPECIAL_TOKEN_KEYS)[number]): number | null {
    const content = this.specialTokens[key];
    return content === undefined ? null : (this.tokenToId(content) ?? null);
  }

  /**
   * The characters of `text` that encode as the unknown token (none for tokenizers without one,
   * such as byte-level BPE, which encode everything): what a model cannot even see of a text.
   */
  unknownCharacters(text: string): string[] {
    const unk = this.specialTokens.unk_token;
    const unkId = unk === undefined ? undefined : this.tokenizer.get_vocab(true).get(unk);
    if (unkId === undefined) return [];
    const chars = [...new Set(text)].filter((c) => c.trim() !== '');
    const encoded = this.encodeMany(chars, { addSpecialTokens: false });
    return chars.filter((_, i) => at(encoded, i, 'encoded characters').includes(unkId));
  }

  /**
   * Token ids of `text`. `addSpecialTokens` runs the tokenizer's post-processor (e.g. prepending BOS),
   * as `tokenizer(text)` does in transformers; text rendered from a chat template already contains
   * its special tokens, so {@link encodeChat} turns it off.
   */
  encode(text: string, opts: { addSpecialTokens?: boolean } = {}): number[] {
    return at(this.encodeMany([text], opts), 0, 'encoded texts');
  }

  /** {@link encode} of each text; many texts share one time-bounded call, so a batch costs no more. */
  encodeMany(texts: readonly string[], opts: { addSpecialTokens?: boolean } = {}): number[][] {
    const encode = (text: string): number[] => this.tokenizer.encode(text, { add_special_tokens: opts.addSpecialTokens ?? true }).ids;
    return this.ownRegex.encode
      ? this.bounded(texts, encode, 'encode', (text) => `a text of ${text.length} characters`)
      : texts.map(encode);
  }

  /**
   * Text of token ids. Ids outside the tokenizer's vocabulary (models often pad their embedding
   * beyond it, and an untrained model may sample those rows) decode to nothing.
   */
  decode(ids: readonly number[], opts: { skipSpecialTokens?: boolean } = {}): string {
    return at(this.decodeMany([ids], opts), 0, 'decoded texts');
  }

  /** {@link decode} of each list of ids (e.g. every token of a sample on its own), sharing time-bounded calls. */
  decodeMany(lists: readonly (readonly number[])[], opts: { skipSpecialTokens?: boolean } = {}): string[] {
    const decode = (ids: readonly number[]): string => {
      const known = ids.filter((id) => this.tokenizer.id_to_token(id) !== undefined);
      return known.length === 0 ? '' : this.tokenizer.decode(known, { skip_special_tokens: opts.skipSpecialTokens ?? false });
    };
    return this.ownRegex.decode ? this.bounded(lists, decode, 'decode', (ids) => `${ids.length} tokens`) : lists.map(decode);
  }

  /** `items.map(fn)` with each item given {@link timeoutMs}; one that takes longer is a one-line error. */
  private bounded<T, R>(items: readonly T[], fn: (item: T) => R, verb: string, what: (item: T) => string): R[] {
    return mapWithin(
      items,
      this.timeoutMs,
      fn,
      (item) =>
        new UserError(
          `tokenizer ${this.source} took longer than ${this.timeoutMs} ms (model.tokenizerTimeoutMs) to ${verb} ${what(item)}: ` +
            'a regex of its own (a Split or Replace "Regex" pattern) backtracks too much; it is not used',
        ),
    );
  }

  /** Renders the chat template with the variables transformers provides (messages, special tokens, flags). */
  applyChatTemplate(messages: readonly ChatMessage[], opts: ChatTemplateOptions = {}): string {
    if (this.chatTemplate === null) throw new UserError('the tokenizer has no chat template (tokenizer_config.json "chat_template")');
    return renderChatTemplate(
      this.chatTemplate,
      { ...this.specialTokens, ...opts.extra, messages, add_generation_prompt: opts.addGenerationPrompt ?? false },
      { timeoutMs: this.timeoutMs },
    );
  }

  /** The prompt's token ids: the rendered chat template, encoded without adding special tokens again. */
  encodeChat(messages: readonly ChatMessage[], opts: ChatTemplateOptions = {}): number[] {
    return this.encode(this.applyChatTemplate(messages, opts), { addSpecialTokens: false });
  }
}

/** Whether a tokenizer.json part (Sequences nest) has a `{"Regex": ...}` pattern anywhere. */
function hasRegex(part: unknown): boolean {
  if (typeof part !== 'object' || part === null) return false;
  return Object.entries(part).some(([key, value]) => key === 'Regex' || hasRegex(value));
}

/** A chat template field: one template, or a list of named templates of which "default" is used. */
function chatTemplateOf(config: Record<string, unknown>, source: string): string | null {
  const value = config.chat_template;
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    const entry = value.find((t) => (t as { name?: unknown }).name === 'default') as { template?: unknown } | undefined;
    if (typeof entry?.template === 'string') return entry.template;
  }
  throw new UserError(`${source}: "chat_template" must be a string or a list with a "default" template`);
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new UserError(`cannot read ${path}: ${jsonErrorReason(error)}`, { cause: error });
  }
}
