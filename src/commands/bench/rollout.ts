import { Args, Flags } from '@oclif/core';
import { benchRollout, type BenchResult } from '../../api/bench.js';
import { BaseCommand } from '../../cli/base.js';
import { benchFlags, formatBench } from '../../cli/bench.js';

export default class BenchRollout extends BaseCommand {
  static override summary = 'Measure rollout throughput of a model folder: tokens/s, time to first token, peak RSS, graph build/load time.';
  static override description =
    'Decodes --batch random prompts of --prompt-len tokens for --new-tokens sampled tokens each (temperature 1, ' +
    "no early stop) through the trainer's path: a cached decode graph with the weights baked in, the rollout " +
    'engine and its sampler. Reports the median of --repeats runs after one warm-up. Run one benchmark per ' +
    "process: peak RSS is the process's.";
  static override examples = [
    '<%= config.bin %> bench rollout models/arith-tiny',
    '<%= config.bin %> bench rollout Qwen/Qwen2.5-0.5B --batch 8 --prompt-len 64 --new-tokens 64 --threads 2 --json',
  ];
  static override args = { 'model-dir': Args.string({ required: true, description: 'Hugging Face model folder.' }) };
  static override flags = {
    batch: Flags.integer({ min: 1, default: 8, summary: 'Rows decoded together.' }),
    'prompt-len': Flags.integer({ min: 1, default: 64, summary: 'Prompt tokens per row.' }),
    'new-tokens': Flags.integer({ min: 1, default: 64, summary: 'Sampled tokens per row.' }),
    sampler: Flags.string({
      options: ['host', 'graph'],
      default: 'host',
      summary: 'Where tokens are drawn (as rollout.sampler in a job): host, or the sampler graph.',
    }),
    ...benchFlags,
  };

  async run(): Promise<BenchResult> {
    const { args, flags } = await this.parse(BenchRollout);
    const result = await benchRollout({
      modelDir: args['model-dir'],
      batch: flags.batch,
      promptLen: flags['prompt-len'],
      newTokens: flags['new-tokens'],
      threads: flags.threads,
      spinning: flags.spinning,
      memoryArena: flags['memory-arena'],
      repeats: flags.repeats,
      sampler: flags.sampler as 'host' | 'graph',
    });
    this.log(formatBench(result));
    return result;
  }
}
