import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { gradeRecords, type GradeRecord, type GradeSummary, type Verdict, type VerifyOptions } from './grade.js';
import type { GradeBatchReply, GradeBatchRequest } from './grade-worker.js';
import { startModuleWorker } from '../../util/worker-module.js';

/**
 * Grading in parallel: a pool of worker threads, each grading whole responses (extraction,
 * comparisons and its own CAS worker), so a batch of G x prompts rollouts is graded on every core
 * while one stuck comparison delays only its own thread. Results are in input order and identical
 * to gradeRecords' (the same gradeResponse runs in every thread). Where no worker starts, grading
 * runs in this thread.
 */

/** Responses per message: enough to amortise the message cost, small enough to balance the threads. */
const CHUNK = 8;

interface PoolWorker {
  worker: Worker;
  ready: Promise<boolean>;
}

export class GradingPool {
  private readonly workers: PoolWorker[];
  private nextId = 0;

  constructor(readonly size: number) {
    this.workers = Array.from({ length: size }, () => {
      const worker = startModuleWorker('grade-worker', import.meta.url, {});
      const ready = new Promise<boolean>((resolve) => {
        worker.once('message', (m) => resolve(m === 'ready'));
        worker.once('exit', () => resolve(false));
      });
      return { worker, ready };
    });
  }

  /** Grades the records on the pool's threads; the verdicts are in input order. */
  async grade(records: readonly GradeRecord[], options: Partial<VerifyOptions> = {}): Promise<Verdict[]> {
    const live = (await Promise.all(this.workers.map(async (w) => ((await w.ready) ? w : null)))).filter((w) => w !== null);
    if (live.length === 0) return gradeRecords(records, options).verdicts;
    const verdicts = new Array<Verdict>(records.length);
    let next = 0;
    const drain = async (w: PoolWorker): Promise<void> => {
      while (next < records.length) {
        const from = next;
        next = Math.min(records.length, next + CHUNK);
        const chunk = records.slice(from, next);
        const result = await this.send(w, { id: this.nextId++, records: chunk, options });
        // A worker that died mid-chunk (out of memory): grade its chunk here rather than lose it.
        const graded = result ?? gradeRecords(chunk, options).verdicts;
        graded.forEach((v, k) => (verdicts[from + k] = v));
      }
    };
    await Promise.all(live.map(drain));
    return verdicts;
  }

  private send(w: PoolWorker, request: GradeBatchRequest): Promise<Verdict[] | null> {
    return new Promise((resolve) => {
      const onMessage = (reply: GradeBatchReply): void => {
        if (reply.id !== request.id) return;
        w.worker.off('message', onMessage);
        w.worker.off('exit', onExit);
        resolve(reply.verdicts);
      };
      const onExit = (): void => {
        w.worker.off('message', onMessage);
        resolve(null);
      };
      w.worker.on('message', onMessage);
      w.worker.once('exit', onExit);
      // Only while a chunk is in flight may the worker keep the process alive.
      w.worker.ref();
      w.worker.postMessage(request);
    }).finally(() => w.worker.unref()) as Promise<Verdict[] | null>;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
  }
}

/** Threads for grading: the cores less one for the caller (rollouts, the CLI), at most 8. */
export function defaultPoolSize(): number {
  return Math.max(1, Math.min(8, availableParallelism() - 1));
}

let shared: GradingPool | undefined;

/**
 * Grades a batch on the process's shared pool (started on first use, `workers` threads; 1 or
 * fewer grades in this thread). Same verdicts as gradeRecords.
 */
export async function gradeBatch(
  records: readonly GradeRecord[],
  options: Partial<VerifyOptions> = {},
  workers = defaultPoolSize(),
): Promise<GradeSummary> {
  let verdicts: Verdict[];
  if (workers <= 1 || records.length < 2) verdicts = gradeRecords(records, options).verdicts;
  else {
    if (shared === undefined || shared.size !== workers) {
      void shared?.close();
      shared = new GradingPool(workers);
    }
    verdicts = await shared.grade(records, options);
  }
  const correct = verdicts.filter((v) => v.correct).length;
  return { verdicts, accuracy: records.length === 0 ? 0 : correct / records.length };
}
