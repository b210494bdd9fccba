/**
 * One RL iteration: sample prompts -> G rollouts each -> rewards -> advantages -> the phase's policy
 * updates (epochs x mini-batches, old log-probs frozen from the rollout, through each policy's
 * {@link PolicyUpdater}) -> one row of metrics.
 */
import { promptSettings } from '../eval/settings.js';
import { generateRollouts } from '../rollout/engine.js';
import type { Rollout } from '../rollout/types.js';
import { gradeBatch, type Problem } from '../tasks/index.js';
import { UserError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import { computeAdvantages } from './advantages.js';
import type { TrainerState } from './checkpoint.js';
import { iterationMetrics, type IterationMetrics, weightChecksum } from './metrics.js';
import { trainerStream } from './streams.js';
import type { TrainerParts } from './trainer-setup.js';
import { nextLr, type PolicyUpdater, type StepStats } from './updater.js';

/** The prompts of one iteration: a fresh draw without replacement from (seed, iteration). */
function samplePrompts(parts: TrainerParts, iteration: number): { problems: Problem[]; ids: number[] } {
  const n = parts.trainProblems.length;
  const want = Math.min(parts.job.train.promptsPerIteration, n);
  const rng = trainerStream(parts.state.seed, 'prompts', iteration);
  const chosen = new Set<number>();
  while (chosen.size < want) chosen.add(Math.floor(rng.uniform() * n));
  const ids = [...chosen];
  return { problems: ids.map((i) => parts.trainProblems[i]!), ids };
}

export async function runIteration(parts: TrainerParts): Promise<IterationMetrics> {
  const { job, model, state } = parts;
  const iteration = state.iteration;
  const phase = parts.schedule.phaseAt(iteration);
  const started = performance.now();
  const { problems, ids } = samplePrompts(parts, iteration);
  const prompt = { plainPrompt: (q: string) => parts.task.prompt(q), ...promptSettings(job) };
  const prompts = problems.map((p) => model.encodePrompt(p.question, prompt));
  const rollouts = await generateRollouts(model.decoder, {
    prompts,
    promptIds: ids,
    groupSize: job.train.groupSize,
    policy: parts.policy,
    head: parts.head,
    maxNewTokens: job.rollout.maxNewTokens,
    eosTokenIds: model.eosTokenIds,
    stopStrings: job.rollout.stop,
    decodeText: (t) => model.decodeText(t),
    seed: state.seed,
    streamKey: [iteration],
    batchSize: job.rollout.batchSize,
    recordHidden: phase.updateTemperature && parts.headUpdater !== undefined,
    trainingStep: iteration,
    totalTrainingSteps: job.train.iterations,
  });
  const rolloutSeconds = (performance.now() - started) / 1000;
  const verify = { ...parts.task.verifier, formatPenalty: job.task.formatPenalty, fallback: job.task.answerFallback };
  // On the grading pool: a G x prompts batch is graded on every core (src/tasks/verifier/pool.ts).
  const { verdicts } = await gradeBatch(rollouts.map((r) => ({ response: r.text, answer: problems[r.promptIndex]!.answer })), verify);
  const rewards = verdicts.map((v) => v.reward);
  const adv = computeAdvantages(job.train.advantage.estimator, {
    rewards,
    groupSize: job.train.groupSize,
    dropUniformGroups: job.train.advantage.dropUniformGroups,
  });
  const kept = rollouts.map((_, i) => i).filter((i) => adv.value.kept[i] === 1);
  const updateStart = performance.now();
  const update = <S extends StepStats>(updater: PolicyUpdater<S> | undefined, active: boolean): Promise<S[]> =>
    updater && active && kept.length > 0 ? updatePolicy(parts, updater, rollouts, adv.value.advantages, kept, iteration) : Promise.resolve([]);
  const tokenSteps = await update(parts.tokenUpdater, phase.updateToken);
  const headSteps = await update(parts.headUpdater, phase.updateTemperature);
  trackNonFinite(state, [...tokenSteps, ...headSteps], job.train.maxNonFiniteSteps, parts.ctx.logger);
  const updateSeconds = (performance.now() - updateStart) / 1000;
  return iterationMetrics({
    iteration: iteration + 1,
    phase,
    rollouts,
    verdicts,
    advantages: adv,
    tokenSteps,
    headSteps,
    rolloutSeconds,
    updateSeconds,
    wallSeconds: (performance.now() - started) / 1000,
    tokenChecksum: weightChecksum(parts.tokenUpdater?.params ?? new Map()),
    headChecksum: parts.head ? weightChecksum(new Map([...parts.head.params].map(([k, v]) => [k, { data: v }]))) : 0,
    tokenLr: parts.tokenUpdater ? nextLr(parts.tokenUpdater) : 0,
    headLr: parts.headUpdater ? nextLr(parts.headUpdater) : 0,
  });
}

/** One policy's update in an iteration: prepare, a step per shuffled mini-batch of the kept rollouts for every epoch, finish. */
async function updatePolicy<S extends StepStats>(
  parts: TrainerParts,
  updater: PolicyUpdater<S>,
  rollouts: readonly Rollout[],
  advantages: ArrayLike<number>,
  kept: readonly number[],
  iteration: number,
): Promise<S[]> {
  const steps: S[] = [];
  await updater.prepare(rollouts);
  const size = parts.job.train.miniBatchSize;
  for (let epoch = 0; epoch < parts.job.train.epochs; epoch++) {
    const order = kept.slice();
    const rng = trainerStream(parts.state.seed, 'miniBatches', iteration, epoch);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rng.uniform() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (let start = 0; start < order.length; start += size) {
      const batch = order.slice(start, start + size);
      steps.push(await updater.step(batch.map((i) => rollouts[i]!), batch.map((i) => advantages[i]!), nextLr(updater)));
    }
  }
  await updater.finish();
  return steps;
}

/**
 * Counts skipped (non-finite) optimiser steps: each is logged; an applied step resets the streak;
 * `maxInARow` skipped steps in a row stop training with an error rather than burn the budget.
 */
export function trackNonFinite(
  state: Pick<TrainerState, 'nonFiniteStreak' | 'nonFiniteTotal'>,
  steps: readonly { applied: boolean; loss: number }[],
  maxInARow: number,
  logger: Logger,
): void {
  for (const s of steps) {
    if (s.applied) {
      state.nonFiniteStreak = 0;
      continue;
    }
    state.nonFiniteStreak++;
    state.nonFiniteTotal++;
    logger.warn({ loss: s.loss, streak: state.nonFiniteStreak }, 'non-finite loss or gradients: step skipped');
    if (state.nonFiniteStreak >= maxInARow) {
      throw new UserError(`${state.nonFiniteStreak} non-finite steps in a row (train.maxNonFiniteSteps = ${maxInARow}); lower the learning rate`);
    }
  }
}
