import { CapabilityMissingError } from '../util/errors.js';

export interface GenerateOptions {
  modelDir: string;
  prompt?: string;
  inputIds?: number[];
  maxNewTokens: number;
  /** 0 = greedy; used when no policy is given. */
  temperature: number;
  policy?: string;
  headPath?: string;
  seed: number;
  executionProvider: 'cpu' | 'cuda' | 'webgpu';
}

export interface GeneratedToken {
  id: number;
  text: string;
  logprob: number;
  temperature: number;
}

export interface GenerateResult {
  text: string;
  tokens: GeneratedToken[];
}

/** Generation with the KV cache, greedy or sampled under a temperature policy. */
export async function generate(_options: GenerateOptions): Promise<GenerateResult> {
  throw new CapabilityMissingError('text generation (the model issue)');
}
