/**
 * Evaluation of one temperature policy on one task with an already-open model: k sampled completions
 * per problem through the rollout engine, graded by the task's verifier, summarised as avg@k,
 * pass@k, maj@k (and greedy accuracy). `introspect eval` and the trainer's periodic held-out
 * evaluation both run this; neither reloads the model.
 */
import { totalmem } from 'node:os';
import type { TemperatureHeadSession, TemperaturePolicy } from '../policy/types.js';
import { createPolicy } from '../policy/index.js';
import { generateRollouts } from '../rollout/engine.js';
import type { PolicyModel, PromptOptions } from '../rollout/runtime.js';
import type { SamplingOptions } from '../rollout/sampling.js';
import type { Rollout } from '../rollout/types.js';
import {
  answersEquivalent,
  problemGrader,
  type ProblemGrader,
  type Problem,
  type TaskDefinition,
  type VerifyOptions,
} from '../tasks/index.js';
import type { SampleRecord } from './samples.js';
import { summarizeSamples, type EvalSummary, type GradedSample } from './summary.js';
import { UserError } from '../util/errors.js';
import { at } from '../util/must.js';

export interface EvaluatePolicyOptions {
  model: PolicyModel;
  policy: TemperaturePolicy;
  /** the temperature head's session; required by head policies (`learned`) */
  head?: TemperatureHeadSession;
  /** the policy's name in the records, e.g. "fixed:0.6" */
  policyLabel: string;
  task: TaskDefinition;
  problems: readonly Problem[];
  /** samples per problem */
  k: number;
  /** chat models' system prompt and answer instruction; plain prompts default to the task's template */
  prompt?: Partial<PromptOptions>;
  maxNewTokens: number;
  /** sequences decoded together */
  batchSize: number;
  sampling?: SamplingOptions;
  stopStrings?: readonly string[];
  seed: number;
  /** mixed into every random stream (e.g. [iteration] for the trainer's periodic evaluations) */
  streamKey?: readonly number[];
  /** the training step, for policies that follow training progress (the trainer's periodic evaluation) */
  trainingStep?: number;
  totalTrainingSteps?: number;
  /** also decode one greedy completion per problem and report its accuracy */
  greedy?: boolean;
  /** the verifier's settings on top of the task's own (e.g. formatPenalty for the records' rewards) */
  verify?: Partial<VerifyOptions>;
  /** keep every SampleRecord in the result (default true); off when they are streamed via onSamples */
  keepSamples?: boolean;
  /** stops between chunks of problems; the summary then covers the problems finished so far */
  signal?: AbortSignal;
  /** each finished chunk's records, in problem order (greedy ones with `greedy` true) */
  onSamples?: (records: SampleRecord[], greedy: boolean) => void;
  /** after every decode step: tokens generated in it */
  onTokens?: (count: number) => void;
  /** after every chunk: problems finished in it (sampled pass; the greedy pass is counted too) */
  onProblems?: (count: number) => void;
}

export interface EvaluatePolicyResult {
  summary: EvalSummary;
  /** [problems * k] in (problem, sample) order; empty when `keepSamples` is false */
  samples: SampleRecord[];
  /** one per problem; empty without `greedy` or when `keepSamples` is false */
  greedySamples: SampleRecord[];
  /** correct samples of each problem, in problem order (kept even without `keepSamples`: paired comparisons need them) */
  perProblemCorrect: number[];
  /** false when the signal stopped it before every problem was done */
  completed: boolean;
}

