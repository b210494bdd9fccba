/**
 * One RL iteration: sample prompts -> G rollouts each -> rewards -> advantages -> the phase's policy
 * updates (epochs x mini-batches, old log-probs frozen from the rollout, through each policy's
 * {@link PolicyUpdater}) -> one row of metrics.
 */
import { promptSettings, verifierSettings } from '../eval/settings.js';
import { generateRollouts } from '../rollout/engine.js';
import type { Rollout } from '../rollout/types.js';
import { gradeBatch, problemGrader, type Problem, type Verdict } from '../tasks/index.js';
import { faultPoint } from '../util/fault.js';
import { computeAdvantages } from './advantages.js';
import { iterationMetrics, type IterationMetrics, weightChecksum } from './metrics.js';
import { combinedReward } from './rewards.js';
import { guardedStep, trackNonFinite } from './non-finite.js';
import { trainerStream } from './streams.js';
import type { TrainerParts } from './trainer-setup.js';
import { DeviceTokenPolicyUpdater } from './device-token-update.js';
import { nextLr, type PolicyUpdater, type StepStats } from './updater.js';
import { at, swap } from '../util/must.js';

/** The prompts of one sampling round: a fresh draw without replacement from (seed, iteration[, round]). */
function samplePrompts(parts: TrainerParts, iteration: number, round: number): { problems: Problem[]; ids: number[] } {
  const n = parts.trainProblems.length;
  const want = Math.min(parts.job.train.promptsPerIteration, n);
  // Round 0 keeps the stream of runs without dynamic sampling.
  const rng =
    round === 0 ? trainerStream(parts.state.seed, 'prompts', iteration) : trainerStream(parts.state.seed, 'prompts', iteration, round);
  const chosen = new Set<number>();
  while (chosen.size < want) chosen.add(Math.floor(rng.uniform() * n));
  const ids = [...chosen];
  return { problems: ids.map((i) => at(parts.trainProblems, i, 'train problems')), ids };
}

/** One prompt's group of rollouts, graded. */
interface Group {
  rollouts: Rollout[];
  verdicts: Verdict[];
  rewards: number[];
}

/** Rollouts of one round for fresh prompts, graded and rewarded, as groups. */
async function sampleGroups(parts: TrainerParts, iteration: number, round: number, recordHidden: boolean): Promise<Group[]> {
  const { job, model, state } = parts;
  const { problems, ids } = samplePrompts(parts, iteration, round);
  const prompt = { plainPrompt: (q: string) => parts.task.prompt(q), ...promptSettings(job), maxNewTokens: job.rollout.maxNewTokens };
  const prompts = model.encodePrompts(
    problems.map((p) => p.question),
    prompt,
  );
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
    streamKey: round === 0 ? [iteration] : [iteration, round],
    batchSize: job.rollout.batchSize,
    recordHidden,
    trainingStep: iteration,
    totalTrainingSteps: job.train.iterations,
  });
  const verify = { ...parts.task.verifier, ...verifierSettings(job) };
  const taskGrade = problemGrader(parts.task, verify);
  // A task that grades whole computations (countdown) grades here; the others on the grading pool,
  // where a G x prompts batch is graded on every core (src/tasks/verifier/pool.ts).
  const verdicts = parts.task.grade
    ? rollouts.map((r) => taskGrade(r.text, at(problems, r.promptIndex, 'problems')))
    : (
        await gradeBatch(
          rollouts.map((r) => ({ response: r.text, answer: at(problems, r.promptIndex, 'problems').answer })),
          verify,
        )
      ).verdicts;
  const G = job.train.groupSize;
  return problems.map((_, p) => {
    const rs = rollouts.slice(p * G, (p + 1) * G);
    const vs = verdicts.slice(p * G, (p + 1) * G);
    return {
      rollouts: rs,
      verdicts: vs,
      rewards: rs.map((r, i) =>
        combinedReward(job.train.rewards, { verdict: at(vs, i, 'verdicts'), rollout: r, maxTokens: job.rollout.maxNewTokens }),
      ),
    };
  });
}

/** A group whose rewards are not all equal: it carries signal under a group baseline. */
const informative = (g: Group) => g.rewards.some((r) => r !== g.rewards[0]);

/**
 * The iteration's groups. Without dynamic sampling, one round of promptsPerIteration prompts. With
 * it (DAPO), further rounds of fresh prompts until promptsPerIteration informative groups are
 * collected or maxRounds extra rounds are spent; the batch is then the informative groups (at
 * most promptsPerIteration), topped up with uniform ones when too few were found, so that a
 * batch keeps its size and every update iteration takes the same number of optimiser steps.
 */
export async function collectGroups(
  parts: TrainerParts,
  iteration: number,
  recordHidden: boolean,
): Promise<{ groups: Group[]; rounds: number }> {
  const want = parts.job.train.promptsPerIteration;
  const first = await sampleGroups(parts, iteration, 0, recordHidden);
  const maxRounds = parts.job.train.dynamicSampling.maxRounds;
  if (maxRounds === 0) return { groups: first, rounds: 1 };
  const good = first.filter(informative);
  const uniform = first.filter((g) => !informative(g));
  let round = 0;
  while (good.length < want && round < maxRounds) {
    round++;
    const more = await sampleGroups(parts, iteration, round, recordHidden);
    good.push(...more.filter(informative));
  }
  const groups = good.slice(0, want);
  groups.push(...uniform.slice(0, Math.max(0, Math.min(want, first.length) - groups.length)));
  return { groups, rounds: round + 1 };
}

