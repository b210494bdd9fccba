import { join } from 'node:path';
import { Args, Flags } from '@oclif/core';
import { loadJobFile } from '../config/index.js';
import { runTraining, type TrainResult } from '../api/train.js';
import { UserError } from '../util/errors.js';
import { BaseCommand, outFlag, setFlag } from '../cli/base.js';
import { shellQuote, withInterrupt } from '../cli/interrupt.js';

export default class Train extends BaseCommand {
  static override summary = 'Train the temperature and token policies with hierarchical RL (GRPO, coordinate ascent).';
  static override description =
    "Runs the job file's RL schedule: rollouts with the current temperature policy, verifier rewards, group-relative " +
    'advantages, then updates of the temperature head and/or the LLM. Writes metrics.csv, eval.csv, checkpoints and ' +
    'log.jsonl to the run directory. Ctrl-C, SIGTERM and SIGHUP finish the current step, save the last completed ' +
    'iteration and print the command that resumes it (exit 130, 143, 129); --resume continues from it.';
  static override examples = [
    '<%= config.bin %> train configs/default.yaml',
    '<%= config.bin %> train configs/default.yaml --set train.iterations=5 --out runs/quick',
    '<%= config.bin %> train configs/default.yaml --resume runs/quick',
  ];
  static override args = { config: Args.string({ description: 'YAML job file (configs/default.yaml is the default experiment).' }) };
  static override flags = {
    set: setFlag,
    out: outFlag,
    resume: Flags.string({ summary: 'Continue the run in this directory from its latest checkpoint.' }),
    'max-iterations': Flags.integer({ min: 1, summary: 'Stop after this many iterations (quick runs).' }),
  };

  async run(): Promise<TrainResult> {
    const { args, flags } = await this.parse(Train);
    if (!args.config) throw new UserError('give a job file, e.g. `introspect train configs/default.yaml` (the default experiment)');
    const overrides = [...flags.set];
    if (flags['max-iterations']) overrides.push(`train.iterations=${flags['max-iterations']}`);
    const { config } = loadJobFile(args.config, overrides);
    const { logger, runDir } = this.startRun('train', config, flags, flags.resume ?? flags.out, { resume: Boolean(flags.resume) });
    this.logToStderr(`run folder: ${runDir}`);
    // The resolved job beside the run is exactly what ran (every --set and default included).
    const resumeCommand = `introspect train ${shellQuote(join(runDir, 'config.yaml'))} --resume ${shellQuote(runDir)}`;
    const result = await withInterrupt((signal) => runTraining(config, { logger, runDir, signal }, { resume: Boolean(flags.resume) }), {
      onFirst: 'finishing the current step, then saving the last completed iteration',
      onInterrupted: (_signal, summary) => {
        this.logToStderr(
          summary.lastCheckpoint
            ? `saved ${summary.lastCheckpoint} (iteration ${summary.iterations})`
            : 'no iteration was completed: nothing saved',
        );
        this.logToStderr(`resume with: ${resumeCommand}`);
      },
    });
    const pct = (e: TrainResult['finalAccuracy']) => (e === null ? 'none' : `${(e.avgAtK * 100).toFixed(1)}% (iteration ${e.iteration})`);
    this.log(`trained ${result.iterations}/${config.train.iterations} iterations`);
    this.log(`held-out avg@${config.train.evalK}: final ${pct(result.finalAccuracy)}, best ${pct(result.bestAccuracy)}`);
    const end = result.finalAccuracy;
    const gain = end?.sinceStart;
    if (end && gain) {
      // paired over the same problems: the accuracy at iteration 0 is the final one minus the mean difference
      const points = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}`;
      this.log(
        `held-out greedy accuracy: ${((end.greedyAccuracy - gain.greedy.mean) * 100).toFixed(1)}% (iteration 0) -> ${(end.greedyAccuracy * 100).toFixed(1)}% (iteration ${end.iteration}); ` +
          `paired difference ${points(gain.greedy.mean)} points, 95% CI [${points(gain.greedy.low)}, ${points(gain.greedy.high)}] over ${gain.greedy.problems} problems ` +
          `(${gain.greedy.improved} newly solved, ${gain.greedy.worsened} newly failed); avg@${config.train.evalK} ${points(gain.avgAtK.mean)} [${points(gain.avgAtK.low)}, ${points(gain.avgAtK.high)}]`,
      );
    }
    this.log(`files: ${result.runDir} (metrics.csv, eval.csv, TensorBoard events, checkpoints/)`);
    this.log('next:');
    this.log(`  introspect analyze ${result.runDir}`);
    if (result.iterations < config.train.iterations) this.log(`  ${resumeCommand}`);
    this.log(`  tensorboard --logdir ${result.runDir}`);
    return result;
  }
}
