import { createWriteStream, rmSync, type WriteStream } from 'node:fs';
import { modelDirOf, samplingOf, type JobConfig } from '../config/index.js';
import { evaluatePolicy } from '../eval/evaluate.js';
import { loadJobProblems } from '../eval/problems.js';
import { evaluationSettings } from '../eval/settings.js';
import { metricsTable, openSummaryCsv, summaryRow, writeReport, type TaskResult } from '../eval/report.js';
import { resolveModelDir } from '../model/hub.js';
import { createPolicy, policyKindOf, policyLabel, type TemperaturePolicy } from '../policy/index.js';
import { openTemperatureHead, type TemperatureHead } from '../policy/head/index.js';
import { jobModelOptions, openPolicyModel } from '../rollout/runtime.js';
import { getTask, tasks } from '../tasks/index.js';
import { UserError } from '../util/errors.js';
import { Progress } from '../util/progress.js';
import type { ModelTokenizer } from '../model/tokenizer.js';
import type { RunContext } from '../util/run-context.js';
import { runFiles } from '../util/run-layout.js';
import { configureJobSessions } from './sessions.js';

export interface EvalResult {
  runDir: string;
  /** Markdown summary table (tasks as columns). */
  table: string;
  results: TaskResult[];
}

/** Above this share of prompts with characters the tokenizer cannot encode, accuracy on the task would mean nothing. */
const MAX_UNREADABLE_PROMPTS = 0.5;

/** Fails with one line when the model's tokenizer cannot encode most of the task's prompts. */
function refuseUnencodable(model: { tokenizer: ModelTokenizer }, task: string, questions: readonly string[], modelName: string): void {
  const sample = questions.slice(0, 64);
  const unknown = new Set<string>();
  let unreadable = 0;
  for (const q of sample) {
    const chars = model.tokenizer.unknownCharacters(q);
    chars.forEach((c) => unknown.add(c));
    if (chars.length > 0) unreadable++;
  }
  const share = unreadable / Math.max(1, sample.length);
  if (share > MAX_UNREADABLE_PROMPTS) {
    throw new UserError(
      `model ${modelName} cannot read ${task}: ${(share * 100).toFixed(0)}% of its prompts have characters the tokenizer does not know ` +
        `(${[...unknown].slice(0, 8).join(' ')}); pass --model with a model for this task (a folder or a Hub id such as ` +
        'Qwen/Qwen2.5-Math-1.5B), or --force to evaluate anyway',
    );
  }
}

/**
 * Benchmark evaluation: for each task of `job.eval`, k samples per problem under `job.policy`,
 * graded by the task's verifier; writes summary.csv, samples.jsonl (greedy-samples.jsonl with
 * `eval.greedy`) and report.md to the run directory. On an aborted signal it stops after the
 * current chunk and writes what is done.
 */
