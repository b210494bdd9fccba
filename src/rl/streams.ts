/**
 * The trainer's named random streams. Each use of randomness draws from its own stream,
 * `streamFor(seed, key, ...ids)`, so adding a draw in one place never shifts another's numbers, and a
 * resumed run draws exactly what an uninterrupted one would. The keys are the names' ASCII bytes
 * (`prom` = 0x70726f6d): fixed numbers, since changing one changes every run's results.
 */
import { streamFor, type Rng } from '../util/rng.js';

export const TRAINER_STREAMS = {
  /** the prompts of an iteration: (seed, prompts, iteration) */
  prompts: 0x70726f6d, // 'prom'
  /** the mini-batch order of an epoch: (seed, miniBatches, iteration, epoch) */
  miniBatches: 0x6d696e69, // 'mini'
  /** the rollouts of the periodic held-out evaluation: the engine's stream key */
  periodicEval: 0x6576616c, // 'eval'
} as const;

export type TrainerStream = keyof typeof TRAINER_STREAMS;

/** The generator of one named stream at the given ids (e.g. the iteration). */
export function trainerStream(seed: number, name: TrainerStream, ...ids: number[]): Rng {
  return streamFor(seed, TRAINER_STREAMS[name], ...ids);
}
