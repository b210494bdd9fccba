import { Args, Flags } from '@oclif/core';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createRunDir } from '../config/index.js';
import { analyzeRun, type AnalyzeResult } from '../api/analyze.js';
import { BaseCommand } from '../cli/base.js';
import { UserError } from '../util/errors.js';

export default class Analyze extends BaseCommand {
  static override summary = 'Show what a learned temperature head does: temperature vs entropy, by position, coloured solutions.';
  static override examples = ['<%= config.bin %> analyze runs/quick', '<%= config.bin %> analyze runs/quick --out runs/quick-analysis'];
  static override args = { 'run-dir': Args.string({ required: true, description: 'A training or evaluation run directory.' }) };
  static override flags = {
    out: Flags.string({ char: 'o', summary: 'Folder for the plots and tables (default: <run-dir>/analysis).' }),
  };

  async run(): Promise<Omit<AnalyzeResult, 'analysis'> & { runDir: string }> {
    const { args, flags } = await this.parse(Analyze);
    const source = args['run-dir'];
    // Checked before anything is created: a typo must not leave runs/<typo>/analysis behind.
    if (!existsSync(source) || !statSync(source).isDirectory()) throw new UserError(`run folder ${source} does not exist`);
    const runDir = createRunDir('analyze', flags.out ?? join(source, 'analysis'));
    const { logger } = this.openLogger(flags, runDir);
    const result = await analyzeRun(source, { logger, runDir });
    for (const file of result.files) this.log(file);
    return { runDir, files: result.files, source: result.source };
  }
}