/** Evaluates a policy on problems (see {@link EvaluatePolicyOptions}). */
export async function evaluatePolicy(options: EvaluatePolicyOptions): Promise<EvaluatePolicyResult> {
  if (!Number.isInteger(options.k) || options.k < 1) throw new RangeError(`k must be a positive integer, got ${options.k}`);
  checkSampleMemory(options.problems.length, options.k, options.maxNewTokens, options.keepSamples ?? true);
  const { model, task } = options;
  const verify = { ...task.verifier, ...options.verify };
  const grade = problemGrader(task, options.verify);
  const promptOptions: PromptOptions = { plainPrompt: (q) => task.prompt(q), maxNewTokens: options.maxNewTokens, ...options.prompt };
  const keep = options.keepSamples ?? true;
  const samples: SampleRecord[] = [];
  const greedySamples: SampleRecord[] = [];
  const graded: GradedSample[][] = [];
  const greedyGraded: GradedSample[] = [];
  const greedyPolicy = options.greedy ? createPolicy('greedy') : null;

  // Chunks of about one batch, so a stop request is honoured within a batch's time.
  const perChunk = Math.max(1, Math.floor(options.batchSize / options.k));
  let completed = true;
  for (let start = 0; start < options.problems.length; start += perChunk) {
    if (options.signal?.aborted) {
      completed = false;
      break;
    }
    const chunk = options.problems.slice(start, start + perChunk);
    const prompts = model.encodePrompts(
      chunk.map((p) => p.question),
      promptOptions,
    );
    const promptIds = chunk.map((_, i) => start + i);
    const run = (policy: TemperaturePolicy, groupSize: number): Promise<Rollout[]> =>
      generateRollouts(model.decoder, {
        prompts,
        promptIds,
        groupSize,
        policy,
        ...(policy.kind === 'head' ? { head: options.head } : {}),
        maxNewTokens: options.maxNewTokens,
        eosTokenIds: model.eosTokenIds,
        stopStrings: options.stopStrings ?? [],
        decodeText: (ids) => model.decodeText(ids),
        seed: options.seed,
        streamKey: options.streamKey ?? [],
        batchSize: options.batchSize,
        sampling: options.sampling ?? {},
        ...(options.trainingStep !== undefined ? { trainingStep: options.trainingStep } : {}),
        ...(options.totalTrainingSteps !== undefined ? { totalTrainingSteps: options.totalTrainingSteps } : {}),
        ...(options.onTokens ? { onTokens: options.onTokens } : {}),
      });

    const rollouts = await run(options.policy, options.k);
    const record = (r: Rollout, label: string) =>
      toRecord(r, at(chunk, r.promptIndex, 'problems'), label, at(prompts, r.promptIndex, 'prompts'), model, grade);
    const records = rollouts.map((r) => record(r, options.policyLabel));
    chunk.forEach((_, i) => graded.push(records.slice(i * options.k, (i + 1) * options.k).map(gradedOf)));
    options.onSamples?.(records, false);
    if (keep) samples.push(...records);

    if (greedyPolicy) {
      const greedy = (await run(greedyPolicy, 1)).map((r) => record(r, 'greedy'));
      greedyGraded.push(...greedy.map(gradedOf));
      options.onSamples?.(greedy, true);
      if (keep) greedySamples.push(...greedy);
    }
    options.onProblems?.(chunk.length);
  }
  // A task with its own grading extracts a whole computation: identical text is the same answer.
  const identity = {
    equivalent: task.grade ? (a: string, b: string) => a === b : (a: string, b: string) => answersEquivalent(a, b, verify),
  };
  const summary = summarizeSamples(graded, options.k, identity, greedyPolicy ? greedyGraded : undefined);
  const perProblemCorrect = graded.map((g) => g.filter((x) => x.correct).length);
  return { summary, samples, greedySamples, perProblemCorrect, completed };
}

function gradedOf(r: SampleRecord): GradedSample {
  return { extracted: r.extracted, correct: r.correct, length: r.tokens.length, temperatureSum: r.temperatures.reduce((a, b) => a + b, 0) };
}

/** A graded rollout as written to samples.jsonl. */
function toRecord(
  r: Rollout,
  problem: Problem,
  policy: string,
  promptIds: readonly number[],
  model: PolicyModel,
  grade: ProblemGrader,
): SampleRecord {
  const verdict = grade(r.text, problem);
  return {
    task: problem.task,
    problemId: problem.id,
    sample: r.sampleIndex,
    policy,
    prompt: model.tokenizer.decode(promptIds),
    response: r.text,
    answer: problem.answer,
    extracted: verdict.extracted,
    correct: verdict.correct,
    reward: verdict.reward,
    tokens: model.tokenTexts(r.tokens),
    temperatures: jsonFloats(r.temperatures),
    entropies: jsonFloats(r.entropies),
    logprobs: jsonFloats(r.logprobs),
    finishReason: r.finishReason,
  };
}

/**
 * Float32 values as the shortest decimals that keep float32's ~7 significant digits: 0.7 is written
 * as 0.7, not as its float32 neighbour 0.699999988079071, and the file stays half as large.
 */
function jsonFloats(values: Float32Array): number[] {
  return Array.from(values, (x) => Number(x.toPrecision(7)));
}

/** Bytes a kept sample needs per generated token (its text and per-token temperature records), measured loosely on the default job. */
const BYTES_PER_KEPT_TOKEN = 64;

/** Refuses an evaluation whose kept samples could not fit in half of this machine's memory. */
function checkSampleMemory(problems: number, k: number, maxNewTokens: number, keep: boolean): void {
  if (!keep) return;
  const bytes = problems * k * maxNewTokens * BYTES_PER_KEPT_TOKEN;
  const budget = totalmem() / 2;
  if (bytes > budget) {
    throw new UserError(
      `${problems} problems x k ${k} x ${maxNewTokens} tokens would keep about ${(bytes / 2 ** 30).toFixed(1)} GiB of samples, ` +
        `more than half of this machine's ${(totalmem() / 2 ** 30).toFixed(0)} GiB; lower k, eval.limit or rollout.maxNewTokens`,
    );
  }
}