/**
 * One iteration; undefined when the run's signal stopped it after the rollouts, before the update
 * (the weights are then untouched). `onUpdateStart` is called before the first weight change.
 * `llmStepsLeft` (train.llmStepBudget) caps the LLM's applied optimiser steps in this iteration.
 */
export async function runIteration(
  parts: TrainerParts,
  onUpdateStart: () => void = () => undefined,
  llmStepsLeft = Infinity,
): Promise<IterationMetrics | undefined> {
  const { job, state } = parts;
  const iteration = state.iteration;
  const phase = parts.schedule.phaseAt(iteration);
  const started = performance.now();
  const { groups, rounds } = await collectGroups(parts, iteration, phase.updateTemperature && parts.headUpdater !== undefined);
  // One batch in group order; promptIndex is the rollout's group in it.
  const rollouts = groups.flatMap((g, p) => g.rollouts.map((r) => ({ ...r, promptIndex: p })));
  const verdicts = groups.flatMap((g) => g.verdicts);
  const rewards = groups.flatMap((g) => g.rewards);
  const rolloutSeconds = (performance.now() - started) / 1000;
  faultPoint('rollout.done');
  if (parts.ctx.signal?.aborted) return undefined;
  const adv = computeAdvantages(job.train.advantage.estimator, {
    rewards,
    groupSize: job.train.groupSize,
    dropUniformGroups: job.train.advantage.dropUniformGroups,
  });
  // Overlong filtering: a completion cut off at the cap stays out of the loss.
  const kept = rollouts.flatMap((r, i) =>
    adv.value.kept[i] === 1 && !(job.train.maskTruncated && r.finishReason === 'length') ? [i] : [],
  );
  const updateStart = performance.now();
  onUpdateStart();
  const update = <S extends StepStats>(updater: PolicyUpdater<S> | undefined, active: boolean, maxApplied = Infinity): Promise<S[]> =>
    updater && active && kept.length > 0 && maxApplied > 0
      ? updatePolicy(parts, updater, rollouts, adv.value.advantages, kept, iteration, maxApplied)
      : Promise.resolve([]);
  const tokenSteps = await update(parts.tokenUpdater, phase.updateToken, llmStepsLeft);
  const headSteps = await update(parts.headUpdater, phase.updateTemperature);
  trackNonFinite(state, [...tokenSteps, ...headSteps], job.train.maxNonFiniteSteps, parts.ctx.logger);
  const updateSeconds = (performance.now() - updateStart) / 1000;
  return iterationMetrics({
    iteration: iteration + 1,
    phase,
    rollouts,
    verdicts,
    rewards,
    samplingRounds: rounds,
    advantages: adv,
    tokenSteps,
    headSteps,
    rolloutSeconds,
    updateSeconds,
    wallSeconds: (performance.now() - started) / 1000,
    tokenChecksum:
      parts.tokenUpdater instanceof DeviceTokenPolicyUpdater
        ? parts.tokenUpdater.checksum()
        : weightChecksum(parts.tokenUpdater?.params ?? new Map()),
    headChecksum: parts.head ? weightChecksum(new Map([...parts.head.params].map(([k, v]) => [k, { data: v }]))) : 0,
    tokenLr: parts.tokenUpdater ? nextLr(parts.tokenUpdater) : 0,
    headLr: parts.headUpdater ? nextLr(parts.headUpdater) : 0,
  });
}

/**
 * One policy's update in an iteration: prepare, a step per shuffled mini-batch of the kept rollouts
 * for every epoch, finish; it stops early once `maxApplied` steps were applied (a step budget).
 */
async function updatePolicy<S extends StepStats>(
  parts: TrainerParts,
  updater: PolicyUpdater<S>,
  rollouts: readonly Rollout[],
  advantages: ArrayLike<number>,
  kept: readonly number[],
  iteration: number,
  maxApplied: number,
): Promise<S[]> {
  const steps: S[] = [];
  let applied = 0;
  await updater.prepare(rollouts);
  const size = parts.job.train.miniBatchSize;
  for (let epoch = 0; epoch < parts.job.train.epochs && applied < maxApplied; epoch++) {
    const order = kept.slice();
    const rng = trainerStream(parts.state.seed, 'miniBatches', iteration, epoch);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rng.uniform() * (i + 1));
      swap(order, i, j);
    }
    for (let start = 0; start < order.length && applied < maxApplied; start += size) {
      const batch = order.slice(start, start + size);
      const step = await guardedStep(updater.optimizer, () =>
        updater.step(
          batch.map((i) => at(rollouts, i, 'rollouts')),
          batch.map((i) => at(advantages, i, 'advantages')),
          nextLr(updater),
        ),
      );
      steps.push(step);
      if (step.applied) applied++;
      faultPoint('update.step');
    }
  }
  await updater.finish();
  return steps;
}
