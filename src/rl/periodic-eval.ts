/**
 * The trainer's periodic held-out evaluation: the training policy on `train.evalProblems` test
 * problems, k = `train.evalK` (avg@k, unbiased pass@k, maj@k), and greedy decoding, with the job's evaluation settings (eval/settings.ts: the prompts,
 * stop strings and verifier options training uses). Samples go to eval/iter-N/samples.jsonl and
 * greedy-samples.jsonl, one row to eval.csv.
 *
 * Every evaluation uses the same problems and the same random numbers (the stream key does not
 * depend on the iteration), so each one is paired with the run's first (iteration 0, before any
 * update): eval.csv gives the per-problem difference of greedy accuracy and of avg@k to it, with a
 * bootstrap 95% interval over problems, and the problems greedy decoding newly solves and newly
 * fails (McNemar's discordant pairs). That is whether training improved the model beyond the noise
 * of a finite problem set; the interval covers problem sampling, not training seeds.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { evaluatePolicy } from '../eval/evaluate.js';
import { pairedBootstrap, pairedDifferences, type PairedDifference, type ProblemScores } from '../eval/paired.js';
import { readProblemScores } from '../eval/samples.js';
import { evaluationSettings } from '../eval/settings.js';
import { policyLabel } from '../policy/index.js';
import type { MetricSink } from '../util/metric-sinks.js';
import { must } from '../util/must.js';
import { runFiles } from '../util/run-layout.js';
import { TRAINER_STREAMS } from './streams.js';
import type { TrainerParts } from './trainer-setup.js';

/** One periodic evaluation's headline, as kept in the train summary. */
export interface EvalPoint {
  iteration: number;
  avgAtK: number;
  greedyAccuracy: number;
  /** the paired differences to the first evaluation (iteration 0); absent for that one, or when its files are gone or cover other problems */
  sinceStart?: GainSinceStart;
}

export interface GainSinceStart {
  /** greedy accuracy now minus at iteration 0, over the same problems */
  greedy: PairedDifference & {
    /** problems greedy decoding solves now but did not at iteration 0 */
    improved: number;
    /** problems it solved at iteration 0 but not now */
    worsened: number;
  };
  /** avg@k (the training policy's) now minus at iteration 0 */
  avgAtK: PairedDifference;
}

/** Resamples of the paired bootstrap over problems. */
const BOOTSTRAP_RESAMPLES = 2000;

export async function periodicEval(parts: TrainerParts, csv: MetricSink): Promise<EvalPoint> {
  const { job, state } = parts;
  const started = performance.now();
  const result = await evaluatePolicy({
    model: parts.model,
    policy: parts.policy,
    head: parts.head,
    policyLabel: policyLabel(job.policy),
    task: parts.task,
    problems: parts.evalProblems,
    k: job.train.evalK,
    ...evaluationSettings(job),
    seed: job.run.seed,
    streamKey: [TRAINER_STREAMS.periodicEval],
    // greedy beside the own policy: whether the model itself improved, not only its sampling
    greedy: true,
    trainingStep: state.iteration,
    totalTrainingSteps: job.train.iterations,
  });
  const dir = runFiles.evalIterationDir(parts.ctx.runDir, state.iteration);
  mkdirSync(dir, { recursive: true });
  const jsonl = (records: readonly object[]) => records.map((r) => JSON.stringify(r)).join('\n') + '\n';
  writeFileSync(runFiles.samples(dir), jsonl(result.samples));
  writeFileSync(runFiles.greedySamples(dir), jsonl(result.greedySamples));
  const s = result.summary;
  const now = {
    problemIds: parts.evalProblems.map((p) => p.id),
    sampled: { samples: job.train.evalK, correct: result.perProblemCorrect },
    greedy: { samples: 1, correct: result.greedySamples.map((r) => (r.correct ? 1 : 0)) },
  };
  const gain = state.iteration > 0 ? gainSinceStart(parts, now) : undefined;
  csv.write({
    iteration: state.iteration,
    problems: s.problems,
    k: s.k,
    avg_at_k: s.avgAtK,
    pass_at_k: s.passAtK,
    maj_at_k: s.majAtK,
    greedy_accuracy: s.greedyAccuracy ?? NaN,
    mean_temperature: s.meanTemperature,
    mean_length: s.meanLength,
    greedy_gain: gain?.greedy.mean ?? NaN,
    greedy_gain_low: gain?.greedy.low ?? NaN,
    greedy_gain_high: gain?.greedy.high ?? NaN,
    greedy_improved: gain?.greedy.improved ?? NaN,
    greedy_worsened: gain?.greedy.worsened ?? NaN,
    avg_gain: gain?.avgAtK.mean ?? NaN,
    avg_gain_low: gain?.avgAtK.low ?? NaN,
    avg_gain_high: gain?.avgAtK.high ?? NaN,
    seconds: (performance.now() - started) / 1000,
  });
  parts.ctx.logger.info(
    {
      iteration: state.iteration,
      avgAtK: s.avgAtK,
      passAtK: s.passAtK,
      greedy: s.greedyAccuracy,
      ...(gain ? { greedyGain: gain.greedy.mean, greedyGainCi: [gain.greedy.low, gain.greedy.high] } : {}),
    },
    'held-out evaluation',
  );
  return { iteration: state.iteration, avgAtK: s.avgAtK, greedyAccuracy: s.greedyAccuracy ?? NaN, ...(gain ? { sinceStart: gain } : {}) };
}

/**
 * This evaluation paired with the run's first, read back from its files (so a resumed run pairs
 * with the same one); undefined when those files are missing or hold other problems.
 */
function gainSinceStart(
  parts: TrainerParts,
  now: { problemIds: string[]; sampled: ProblemScores; greedy: ProblemScores },
): GainSinceStart | undefined {
  const dir = runFiles.evalIterationDir(parts.ctx.runDir, 0);
  const files = [runFiles.samples(dir), runFiles.greedySamples(dir)];
  if (!files.every(existsSync)) return undefined;
  const [sampled, greedy] = files.map(readProblemScores) as [ReturnType<typeof readProblemScores>, ReturnType<typeof readProblemScores>];
  const same = (ids: readonly string[]) => ids.length === now.problemIds.length && ids.every((id, i) => id === now.problemIds[i]);
  if (!same(sampled.problemIds) || !same(greedy.problemIds)) {
    parts.ctx.logger.warn({ dir }, 'the first evaluation covered other problems: no paired difference to it');
    return undefined;
  }
  const paired = (a: ProblemScores, b: ProblemScores) => {
    const differences = pairedDifferences(new Map([[0, a]]), new Map([[0, b]]));
    return {
      differences: must(differences[0], 'the paired differences'),
      ci: pairedBootstrap(differences, { seed: parts.job.run.seed, resamples: BOOTSTRAP_RESAMPLES }),
    };
  };
  const g = paired(now.greedy, greedy);
  return {
    greedy: { ...g.ci, improved: g.differences.filter((d) => d > 0).length, worsened: g.differences.filter((d) => d < 0).length },
    avgAtK: paired(now.sampled, sampled).ci,
  };
}
