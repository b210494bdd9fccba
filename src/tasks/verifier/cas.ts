import { MessageChannel, receiveMessageOnPort, type MessagePort, type Worker } from 'node:worker_threads';
import { casInline, type CasOptions, type CasRequest, type CasResult } from './cas-engine.js';
import type { CasReply, CasWorkerData } from './cas-worker.js';
import { startModuleWorker, type ModuleWorkerData } from '../../util/worker-module.js';

export type { CasOptions } from './cas-engine.js';

/**
 * The CAS with a hard time limit. One Compute Engine call cannot be interrupted (`99999999999!`
 * runs for a minute), so comparisons run in a worker thread while this thread waits on a shared
 * flag with a timeout: past the deadline the worker is terminated and the answers count as not
 * equal. Waiting with Atomics.wait keeps grading synchronous. Where no worker can start, the
 * comparison runs inline with soft deadline checks.
 */

/** Worker start-up (loading the engine) is not charged to any comparison, but it is bounded. */
const STARTUP_LIMIT_MS = 20_000;

/** Flag values the worker sets (see cas-worker.ts). */
const READY = 1;

interface CasThread {
  worker: Worker;
  port: MessagePort;
  flag: Int32Array;
}

let thread: CasThread | undefined;
let workerUnavailable = false;

function startThread(): CasThread | undefined {
  try {
    const { port1, port2 } = new MessageChannel();
    const flag = new Int32Array(new SharedArrayBuffer(4));
    const data: Omit<CasWorkerData, keyof ModuleWorkerData> = { port: port2, flag };
    const worker = startModuleWorker('cas-worker', import.meta.url, data, [port2]);
    port1.unref(); // neither the worker nor its port may keep the process alive once grading is done
    Atomics.wait(flag, 0, 0, STARTUP_LIMIT_MS);
    if (Atomics.load(flag, 0) !== READY) {
      void worker.terminate();
      return undefined;
    }
    return { worker, port: port1, flag };
  } catch {
    return undefined;
  }
}

function stopThread(): void {
  if (thread === undefined) return;
  void thread.worker.terminate();
  thread.port.close();
  thread = undefined;
}

/**
 * Results by request. RL groups sample the same answers again and again, and a CAS call costs
 * milliseconds; cleared when full rather than managed as an LRU, for simplicity.
 */
const memo = new Map<string, CasResult>();
const MEMO_LIMIT = 10_000;

function run(request: CasRequest): CasResult | 'timeout' {
  const { deadline, ...settings } = request.options;
  const key = JSON.stringify([
    request.kind,
    'a' in request ? request.a : '',
    'b' in request ? request.b : '',
    'positive' in request ? request.positive : '',
    settings,
  ]);
  const known = memo.get(key);
  if (known !== undefined) return known;
  const result = compare(request, deadline);
  if (result !== 'timeout') {
    if (memo.size >= MEMO_LIMIT) memo.clear();
    memo.set(key, result);
  }
  return result;
}

/** Whether two scalar LaTeX expressions are equal, giving up (not equal) at `options.deadline`. */
export function casEquivalent(a: string, b: string, options: CasOptions): boolean {
  return run({ kind: 'equal', a, b, options }) === true;
}

/** The numeric value of a closed form without variables (`\frac{\sqrt{3}}{3}`), or null. */
export function casValue(a: string, options: CasOptions): { re: number; im: number } | null {
  const result = run({ kind: 'value', a, options });
  return typeof result === 'object' ? result : null;
}

/** Whether `a = c·b` for a constant c != 0 (c > 0 when `positive`); see cas-engine.ts. */
export function casProportional(a: string, b: string, positive: boolean, options: CasOptions): boolean {
  return run({ kind: 'proportional', a, b, positive, options }) === true;
}

/**
 * Starts the CAS worker if it is not running (once per process, and again after a timeout).
 * @returns the milliseconds start-up took, which callers add to their deadline: loading the engine
 *   is not the comparison's fault
 */
export function prepareCas(): number {
  if (workerUnavailable || thread !== undefined) return 0;
  const started = Date.now();
  thread = startThread();
  workerUnavailable = thread === undefined;
  return Date.now() - started;
}

function compare(request: CasRequest, deadline: number): CasResult | 'timeout' {
  prepareCas();
  if (thread === undefined) return casInline(request);

  const remaining = deadline - Date.now();
  if (remaining <= 0) return 'timeout';
  Atomics.store(thread.flag, 0, 0);
  thread.port.postMessage(request);
  if (Atomics.wait(thread.flag, 0, 0, remaining) === 'timed-out') {
    stopThread(); // the worker is stuck in the engine; a fresh one starts on the next call
    return 'timeout';
  }
  const reply = receiveMessageOnPort(thread.port)?.message as CasReply | undefined;
  return reply?.result ?? null;
}
