/**
 * The trainer's setup: everything a training job holds while it runs (the model and its sessions,
 * the temperature policy and its head, the phase schedule, one {@link PolicyUpdater} per policy that
 * updates, the problems), opened fresh or from the run's latest checkpoint.
 */
import { assertTrainJob, modelDirOf, samplingOf, type JobConfig } from '../config/index.js';
import { loadCheckpoint, type ParamMap } from '../model/checkpoint.js';
import { trainableNames } from '../model/graphs/train-graphs.js';
import { resolveModelDir } from '../model/hub.js';
import { createPolicy, policyKindOf, type TemperaturePolicy } from '../policy/index.js';
import { headSessionOptions, openTemperatureHead, TemperatureHead } from '../policy/head/index.js';
import { jobModelOptions, openPolicyModel, type PolicyModel } from '../rollout/runtime.js';
import { loadJobProblems } from '../eval/problems.js';
import { getTask, type Problem, type TaskDefinition } from '../tasks/index.js';
import type { RunContext } from '../util/run-context.js';
import { checkpointFiles } from '../util/run-layout.js';
import {
  cleanStaleCheckpointFiles,
  latestCheckpoint,
  readOptimizerInto,
  readTrainerState,
  type TrainerState,
  TRAINER_STATE_VERSION,
} from './checkpoint.js';
import { HeadUpdater } from './head-update.js';
import { createLrSchedule } from './lr-schedule.js';
import { AdamW } from './optimizer.js';
import { createPhaseSchedule, type PhaseSchedule } from './phase-schedule.js';
import { ReferenceScorer } from './reference.js';
import { lowMemoryBackward, openTrainSession, TokenPolicyUpdater } from './token-update.js';
import { DeviceTokenPolicyUpdater } from './device-token-update.js';
import { describePlan, planDoesNotFit, planMemory } from './memory-plan.js';
import { DeviceTransfer } from '../onnx/index.js';
import { readModelConfig } from '../model/config.js';
import type { Logger } from '../util/log.js';
import { totalmem } from 'node:os';
import { UserError } from '../util/errors.js';

/** Everything a running training job holds. */
export interface TrainerParts {
  job: JobConfig;
  ctx: RunContext;
  task: TaskDefinition;
  trainProblems: Problem[];
  evalProblems: Problem[];
  model: PolicyModel;
  policy: TemperaturePolicy;
  /** the learned policy's head; the policy's grid is this head's own */
  head?: TemperatureHead;
  schedule: PhaseSchedule;
  /** every LLM parameter (the trainable ones are live arrays shared with the optimiser and sessions) */
  llmParams: ParamMap;
  /** updates the LLM, when the schedule has token phases and some parameters are trainable */
  tokenUpdater?: TokenPolicyUpdater | DeviceTokenPolicyUpdater;
  /** updates the head, when the schedule has temperature phases */
  headUpdater?: HeadUpdater;
  state: TrainerState;
  /** the base model's folder (its tokenizer goes into every checkpoint) */
  modelDir: string;
  generation: ReturnType<typeof loadCheckpoint>['generation'];
}

