/**
 * A grading worker of pool.ts: grades the jobs it is sent with gradeResponse (each worker has its
 * own CAS worker, so a stuck comparison stalls only this thread) and posts the verdicts back.
 */
import { parentPort } from 'node:worker_threads';
import { gradeResponse, type VerifyOptions } from './grade.js';
import type { GradeRecord, Verdict } from './grade.js';
import { must } from '../../util/must.js';

export interface GradeBatchRequest {
  id: number;
  records: GradeRecord[];
  options: Partial<VerifyOptions>;
}

export interface GradeBatchReply {
  id: number;
  verdicts: Verdict[];
}

const port = must(parentPort, 'the grading worker port (this module runs only in a worker thread)');
port.on('message', (request: GradeBatchRequest) => {
  const verdicts = request.records.map((r) => gradeResponse(r.response, r.answer, request.options));
  port.postMessage({ id: request.id, verdicts } satisfies GradeBatchReply);
});
port.postMessage('ready');