export async function runEvaluation(job: JobConfig, ctx: RunContext): Promise<EvalResult> {
  const { logger, runDir, signal } = ctx;
  configureJobSessions(job);
  // Unknown names fail before the model loads.
  const unknown = job.eval.tasks.filter((name) => !tasks.has(name));
  if (unknown.length > 0) throw new UserError(`eval.tasks: unknown task "${unknown[0]}"; valid: ${tasks.names().join(', ')}`);
  const evalTasks = job.eval.tasks.map((name) => getTask(name));
  const settings = evaluationSettings(job);
  const label = policyLabel(job.policy);
  const modelDir = await resolveModelDir(modelDirOf(job));
  logger.info({ model: modelDir, policy: label, tasks: job.eval.tasks }, 'opening model');
  const model = await openPolicyModel({ modelDir, ...jobModelOptions(job.model), ...samplingOf(job) });
  let head: TemperatureHead | undefined;
  const samplesFile = resultStream(runFiles.samples(runDir));
  let greedyFile: WriteStream | undefined;
  const results: TaskResult[] = [];
  try {
    let policy: TemperaturePolicy;
    if (policyKindOf(job.policy) === 'head') {
      head = openTemperatureHead(job, model.config.hiddenSize);
      if (job.head.path === undefined) {
        if (!job.eval.force) {
          throw new UserError(
            'policy learned needs a trained head: pass --head <train run>/checkpoints/iter-NNNNNN/head (or --force to evaluate an untrained one)',
          );
        }
        ctx.logger.warn('policy learned without --head / head.path: evaluating a fresh, untrained head (centred on head.initTemperature)');
      }
      policy = createPolicy(job.policy, { head: head.config }); // the head's own grid
    } else {
      policy = createPolicy(job.policy);
    }
    if (policy.needsTrainingProgress)
      throw new UserError(`temperature policy "${policy.spec.name}" follows the training step, so it cannot be evaluated on its own`);
    if (job.eval.greedy) greedyFile = resultStream(runFiles.greedySamples(runDir));
    const csv = openSummaryCsv(runDir);

    for (const task of evalTasks) {
      if (signal?.aborted) break;
      const problems = await loadJobProblems(job, task.name, job.eval.split, job.eval.limit);
      if (problems.length === 0) throw new UserError(`task ${task.name} has no ${job.eval.split} problems to evaluate`);
      if (!job.eval.force)
        refuseUnencodable(
          model,
          task.name,
          problems.map((p) => p.question),
          modelDirOf(job),
        );
      const passes = job.eval.greedy ? 2 : 1;
      const progress = new Progress({ label: `eval ${task.name}`, total: problems.length * passes, rateUnit: 'tok' });
      const started = Date.now();
      let tokens = 0;
      const evaluation = await evaluatePolicy({
        model,
        policy,
        ...(head ? { head } : {}),
        policyLabel: label,
        task,
        problems,
        k: job.eval.k,
        ...settings,
        seed: job.run.seed,
        greedy: job.eval.greedy,
        keepSamples: false,
        ...(signal ? { signal } : {}),
        onSamples: (records, greedy) => {
          const out = greedy ? greedyFile! : samplesFile;
          out.write(records.map((r) => JSON.stringify(r)).join('\n') + '\n');
        },
        onTokens: (count) => {
          tokens += count;
          progress.tick(0, count);
        },
        onProblems: (count) => {
          progress.tick(count * passes);
          const seconds = (Date.now() - started) / 1000;
          logger.debug({ task: task.name, tokens, tokensPerSecond: round(tokens / seconds) }, 'evaluated a chunk of problems');
        },
      });
      progress.finish();
      const seconds = (Date.now() - started) / 1000;
      const result: TaskResult = { task: task.name, policy: label, summary: evaluation.summary, seconds, completed: evaluation.completed };
      results.push(result);
      csv.append(summaryRow(result));
      const s = evaluation.summary;
      logger.info(
        {
          task: task.name,
          problems: s.problems,
          avgAtK: round(s.avgAtK),
          passAtK: round(s.passAtK),
          majAtK: round(s.majAtK),
          ...(s.greedyAccuracy !== null ? { greedyAccuracy: round(s.greedyAccuracy) } : {}),
          tokensPerSecond: round(s.tokens / seconds),
          seconds: round(seconds),
        },
        evaluation.completed ? 'task evaluated' : 'task stopped early',
      );
    }
    if (signal?.aborted) logger.warn('evaluation stopped early; the results cover the problems finished so far');
    writeReport(
      runDir,
      {
        model: modelDir,
        policy: label,
        ...(head ? { head: job.head.path ?? 'a fresh, untrained head' } : {}),
        k: job.eval.k,
        split: job.eval.split,
        limit: job.eval.limit,
        maxNewTokens: job.rollout.maxNewTokens,
        topK: job.rollout.topK,
        topP: job.rollout.topP,
        seed: job.run.seed,
        greedy: job.eval.greedy,
      },
      results,
    );
  } catch (error) {
    // Failed before any task finished: no empty samples.jsonl or header-only summary.csv is left.
    if (results.length === 0) {
      await Promise.allSettled([closeStream(samplesFile), greedyFile ? closeStream(greedyFile) : undefined]);
      for (const path of [runFiles.samples(runDir), runFiles.greedySamples(runDir), runFiles.summary(runDir)])
        rmSync(path, { force: true });
    }
    throw error;
  } finally {
    await Promise.all([closeStream(samplesFile), greedyFile ? closeStream(greedyFile) : undefined]);
    await head?.dispose();
    await model.dispose();
  }
  return { runDir, table: metricsTable(results), results };
}

function round(x: number): number {
  return Number(x.toPrecision(4));
}

/** Ends a stream; a write error (disk full) that happened earlier is reported here, not as an unhandled 'error' event. */
function closeStream(stream: WriteStream): Promise<void> {
  return new Promise((done, fail) => {
    if (stream.destroyed) return stream.errored ? fail(stream.errored) : done();
    stream.end((error?: Error | null) => (error ? fail(error) : done()));
  });
}

/** A results stream whose errors are kept for {@link closeStream} (an 'error' event without a listener ends the process). */
function resultStream(path: string): WriteStream {
  const stream = createWriteStream(path);
  stream.on('error', () => undefined);
  return stream;
}