export async function openTrainer(job: JobConfig, ctx: RunContext, options: { resume?: boolean }): Promise<TrainerParts> {
  assertTrainJob(job);
  cleanStaleCheckpointFiles(ctx.runDir);
  // A run stopped before its first checkpoint resumes from the start (the same seed redoes the same iterations).
  const resumeFrom = options.resume ? latestCheckpoint(ctx.runDir) : undefined;
  if (options.resume && !resumeFrom) ctx.logger.warn({ runDir: ctx.runDir }, 'no checkpoint yet: starting the run from iteration 0');
  const baseDir = await resolveModelDir(modelDirOf(job));
  const modelDir = resumeFrom ? checkpointFiles.model(resumeFrom) : baseDir;
  await checkMemory(job, modelDir, ctx.logger);
  const checkpoint = loadCheckpoint(modelDir);
  const schedule = createPhaseSchedule(job.train.schedule.name, { phases: job.train.schedule.phases });
  // A learned policy owns its head: its grid is the one in the head's own file (never a second one from job.head).
  const head =
    policyKindOf(job.policy) !== 'head'
      ? undefined
      : resumeFrom
        ? TemperatureHead.load(checkpointFiles.head(resumeFrom), headSessionOptions(job))
        : openTemperatureHead(job, checkpoint.config.hiddenSize);
  const policy = createPolicy(job.policy, { head: head?.config });
  const trainable = trainableSelection(job, checkpoint.config);
  const updatesToken = job.train.schedule.name !== 'temperature-only' && trainable.length > 0;
  // Where the provider keeps tensors on its device (WebGPU), the GPU path: the trainable weights live there,
  // shared by the training and decode graphs, so the decode graph always takes them as inputs.
  const transfer = updatesToken ? await DeviceTransfer.open(job.model.executionProvider) : null;
  const model = await openPolicyModel({
    modelDir,
    checkpoint, // already loaded: the weights are read once
    ...jobModelOptions(job.model),
    trainableParams: updatesToken ? trainable : [],
    weightUpdates: transfer ? 'inputs' : job.model.weightUpdates,
    ...samplingOf(job),
  });
  // One set of arrays for the optimiser, the training graph's inputs and the decode graph's inputs.
  const llmParams: ParamMap = checkpoint.params;
  const trainableParams = new Map(trainable.map((n) => [n, llmParams.get(n)!]));
  const state: TrainerState = resumeFrom
    ? readTrainerState(resumeFrom)
    : { version: TRAINER_STATE_VERSION, iteration: 0, seed: job.run.seed, nonFiniteStreak: 0, nonFiniteTotal: 0 };
  const parts: TrainerParts = {
    job,
    ctx,
    task: getTask(job.task.name),
    trainProblems: await loadJobProblems(job, job.task.name, job.task.split),
    evalProblems: job.train.evalEvery > 0 ? await loadJobProblems(job, job.task.name, 'test', job.train.evalProblems) : [],
    model,
    policy,
    ...(head ? { head } : {}),
    schedule,
    llmParams,
    state,
    modelDir: baseDir,
    generation: checkpoint.generation,
  };
  const loss = job.train.loss;
  // Both policies' updates dispatch through the one loss table by name, with the same aggregation;
  // seq-mean-token-sum-norm divides by the response-length cap (Dr. GRPO's constant).
  const lossOptions = {
    loss: loss.type,
    clipLow: loss.clipLow,
    clipHigh: loss.clipHigh,
    aggregation: loss.aggregation,
    normLength: job.rollout.maxNewTokens,
  };
  const totalSteps = job.train.iterations * stepsPerUpdate(job);
  if (updatesToken) {
    const graphOptions = {
      trainable: exact(trainable),
      klPenalty: loss.klCoef > 0,
      entropyBonus: loss.entropyCoef > 0,
      loss: loss.type,
      ...lowMemoryBackward(job),
    };
    const o = job.train.tokenOptimizer;
    const optimizer = adamW(new Map(trainable.map((n) => [n, llmParams.get(n)!.data])), o, job.model.threads);
    if (resumeFrom) readOptimizerInto(checkpointFiles.tokenOptimizer(resumeFrom), optimizer);
    const updateOptions = { ...lossOptions, klCoef: loss.klCoef, entropyCoef: loss.entropyCoef };
    const lr = createLrSchedule(o.decay, { baseLr: o.lr, warmupSteps: o.warmupSteps, totalSteps });
    const hooks = {
      // the initial model, also when resuming
      ...(loss.klCoef > 0 ? { reference: await ReferenceScorer.open(baseDir, job) } : {}),
      // The decode graph gets the updated weights (rebuilt with them stored, fed as inputs, or as device tensors).
      onUpdated: (params: Parameters<PolicyModel['setWeights']>[0]) => model.setWeights(params),
    };
    if (transfer) {
      // GPU path: weights, gradients and AdamW state stay on the device, shared with the decode session.
      const device = await DeviceTokenPolicyUpdater.open(
        { config: checkpoint.config, params: llmParams },
        graphOptions,
        trainableParams,
        optimizer,
        updateOptions,
        lr,
        hooks,
        { transfer, threads: job.model.threads },
      );
      await model.setWeights(device.decodeWeights());
      parts.tokenUpdater = device;
    } else {
      const session = await openTrainSession({ config: checkpoint.config, params: llmParams }, 'policy', graphOptions, {
        executionProvider: job.model.executionProvider,
        threads: job.model.threads,
      });
      parts.tokenUpdater = new TokenPolicyUpdater(session, trainableParams, optimizer, updateOptions, lr, hooks);
    }
  }
  if (head && job.train.schedule.name !== 'token-only') {
    const o = job.train.temperatureOptimizer;
    const optimizer = adamW(head.params, o, job.model.threads);
    if (resumeFrom) readOptimizerInto(checkpointFiles.temperatureOptimizer(resumeFrom), optimizer);
    parts.headUpdater = await HeadUpdater.open(
      head,
      optimizer,
      { ...lossOptions, entropyCoef: loss.headEntropyCoef, topEntropyQuantile: loss.headTopEntropyQuantile },
      createLrSchedule(o.decay, { baseLr: o.lr, warmupSteps: o.warmupSteps, totalSteps }),
    );
  }
  ctx.logger.info(
    {
      model: baseDir,
      trainable: updatesToken ? trainable.length : 0,
      policy: policy.spec.name,
      schedule: job.train.schedule.name,
      resumeAt: state.iteration,
      weightsOn: parts.tokenUpdater instanceof DeviceTokenPolicyUpdater ? job.model.executionProvider : 'host',
    },
    'trainer ready',
  );
  return parts;
}

