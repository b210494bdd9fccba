import { Args, Flags } from '@oclif/core';
import { generate, type GenerateResult } from '../api/generate.js';
import { UserError } from '../util/errors.js';
import { BaseCommand } from '../cli/base.js';
import { describeJobKey } from '../config/docs.js';
import { EXECUTION_PROVIDERS } from '../onnx/index.js';

export default class Generate extends BaseCommand {
  static override summary = 'Generate a continuation with the KV cache, greedy or under a temperature policy.';
  static override examples = [
    // The embedded model reads a synthetic-arith question and a newline (bash/zsh $'...' quoting).
    "<%= config.bin %> generate models/arith-tiny --prompt $'Sam has 19 stamps. He loses 8, then gets 1 more. How many stamps does Sam have?\\n' --max-new-tokens 40",
    '<%= config.bin %> generate ../shared/fixtures/hf/qwen2-tiny --input-ids 1,2,3 --temperature 0 --json',
    "<%= config.bin %> generate models/arith-tiny --prompt $'Mia has 7 shells. She finds 5 more. How many shells does Mia have?\\n' --policy edt --json",
  ];
  static override args = {
    'model-dir': Args.string({ required: true, description: 'Hugging Face model folder or Hub id (org/name[@revision]).' }),
  };
  static override flags = {
    prompt: Flags.string({ char: 'p', summary: "Prompt text (needs the model's tokenizer.json).", exclusive: ['input-ids'] }),
    'input-ids': Flags.string({ summary: 'Prompt as comma-separated token ids.', exclusive: ['prompt'] }),
    'max-new-tokens': Flags.integer({ min: 1, default: 32, summary: 'Tokens to generate at most.' }),
    temperature: Flags.string({ default: '0', summary: 'Fixed sampling temperature; 0 = greedy.' }),
    policy: Flags.string({ summary: `${describeJobKey('policy')} Overrides --temperature.` }),
    head: Flags.string({ summary: 'Temperature head folder for --policy learned.' }),
    seed: Flags.integer({ min: 0, default: 0, summary: 'Sampling seed.' }),
    'execution-provider': Flags.option({
      options: EXECUTION_PROVIDERS,
      default: 'cpu' as const,
      summary: describeJobKey('model.executionProvider'),
    })(),
    'tokenizer-timeout': Flags.integer({
      min: 1,
      summary: 'Longest time in ms the prompt may take to tokenize and the output to decode (default 5000, as model.tokenizerTimeoutMs).',
    }),
  };

  async run(): Promise<GenerateResult> {
    const { args, flags } = await this.parse(Generate);
    this.openLogger(flags);
    if (!flags.prompt && !flags['input-ids']) throw new UserError('give a prompt with --prompt or --input-ids');
    const inputIds = flags['input-ids']?.split(',').map((s) => {
      const id = Number(s.trim());
      if (!Number.isInteger(id) || id < 0) throw new UserError(`--input-ids: "${s}" is not a token id`);
      return id;
    });
    const temperature = Number(flags.temperature);
    if (!Number.isFinite(temperature) || temperature < 0)
      throw new UserError(`--temperature: expected a number >= 0, got "${flags.temperature}"`);
    const result = await generate({
      modelDir: args['model-dir'],
      prompt: flags.prompt,
      inputIds,
      maxNewTokens: flags['max-new-tokens'],
      temperature,
      policy: flags.policy,
      headPath: flags.head,
      seed: flags.seed,
      executionProvider: flags['execution-provider'],
      ...(flags['tokenizer-timeout'] !== undefined ? { tokenizerTimeoutMs: flags['tokenizer-timeout'] } : {}),
    });
    this.log(result.text);
    return result;
  }
}
