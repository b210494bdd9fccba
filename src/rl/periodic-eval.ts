/**
 * The trainer's periodic held-out evaluation: the training policy on `train.evalProblems` test
 * problems, k = `train.evalK` (avg@k, unbiased pass@k, maj@k), and greedy decoding, with the job's evaluation settings (eval/settings.ts: the prompts,
 * stop strings and verifier options training uses). Samples go to eval/iter-N/samples.jsonl, one row
 * to eval.csv.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { evaluatePolicy } from '../eval/evaluate.js';
import { evaluationSettings } from '../eval/settings.js';
import { policyLabel } from '../policy/index.js';
import type { MetricSink } from '../util/metric-sinks.js';
import { runFiles } from '../util/run-layout.js';
import { TRAINER_STREAMS } from './streams.js';
import type { TrainerParts } from './trainer-setup.js';

/** One periodic evaluation's headline, as kept in the train summary. */
export interface EvalPoint {
  iteration: number;
  avgAtK: number;
}

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
  writeFileSync(runFiles.samples(dir), result.samples.map((s) => JSON.stringify(s)).join('\n') + '\n');
  const s = result.summary;
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
    seconds: (performance.now() - started) / 1000,
  });
  parts.ctx.logger.info({ iteration: state.iteration, avgAtK: s.avgAtK, passAtK: s.passAtK, greedy: s.greedyAccuracy }, 'held-out evaluation');
  return { iteration: state.iteration, avgAtK: s.avgAtK };
}
