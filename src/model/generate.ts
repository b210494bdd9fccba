/**
 * Token generation with the key/value cache: prefill the prompts as one left-padded batch, then
 * one token per unfinished row per step, dropping rows from the batch as they finish. How the
 * next token is chosen is a small pluggable function ({@link TokenChooser}); greedy is the default,
 * and the sampling engine plugs its temperature policies in here.
 */
import { UserError } from '../util/errors.js';
import { DecodeSession, type LoadDecoderOptions } from './decode-session.js';
import type { ModelWeights } from './graphs/train-graphs.js';

/** What a chooser sees for one row at one step. */
export interface ChoiceContext {
  /** logits over the vocabulary at the row's last position (a view: copy to keep) */
  logits: Float32Array;
  /** final hidden state at that position (what a temperature head reads) */
  hidden: Float32Array;
  /** index of the row in the caller's `inputIds` */
  row: number;
  /** how many tokens this row has generated before this one */
  step: number;
}

/** The chosen token and its log-probability under the distribution it was drawn from. */
export interface Choice {
  token: number;
  logprob: number;
}

export type TokenChooser = (ctx: ChoiceContext) => Choice;

/** log softmax(logits)[index], computed stably (max subtracted before exponentiating). */
export function logSoftmaxAt(logits: Float32Array, index: number): number {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if ((logits[i] as number) > max) max = logits[i] as number;
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp((logits[i] as number) - max);
  return (logits[index] as number) - max - Math.log(sum);
}

/** Index of the largest logit (the first on ties, as torch.argmax). */
export function argmax(logits: Float32Array): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if ((logits[i] as number) > (logits[best] as number)) best = i;
  return best;
}

/** Greedy decoding: the most likely token, with its log-probability at temperature 1. */
export const greedy: TokenChooser = ({ logits }) => {
  const token = argmax(logits);
  return { token, logprob: logSoftmaxAt(logits, token) };
};

export interface GenerateTokensOptions extends LoadDecoderOptions {
  /** a model folder, loaded weights, or an open session (reused: its batch is replaced) */
  model: string | ModelWeights | DecodeSession;
  /** prompts as token ids (any lengths; batched with left padding) */
  inputIds: readonly (readonly number[])[];
  maxNewTokens: number;
  /** a row stops after generating one of these (included in its output); default the model's eos ids */
  eosTokenIds?: readonly number[];
  /** default {@link greedy} */
  chooseToken?: TokenChooser;
}

export interface GenerateTokensResult {
  /** per prompt: the generated ids (ending with the eos token when one stopped it) */
  tokens: number[][];
  /** per prompt: the log-probability of each generated token (see {@link Choice}) */
  logprobs: number[][];
  /** per prompt: true when an eos token stopped it, false when it ran out of tokens */
  stoppedByEos: boolean[];
}

/** Generates continuations of every prompt in one batch. */
export async function generateTokens(opts: GenerateTokensOptions): Promise<GenerateTokensResult> {
  if (!Number.isInteger(opts.maxNewTokens) || opts.maxNewTokens < 0) throw new UserError(`maxNewTokens must be a whole number >= 0, got ${opts.maxNewTokens}`);
  const n = opts.inputIds.length;
  const result: GenerateTokensResult = { tokens: opts.inputIds.map(() => []), logprobs: opts.inputIds.map(() => []), stoppedByEos: opts.inputIds.map(() => false) };
  if (n === 0 || opts.maxNewTokens === 0) return result;
  const owned = !(opts.model instanceof DecodeSession);
  const session = opts.model instanceof DecodeSession ? opts.model : await DecodeSession.load(opts.model, opts);
  try {
    const eos = new Set(opts.eosTokenIds ?? session.config.eosTokenIds);
    const choose = opts.chooseToken ?? greedy;
    let rows = opts.inputIds.map((_, i) => i); // session row -> prompt index
    let out = await session.prefill(opts.inputIds);
    for (;;) {
      const next: number[] = [];
      const keep: number[] = [];
      rows.forEach((row, r) => {
        const tokens = result.tokens[row] as number[];
        const choice = choose({ logits: out.logits[r] as Float32Array, hidden: out.hidden[r] as Float32Array, row, step: tokens.length });
        tokens.push(choice.token);
        (result.logprobs[row] as number[]).push(choice.logprob);
        if (eos.has(choice.token)) result.stoppedByEos[row] = true;
        else if (tokens.length < opts.maxNewTokens) {
          keep.push(r);
          next.push(choice.token);
        }
      });
      if (keep.length === 0) break;
      if (keep.length < rows.length) {
        session.keepRows(keep);
        rows = keep.map((r) => rows[r] as number);
      }
      out = await session.step(next);
    }
  } finally {
    if (owned) await session.release();
  }
  return result;
}
