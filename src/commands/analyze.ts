import { Args } from '@oclif/core';
import { createRunDir } from '../config/index.js';
import { analyzeRun } from '../api/analyze.js';
import { BaseCommand, outFlag } from '../cli/base.js';

export default class Analyze extends BaseCommand {
  static override summary = 'Show what a learned temperature head does: temperature vs entropy, by position, coloured solutions.';
  static override examples = ['<%= config.bin %> analyze runs/train-2026-11-26T10-00-00'];
  static override args = { 'run-dir': Args.string({ required: true, description: 'A training run directory.' }) };
  static override flags = { out: outFlag };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Analyze);
    const runDir = createRunDir('analyze', flags.out ?? `${args['run-dir']}/analysis`);
    const { logger } = this.openLogger(flags, runDir);
    const result = await analyzeRun(args['run-dir'], { logger, runDir });
    for (const file of result.files) this.log(file);
  }
}
