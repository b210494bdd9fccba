import type { Logger } from './log.js';
import { silentLogger } from './log.js';

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
