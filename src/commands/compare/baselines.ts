import { Flags } from '@oclif/core';
import { join, resolve } from 'node:path';
import { loadJobFile, packageRoot } from '../../config/index.js';
import { compareBaselines, compareReport } from '../../api/compare.js';
import type { CompareResult } from '../../api/compare.js';
import { BaseCommand, outFlag, setFlag } from '../../cli/base.js';
import { shellQuote, withInterrupt } from '../../cli/interrupt.js';

export default class CompareBaselines extends BaseCommand {
  static override summary = 'Train and evaluate the learned temperature policy against fixed and heuristic temperatures.';
  static override description =
    'Each method (fixed temperatures, edt, entropy-threshold, an annealed schedule, learned with coordinate ascent, ' +
    'learned with joint updates) trains from the same initial model with the same budget and seeds, then is ' +
    'evaluated on the same held-out problems. Writes results.csv, results.md and plots. Finished method/seed ' +
    'cells are not retrained when the same --out is given again.';
  static override examples = [
    '<%= config.bin %> compare baselines',
    '<%= config.bin %> compare baselines --config configs/compare.yaml --out results/compare-countdown',
    '<%= config.bin %> compare baselines --set compare.seeds=[0] --out runs/compare-seed0',
    '<%= config.bin %> compare baselines --out runs/compare-seed0 --report-only',
  ];
  static override flags = {
    config: Flags.string({ char: 'c', summary: 'Comparison job file.', default: resolve(packageRoot, 'configs', 'compare.yaml') }),
    set: setFlag,
    out: outFlag,
    'report-only': Flags.boolean({
      summary:
        "Re-make results.md, results.csv and the plots from the finished cells in --out, training nothing (the job is --out's config.yaml).",
      description:
        'For a comparison made by an older version: its cells are tabulated as they are, where a rerun would retrain cells whose settings changed.',
      dependsOn: ['out'],
    }),
  };

  async run(): Promise<CompareResult> {
    const { flags } = await this.parse(CompareBaselines);
    if (flags['report-only']) {
      const runDir = resolve(flags.out!);
      const { config } = loadJobFile(join(runDir, 'config.yaml'), flags.set);
      const result = await compareReport(config, { logger: this.openLogger(flags).logger, runDir });
      this.log(result.table);
      this.log(`files: ${result.files.join(', ')}`);
      return result;
    }
    const { config } = loadJobFile(flags.config, flags.set);
    const { logger, runDir } = this.startRun('compare', config, flags, flags.out, { reusable: true });
    this.logToStderr(`run folder: ${runDir}`);
    // The resolved job beside the run is exactly what ran; finished cells are reused from the same folder.
    const resumeCommand = `introspect compare baselines --config ${shellQuote(join(runDir, 'config.yaml'))} --out ${shellQuote(runDir)}`;
    const result = await withInterrupt((signal) => compareBaselines(config, { logger, runDir, signal }), {
      onFirst: 'finishing the current training step; finished cells are kept',
      onInterrupted: (_signal, r) => {
        this.logToStderr(
          r.rows.length > 0
            ? `stopped after ${r.cells.done}/${r.cells.total} cells: results.md covers the finished ones`
            : `stopped before any cell finished: no tables written (partly trained cells are in ${join(runDir, 'cells')})`,
        );
        this.logToStderr(`resume with: ${resumeCommand}`);
      },
    });
    if (result.table) this.log(result.table);
    this.log(`files: ${result.runDir} (results.md, results.csv, plots, cells/)`);
    return result;
  }
}
