/**
 * A helper thread of adamw-threads.ts. Protocol, per slot (taken alternately, 0 then 1): wait
 * until the caller marks it SUBMITTED, update its p, m and v from g in place with the one kernel,
 * mark it DONE and wake the caller. The helper never returns to its event loop; the caller
 * terminates it, or the process ends with it (it is unref'd).
 */
import { workerData } from 'node:worker_threads';
import { adamwUpdate } from './adamw-kernel.js';
import { PROTOCOL, readConstants, type AdamWHelperData } from './adamw-threads.js';

const { flag, meta, constants, slots } = workerData as AdamWHelperData;
const { STATUS, READY, SUBMITTED, DONE, META_FIELDS } = PROTOCOL;

Atomics.store(flag, STATUS, READY);
Atomics.notify(flag, STATUS);
for (let slot = 0; ; slot = 1 - slot) {
  for (let state = Atomics.load(flag, 1 + slot); state !== SUBMITTED; state = Atomics.load(flag, 1 + slot)) {
    Atomics.wait(flag, 1 + slot, state);
  }
  const [decay, n] = [meta[slot * META_FIELDS]!, meta[slot * META_FIELDS + 1]!];
  const s = slots[slot]!;
  adamwUpdate(s.p.subarray(0, n), s.g, s.m, s.v, decay, readConstants(constants));
  Atomics.store(flag, 1 + slot, DONE);
  Atomics.notify(flag, 1 + slot);
}
