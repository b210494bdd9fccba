/**
 * Worker thread that runs CAS comparisons for cas.ts. Protocol: the parent posts a CasRequest on
 * the port; the worker posts a CasReply, then sets the shared flag to 1 and wakes the parent,
 * which is blocked in Atomics.wait (so grading stays synchronous).
 */
import { workerData, type MessagePort } from 'node:worker_threads';
import { casInline, type CasRequest, type CasResult } from './cas-engine.js';
import type { ModuleWorkerData } from '../../util/worker-module.js';

export type { CasRequest } from './cas-engine.js';

export interface CasReply {
  result: CasResult;
}

export interface CasWorkerData extends ModuleWorkerData {
  port: MessagePort;
  /**
   * Int32Array over a SharedArrayBuffer: [0] = 1 when the worker is ready or a reply is waiting,
   * 2 when the worker module failed to load.
   */
  flag: Int32Array;
}

const { port, flag } = workerData as CasWorkerData;

function signal(): void {
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
}

port.on('message', (request: CasRequest) => {
  port.postMessage({ result: casInline(request) } satisfies CasReply);
  signal();
});

// Warm the engine before reporting ready, so no comparison pays for its construction.
casInline({ kind: 'equal', a: '1', b: '1', options: { relTol: 1e-4, deadline: Date.now() + 60_000, samples: 1 } });
signal();
