import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DecodeSession } from '../model/decode-session.js';
import { ModelTokenizer } from '../model/tokenizer.js';
import { createPolicy } from '../policy/index.js';
import { headSessionOptions, TemperatureHead } from '../policy/head/index.js';
import { defaultSampler } from '../config/index.js';
import { generateRollouts } from '../rollout/engine.js';
import { UserError } from '../util/errors.js';
import { resolveModelDir } from '../model/hub.js';
import { at, must } from '../util/must.js';
import type { ExecutionProviderName } from '../onnx/index.js';

export interface GenerateOptions {
  modelDir: string;
  prompt?: string;
  inputIds?: number[];
  maxNewTokens: number;
  /** 0 = greedy; used when no policy is given. */
  temperature: number;
  /** a temperature policy spec (greedy, fixed:0.7, edt, learned, ...); overrides `temperature` */
  policy?: string;
  /** the trained head's folder, for `learned` */
  headPath?: string;
  seed: number;
  executionProvider: ExecutionProviderName;
  /** the longest the prompt may take to tokenize and the text to decode (`model.tokenizerTimeoutMs`) */
  tokenizerTimeoutMs?: number;
}

export interface GeneratedToken {
  id: number;
  text: string;
  /** log softmax(logits / T)[id] (at T = 1 for greedy tokens) */
  logprob: number;
  /** the temperature the token was sampled at (0 = greedy) */
  temperature: number;
  /** entropy of the untempered next-token distribution, nats */
  entropy: number;
}

export interface GenerateResult {
  text: string;
  tokens: GeneratedToken[];
}

/** Generation with the KV cache through the rollout engine: greedy, a fixed temperature, or any temperature policy. */
export async function generate(options: GenerateOptions): Promise<GenerateResult> {
  const modelDir = await resolveModelDir(options.modelDir);
  const hasTokenizer = existsSync(join(modelDir, 'tokenizer.json'));
  const tokenizer = hasTokenizer
    ? ModelTokenizer.load(modelDir, options.tokenizerTimeoutMs !== undefined ? { timeoutMs: options.tokenizerTimeoutMs } : {})
    : null;
  let inputIds = options.inputIds;
  if (inputIds === undefined) {
    if (options.prompt === undefined) throw new UserError('give a prompt or input ids');
    if (!tokenizer) throw new UserError(`${options.modelDir} has no tokenizer.json; give the prompt as --input-ids`);
    inputIds = tokenizer.encode(options.prompt);
  }
  if (inputIds.length === 0) throw new UserError('the prompt has no tokens');
  const spec = options.policy ?? (options.temperature === 0 ? 'greedy' : `fixed:${options.temperature}`);
  let head: TemperatureHead | undefined;
  if (spec.startsWith('learned')) {
    if (!options.headPath) throw new UserError('--policy learned needs the trained head: --head <folder with temperature_head.json>');
    head = TemperatureHead.load(options.headPath, headSessionOptions({ model: { executionProvider: options.executionProvider } }));
  }
  const policy = createPolicy(spec, head ? { head: { kind: head.config.kind, grid: [...head.config.grid] } } : {});
  const session = await DecodeSession.load(modelDir, {
    executionProvider: options.executionProvider,
    sampling: defaultSampler(options.executionProvider),
  });
  try {
    const eos = [...session.config.eosTokenIds];
    const [rollout] = await generateRollouts(session, {
      prompts: [inputIds],
      groupSize: 1,
      policy,
      head,
      maxNewTokens: options.maxNewTokens,
      eosTokenIds: eos,
      decodeText: (ids) => (tokenizer ? tokenizer.decode(ids, { skipSpecialTokens: true }) : ids.join(' ')),
      seed: options.seed,
      batchSize: 1,
    });
    const r = must(rollout, 'the rollout');
    const texts = tokenizer ? tokenizer.decodeMany(r.tokens.map((id) => [id])) : r.tokens.map(String);
    return {
      text: r.text,
      tokens: r.tokens.map((id, i) => ({
        id,
        text: at(texts, i, 'token texts'),
        logprob: at(r.logprobs, i, 'logprobs'),
        temperature: at(r.temperatures, i, 'temperatures'),
        entropy: at(r.entropies, i, 'entropies'),
      })),
    };
  } finally {
    await session.release();
    await head?.dispose();
  }
}
