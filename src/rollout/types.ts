/**
 * The rollout engine's view of the model and what it produces.
 */
import type { GraphSampler, LastTensors } from '../model/graph-sampler.js';
import type { HeadAction } from '../policy/types.js';

/** Logits and final hidden states of the last position of every active row (views valid until the next call). */
export interface DecodeOutput {
  /** per row: untempered logits [V] */
  logits: Float32Array[];
  /** per row: final hidden state [H], what the temperature head reads */
  hidden: Float32Array[];
  /** per row, when the decoder computes it: entropy of softmax(logits) in nats (else the engine computes it) */
  entropy?: ArrayLike<number>;
  /**
   * The last position's logits [B, 1, V] and hidden states [B, S, H] as tensors (device buffers
   * when the decoder keeps them there: then `logits` and `hidden` are not readable), for the
   * decoder's {@link BatchDecoder.sampler} and a temperature head on the same device.
   */
  tensors?: LastTensors;
}

/**
 * A batch of sequences decoded together with a KV cache (implemented by the model's DecodeSession).
 * Rows are numbered 0..rows-1 in the order the prompts were given; `keepRows` renumbers them.
 */
export interface BatchDecoder {
  /** Runs the (left-padded) prompts; returns the outputs at each prompt's last token. */
  prefill(prompts: readonly (readonly number[])[]): Promise<DecodeOutput>;
  /** Appends one token per active row and returns the outputs at it. */
  step(tokens: readonly number[]): Promise<DecodeOutput>;
  /**
   * Keeps only these rows, in this order (indices into the current rows), so finished sequences
   * stop costing compute; an index may repeat, which copies the row (shared prefills).
   */
  keepRows(rows: readonly number[]): void;
  /**
   * Decoders that draw the next token in a graph of their own (`sampling: graph`) have one; the
   * engine then sends it the temperatures and uniforms instead of reading the logits.
   */
  readonly sampler?: Pick<GraphSampler, 'sample'> | null;
}

/** Why a completion ended. */
export type FinishReason = 'eos' | 'stop' | 'length';

/** One sampled completion with the per-token record the trainer and the analysis need. */
export interface Rollout {
  /** index of the prompt in the request */
  promptIndex: number;
  /** index of this sample within its prompt's group (0..G-1) */
  sampleIndex: number;
  promptIds: readonly number[];
  /** generated token ids (including the EOS token when one ended it) */
  tokens: number[];
  text: string;
  finishReason: FinishReason;
  /** per generated token: the temperature it was sampled at (0 = greedy) */
  temperatures: Float32Array;
  /** per generated token: log softmax(logits / temperature)[token] (at T=1 for greedy tokens) */
  logprobs: Float32Array;
  /** per generated token: entropy of the untempered next-token distribution, nats */
  entropies: Float32Array;
  /** per generated token, learned policy only: the head's action (grid index; -1 for log-normal) */
  actions?: Int32Array;
  /** per generated token, learned policy only: log-probability of the temperature action */
  actionLogprobs?: Float32Array;
  /** per generated token, learned policy only: entropy of the head's distribution it drew the action from, nats */
  actionEntropies?: Float32Array;
  /** per generated token, when requested: final hidden states, [tokens, H] row-major */
  hidden?: Float32Array;
}

export type { HeadAction };
