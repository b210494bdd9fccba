/**
 * A grading worker of pool.ts: grades the jobs it is sent with gradeResponse (each worker has its
 * own CAS worker, so a stuck comparison stalls only this thread) and posts the verdicts back.
 */
import { parentPort } from 'node:worker_threads';
import { gradeResponse, type VerifyOptions } from './grade.js';
import type { GradeRecord, Verdict } from './grade.js';

export interface GradeBatchRequest {
  id: number;
  records: GradeRecord[];
  options: Partial<VerifyOptions>;
}

export interface GradeBatchReply {
  id: number;
  verdicts: Verdict[];
}

parentPort!.on('message', (request: GradeBatchRequest) => {
  const verdicts = request.records.map((r) => gradeResponse(r.response, r.answer, request.options));
  parentPort!.postMessage({ id: request.id, verdicts } satisfies GradeBatchReply);
});
parentPort!.postMessage('ready');