/** An optimiser from its config section; its element update uses as many threads as the sessions (`model.threads`). */
function adamW(params: ConstructorParameters<typeof AdamW>[0], o: JobConfig['train']['tokenOptimizer'], threads: number): AdamW {
  return new AdamW(params, { lr: o.lr, betas: o.betas, eps: o.eps, weightDecay: o.weightDecay, maxGradNorm: o.maxGradNorm, threads });
}

/** Prompt tokens the memory estimate allows for on top of rollout.maxNewTokens (a chat-templated math question). */
const PROMPT_TOKENS_ESTIMATE = 256;

/** Prints the job's memory estimate and refuses, with one line, a job that cannot fit (see memory-plan.ts). */
async function checkMemory(job: JobConfig, modelDir: string, logger: Logger): Promise<void> {
  const { config } = readModelConfig(modelDir);
  const trainable = job.train.schedule.name === 'temperature-only' ? [] : trainableSelection(job, config);
  const plan = planMemory({
    config,
    trainable,
    onDevice: (await DeviceTransfer.open(job.model.executionProvider)) !== null,
    rolloutBatch: job.rollout.batchSize,
    sequenceLength: PROMPT_TOKENS_ESTIMATE + job.rollout.maxNewTokens,
    miniBatchSize: job.train.miniBatchSize,
    klReference: job.train.loss.klCoef > 0 && trainable.length > 0,
  });
  logger.info({ hostBytes: plan.hostBytes, deviceBytes: plan.deviceBytes }, describePlan(plan));
  const deviceGiB = job.model.deviceMemoryGiB;
  const refusal = planDoesNotFit(plan, { hostBytes: totalmem(), ...(deviceGiB !== undefined ? { deviceBytes: deviceGiB * 2 ** 30 } : {}) });
  if (refusal) throw new UserError(refusal);
}

/** Optimiser steps per policy update: epochs x mini-batches. */
function stepsPerUpdate(job: JobConfig): number {
  return job.train.epochs * Math.ceil((job.train.promptsPerIteration * job.train.groupSize) / job.train.miniBatchSize);
}

function trainableSelection(job: JobConfig, config: Parameters<typeof trainableNames>[0]): string[] {
  const t = job.model.trainable;
  if (t === 'none') return [];
  if (t === 'all') return trainableNames(config, 'all');
  return trainableNames(
    config,
    t.include.map((p) => new RegExp(p)),
  );
}

/** Exact-name selection (strings would be compiled as unanchored patterns). */
function exact(names: readonly string[]): RegExp[] {
  return names.map((n) => new RegExp(`^${n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
}
