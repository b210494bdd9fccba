/**
 * The one mapping from a job to how its model is prompted, sampled and graded. Training rollouts,
 * `introspect eval`, the trainer's periodic evaluation and every cell of `compare baselines` take
 * their settings from here, so a model is evaluated with the prompts, stop strings and verifier
 * options it was trained with (when these were assembled in three places, `compare` evaluated
 * without the task's system prompt, instruction, stop strings and top-k/top-p).
 */
import type { JobConfig } from '../config/index.js';
import type { PromptOptions } from '../rollout/runtime.js';
import { checkSamplingOptions, type SamplingOptions } from '../rollout/sampling.js';
import type { VerifyOptions } from '../tasks/index.js';

/** What the job says about prompts: the chat system prompt and answer instruction, where given. */
export function promptSettings(job: Pick<JobConfig, 'task'>): Omit<PromptOptions, 'plainPrompt'> {
  return {
    ...(job.task.systemPrompt !== undefined ? { systemPrompt: job.task.systemPrompt } : {}),
    ...(job.task.instruction !== undefined ? { instruction: job.task.instruction } : {}),
  };
}

/** The settings of {@link evaluatePolicy} that follow from the job (the rest: model, policy, problems, k, seed). */
export interface EvaluationSettings {
  prompt: Omit<PromptOptions, 'plainPrompt'>;
  maxNewTokens: number;
  batchSize: number;
  stopStrings: readonly string[];
  /** top-k / top-p apply to evaluation only: training samples the full distribution so log-probs match the loss */
  sampling: SamplingOptions;
  /** on top of the task's own verifier settings */
  verify: Partial<VerifyOptions>;
}

/** A job's evaluation settings (checks top-k / top-p once, so every caller fails the same way). */
export function evaluationSettings(job: Pick<JobConfig, 'task' | 'rollout'>): EvaluationSettings {
  const sampling = { topK: job.rollout.topK, topP: job.rollout.topP };
  checkSamplingOptions(sampling);
  return {
    prompt: promptSettings(job),
    maxNewTokens: job.rollout.maxNewTokens,
    batchSize: job.rollout.batchSize,
    stopStrings: job.rollout.stop,
    sampling,
    verify: { formatPenalty: job.task.formatPenalty, fallback: job.task.answerFallback },
  };
}
