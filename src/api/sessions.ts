import type { JobConfig } from '../config/index.js';
import { configureSessions } from '../onnx/index.js';

/**
 * Applies the job's thread policy (threads, spinning, memory arena) to every ONNX Runtime session
 * the process creates from here on: the LLM's and the temperature head's alike.
 */
export function configureJobSessions(job: Pick<JobConfig, 'model'>): void {
  configureSessions({
    intraOpNumThreads: job.model.threads,
    allowSpinning: job.model.spinning,
    cpuMemArena: job.model.memoryArena === 'auto' ? undefined : job.model.memoryArena,
  });
}
