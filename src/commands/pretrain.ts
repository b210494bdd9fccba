import { Args, Flags } from '@oclif/core';
import { loadJobFile } from '../config/index.js';
import { runPretraining } from '../api/pretrain.js';
import type { PretrainSummary } from '../rl/pretrain.js';
import { BaseCommand, outFlag, setFlag } from '../cli/base.js';
import { withInterrupt } from '../cli/interrupt.js';

export default class Pretrain extends BaseCommand {
  static override summary = 'Pretrain a small model from scratch on synthetic-arith worked solutions (cross-entropy).';
  static override description =
    "Builds a model of the job's pretrain architecture with a character-level tokenizer, trains it with the ce " +
    'training graph and saves Hugging Face model folders (checkpoints and final) in the run directory.';
  static override examples = [
    '<%= config.bin %> pretrain configs/pretrain.yaml',
    '<%= config.bin %> pretrain configs/pretrain.yaml --set pretrain.steps=200 --out runs/pretrain-quick',
  ];
  static override args = { config: Args.string({ required: true, description: 'YAML job file.' }) };
  static override flags = {
    set: setFlag,
    out: outFlag,
    resume: Flags.string({ summary: 'Continue the run in this directory from its latest checkpoint.' }),
  };

  async run(): Promise<PretrainSummary> {
    const { args, flags } = await this.parse(Pretrain);
    const { config } = loadJobFile(args.config, flags.set);
    const { logger, runDir } = this.startRun('pretrain', config, flags, flags.resume ?? flags.out, { resume: Boolean(flags.resume) });
    this.logToStderr(`run folder: ${runDir}`);
    const result = await withInterrupt((signal) => runPretraining(config, { logger, runDir, signal }, { resume: Boolean(flags.resume) }));
    this.log(`model: ${result.modelDir}`);
    this.log(`files: ${result.runDir} (metrics.csv, eval.csv, checkpoints/)`);
    return result;
  }
}
