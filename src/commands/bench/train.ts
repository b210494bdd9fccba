import { Args, Flags } from '@oclif/core';
import { benchTrain, type BenchResult } from '../../api/bench.js';
import { BaseCommand } from '../../cli/base.js';
import { benchFlags, formatBench } from '../../cli/bench.js';

export default class BenchTrain extends BaseCommand {
  static override summary = 'Measure token-policy update throughput of a model folder: tokens/s, peak RSS, graph build/load time.';
  static override description =
    'Takes whole token-policy update steps as the trainer does: the forward and backward pass of the cached ' +
    'policy training graph (every parameter trainable) on --batch random sequences of --seq-len tokens, then ' +
    'gradient clipping and AdamW in float32. Reports the median of --repeats steps after one warm-up step. Run ' +
    "one benchmark per process: peak RSS is the process's.";
  static override examples = [
    '<%= config.bin %> bench train models/arith-tiny',
    '<%= config.bin %> bench train Qwen/Qwen2.5-0.5B --batch 4 --seq-len 256 --threads 2 --json',
  ];
  static override args = { 'model-dir': Args.string({ required: true, description: 'Hugging Face model folder.' }) };
  static override flags = {
    batch: Flags.integer({ min: 1, default: 4, summary: 'Sequences per step.' }),
    'seq-len': Flags.integer({ min: 2, default: 256, summary: 'Tokens per sequence.' }),
    ...benchFlags,
  };

  async run(): Promise<BenchResult> {
    const { args, flags } = await this.parse(BenchTrain);
    const result = await benchTrain({
      modelDir: args['model-dir'],
      batch: flags.batch,
      seqLen: flags['seq-len'],
      threads: flags.threads,
      spinning: flags.spinning,
      memoryArena: flags['memory-arena'],
      repeats: flags.repeats,
    });
    this.log(formatBench(result));
    return result;
  }
}
