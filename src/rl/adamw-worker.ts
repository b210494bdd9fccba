/**
 * A helper thread of adamw-threads.ts. A step opens with a message holding the step's shared
 * moments by tensor index. Then, per slot (taken alternately, 0 then 1, from slot 0 at every
 * step): wait until the caller marks it SUBMITTED, update the chunk's p (copied into the slot)
 * and the tensor's m and v (in place, in shared memory) from g with the one kernel, mark it DONE
 * and wake the caller; CLOSED ends the step, and the helper acknowledges it once it has let go of
 * the moments ({@link leaveStep}). The helper is unref'd: the caller terminates it, or the process
 * ends with it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { collectGarbage } from '../util/gc.js';
import { adamwUpdate } from './adamw-kernel.js';
import { PROTOCOL, readConstants, type AdamWHelperData, type AdamWStepMoments } from './adamw-threads.js';

const { flag, meta, constants, slots } = workerData as AdamWHelperData;
const { STATUS, READY, FREE, SUBMITTED, DONE, CLOSED, META_FIELDS } = PROTOCOL;

/** Works through one step's chunks until the caller closes it; returns the slot that closed it. */
function runStep(moments: AdamWStepMoments): number {
  const k = readConstants(constants);
  for (let slot = 0; ; slot = 1 - slot) {
    let state = Atomics.load(flag, 1 + slot);
    for (; state !== SUBMITTED && state !== CLOSED; state = Atomics.load(flag, 1 + slot)) Atomics.wait(flag, 1 + slot, state);
    if (state === CLOSED) return slot;
    const at = slot * META_FIELDS;
    const [decay, n, index, offset] = [meta[at]!, meta[at + 1]!, meta[at + 2]!, meta[at + 3]!];
    const { m, v } = moments[index]!;
    const s = slots[slot]!;
    adamwUpdate(s.p.subarray(0, n), s.g, m.subarray(offset, offset + n), v.subarray(offset, offset + n), decay, k);
    Atomics.store(flag, 1 + slot, DONE);
    Atomics.notify(flag, 1 + slot);
  }
}

/**
 * Leaves a closed step: collects this thread's garbage, then acknowledges. The step's message (its
 * moments' SharedArrayBuffers) stays in this idle thread's heap until a collection here, and with
 * it the memory of every moment, even of an optimiser the caller has dropped (4 GB at the 0.5B
 * shape, which made PyTorch's run after it in bench:profile-train run out of memory). Out of the
 * message handler, so that nothing on its stack still holds the message.
 */
function leaveStep(slot: number): void {
  collectGarbage();
  Atomics.store(flag, 1 + slot, FREE);
  Atomics.notify(flag, 1 + slot);
}

parentPort!.on('message', (moments: AdamWStepMoments) => {
  const closed = runStep(moments);
  setImmediate(leaveStep, closed);
});
Atomics.store(flag, STATUS, READY);
Atomics.notify(flag, STATUS);
