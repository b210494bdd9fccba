import type { JobConfig } from '../config/index.js';
import { configureSessions } from '../onnx/index.js';
import type { Logger } from '../util/log.js';
import { silentLogger } from '../util/log.js';

/** What every long-running library entry point receives from its caller (a command or a script). */
export interface RunContext {
  logger: Logger;
  /** Absolute run directory that outputs go to. */
  runDir: string;
  /** Aborted on Ctrl-C: long loops finish their step, checkpoint and return. */
  signal?: AbortSignal;
}

export function quietContext(runDir: string): RunContext {
  return { logger: silentLogger, runDir };
}

/**
 * Applies the job's thread policy (threads, spinning, memory arena) to every ONNX Runtime session
 * the process creates from here on: the LLM's and the temperature head's alike.
 */
export function configureJobSessions(job: Pick<JobConfig, 'model'>): void {
  configureSessions({ intraOpNumThreads: job.model.threads, allowSpinning: job.model.spinning, cpuMemArena: job.model.memoryArena });
}
