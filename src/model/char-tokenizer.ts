/**
 * A character-level tokenizer written as a standard `tokenizer.json`, for the tiny models
 * introspect pretrains itself (e.g. on synthetic arithmetic), so the saved folder loads in
 * @huggingface/tokenizers, Python `tokenizers` and transformers' `AutoTokenizer` alike.
 *
 * The model is BPE with an empty merge list: BPE starts from single characters and, with nothing
 * to merge, every character stays one token. (A WordLevel model would be the obvious choice, but
 * @huggingface/tokenizers does not implement it.) There is no normalizer or pre-tokenizer, so
 * spaces and newlines are ordinary characters, and the `Fuse` decoder joins tokens without the
 * spaces the default decoder would insert, so decode(encode(s)) === s for text over the alphabet.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Special tokens, with the ids they get: the first ids, before the characters. */
export const CHAR_SPECIAL_TOKENS = { pad_token: '<pad>', bos_token: '<bos>', eos_token: '<eos>', unk_token: '<unk>' } as const;

interface AddedTokenJson {
  id: number;
  content: string;
  single_word: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

/** The parts of the `tokenizer.json` format this module writes. */
export interface TokenizerJson {
  version: '1.0';
  truncation: null;
  padding: null;
  added_tokens: AddedTokenJson[];
  normalizer: null;
  pre_tokenizer: null;
  post_processor: null;
  decoder: { type: 'Fuse' };
  model: {
    type: 'BPE';
    dropout: null;
    unk_token: string;
    continuing_subword_prefix: null;
    end_of_word_suffix: null;
    fuse_unk: boolean;
    byte_fallback: boolean;
    ignore_merges: boolean;
    vocab: Record<string, number>;
    merges: string[];
  };
}

/**
 * `tokenizer.json` for a vocabulary of the special tokens (ids 0..3: `<pad>`, `<bos>`, `<eos>`,
 * `<unk>`) followed by `chars` in the given order. Characters outside the alphabet encode as `<unk>`.
 */
export function buildCharTokenizer(chars: readonly string[]): TokenizerJson {
  const specials = Object.values(CHAR_SPECIAL_TOKENS);
  const vocab: Record<string, number> = {};
  specials.forEach((token, id) => (vocab[token] = id));
  for (const char of chars) {
    // One code point, not one UTF-16 unit: BPE splits text into code points.
    if ([...char].length !== 1) throw new Error(`character tokenizer: ${JSON.stringify(char)} is not a single character`);
    if (Object.hasOwn(vocab, char)) throw new Error(`character tokenizer: ${JSON.stringify(char)} appears twice`);
    vocab[char] = Object.keys(vocab).length;
  }
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specials.map((content, id) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: null,
    pre_tokenizer: null,
    post_processor: null,
    decoder: { type: 'Fuse' },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: CHAR_SPECIAL_TOKENS.unk_token,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges: [],
    },
  };
}

/**
 * `tokenizer_config.json` for {@link buildCharTokenizer}: the special tokens, no clean-up of
 * spaces around punctuation on decode (it would change arithmetic text), and an optional chat template.
 */
export function buildCharTokenizerConfig(opts: { chatTemplate?: string; modelMaxLength?: number } = {}): Record<string, unknown> {
  const addedTokensDecoder: Record<string, object> = {};
  Object.values(CHAR_SPECIAL_TOKENS).forEach((content, id) => {
    addedTokensDecoder[String(id)] = { content, lstrip: false, normalized: false, rstrip: false, single_word: false, special: true };
  });
  return {
    added_tokens_decoder: addedTokensDecoder,
    ...CHAR_SPECIAL_TOKENS,
    clean_up_tokenization_spaces: false,
    model_max_length: opts.modelMaxLength ?? 1024,
    tokenizer_class: 'PreTrainedTokenizerFast',
    ...(opts.chatTemplate !== undefined ? { chat_template: opts.chatTemplate } : {}),
  };
}

/** Writes `tokenizer.json` and `tokenizer_config.json` into a model folder (each atomically). */
export function writeTokenizerFiles(dir: string, tokenizerJson: object, tokenizerConfig: Record<string, unknown>): void {
  mkdirSync(dir, { recursive: true });
  for (const [name, value] of [
    ['tokenizer.json', tokenizerJson],
    ['tokenizer_config.json', tokenizerConfig],
  ] as const) {
    const temp = join(dir, `${name}.tmp-${process.pid}`);
    writeFileSync(temp, JSON.stringify(value, null, 2) + '\n');
    renameSync(temp, join(dir, name));
  }
}
