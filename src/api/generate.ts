import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { generateTokens } from '../model/generate.js';
import { ModelTokenizer } from '../model/tokenizer.js';
import { CapabilityMissingError, UserError } from '../util/errors.js';

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

/**
 * Generation with the KV cache. Greedy (temperature 0, no policy) runs here; sampling under a
 * temperature or a temperature policy is the sampling engine's.
 */
export async function generate(options: GenerateOptions): Promise<GenerateResult> {
  if (options.policy !== undefined || options.temperature !== 0) {
    throw new CapabilityMissingError('sampled generation (--temperature > 0 or --policy; the sampling engine issue)');
  }
  const hasTokenizer = existsSync(join(options.modelDir, 'tokenizer.json'));
  const tokenizer = hasTokenizer ? ModelTokenizer.load(options.modelDir) : null;
  let inputIds = options.inputIds;
  if (inputIds === undefined) {
    if (options.prompt === undefined) throw new UserError('give a prompt or input ids');
    if (!tokenizer) throw new UserError(`${options.modelDir} has no tokenizer.json; give the prompt as --input-ids`);
    inputIds = tokenizer.encode(options.prompt);
  }
  if (inputIds.length === 0) throw new UserError('the prompt has no tokens');
  const result = await generateTokens({
    model: options.modelDir,
    inputIds: [inputIds],
    maxNewTokens: options.maxNewTokens,
    executionProvider: options.executionProvider,
  });
  const ids = result.tokens[0] ?? [];
  const logprobs = result.logprobs[0] ?? [];
  const textOf = (t: number[]): string => (tokenizer ? tokenizer.decode(t) : t.join(' '));
  return {
    text: textOf(ids),
    tokens: ids.map((id, i) => ({ id, text: tokenizer ? tokenizer.decode([id]) : String(id), logprob: logprobs[i] as number, temperature: 0 })),
  };
}
