/**
 * AdamW's element loop on more than one thread, for the optimisers of large models.
 *
 * Why: the update is a pure per-element function (adamw-kernel.ts), and while it runs ONNX
 * Runtime's threads are idle. On one thread it took 7.9 s of a 53 s update step at the
 * Qwen2.5-0.5B shape (results/profile-train as made at commit 55ee57e), about 16 ns a parameter.
 *
 * How: the tensors are cut into chunks of CHUNK elements. The calling thread walks through them;
 * a chunk goes to a helper worker thread when one has a free slot (two each), and is updated by
 * the caller in place otherwise, so a helper slowed by other processes gets fewer chunks instead
 * of holding the step up (dealing the chunks in fixed turns made the step slower than one thread
 * with a busy process beside it). The moments m and v of a large optimiser live in
 * SharedArrayBuffers ({@link momentArray}), which the helpers update in place; p and g cannot:
 * the parameters are the training session's feeds and the gradients its outputs, and
 * onnxruntime-node takes no SharedArrayBuffer memory as a feed and returns none. So for a
 * helper's chunk the caller copies p and g into the slot and p back once the helper is done:
 * three copies of the chunk, where copying the moments too took seven and left the caller copying
 * for most of the step (2 threads ran 1.2x one thread in
 * results/profile-train/adamw-h512.json at commit 2179d8d).
 * A tensor whose moments are not shared is updated by the caller alone. With two slots the helper
 * finds its next chunk waiting while the caller copies the last one back. Every element goes
 * through the same function in the same float64 arithmetic, so the result is bit for bit that of
 * one thread, whatever the number of helpers or the timing.
 *
 * A step's moments reach a helper as one message at the step's start (the step's shared m and v
 * arrays, by tensor index; posting a SharedArrayBuffer shares it, nothing is copied); the helper
 * handles it on its event loop, works through the step's chunks blocking in Atomics.wait, and
 * when the caller closes the step collects its own garbage before it acknowledges
 * (adamw-worker.ts, leaveStep), so no optimiser's moments outlive it in a helper. The caller
 * blocks in Atomics.wait for a helper's slot, so AdamW.step stays synchronous. The helpers are
 * shared by every optimiser of the process, started on first use, and unref'd: they never keep
 * the process alive. Where a helper cannot start, the caller does its share.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { startModuleWorker, type ModuleWorkerData } from '../util/worker-module.js';
import { adamwUpdate, type AdamWStepConstants } from './adamw-kernel.js';

/** Elements per chunk: two float32 slots of 128 KiB, a chunk's work about 0.3 ms. */
export const CHUNK = 1 << 15;
/** How long the caller waits for a helper to start (load its module) before doing without it. */
const STARTUP_LIMIT_MS = 20_000;
/**
 * How long the caller waits for one chunk (under a millisecond of work) before it gives up on the
 * helper. Only a dead helper is this slow; the step then fails instead of hanging.
 */
const CHUNK_LIMIT_MS = 120_000;

/**
 * The control array's values. Index 0: the helper's status (the bootstrap of worker-module.ts sets
 * 2 when the module fails to load). Indices 1 and 2: the two slots' states; CLOSED in the slot the
 * helper looks at next ends the step. A slot's entry in the meta array: [decay, elements, tensor
 * index in the step, offset in the tensor].
 */
export const PROTOCOL = { STATUS: 0, STARTING: 0, READY: 1, FREE: 0, SUBMITTED: 1, DONE: 2, CLOSED: 3, META_FIELDS: 4 } as const;
const { STATUS, STARTING, READY, FREE, SUBMITTED, DONE, CLOSED, META_FIELDS } = PROTOCOL;
/** The step constants' layout in the shared constants array (the order of {@link writeConstants}). */
const CONSTANT_FIELDS = 6;

/** What a helper receives at start (beside worker-module's fields). */
export interface AdamWHelperData extends ModuleWorkerData {
  /** [status, slot 0 state, slot 1 state] */
  flag: Int32Array;
  /** per slot: [decay, elements, tensor index, offset] */
  meta: Float64Array;
  /** the step's {@link AdamWStepConstants}, shared by all helpers */
  constants: Float64Array;
  /** per slot: p and g of CHUNK elements each */
  slots: { p: Float32Array; g: Float32Array }[];
}

/** The message that opens a step in a helper: each tensor's shared moments, null where the caller keeps the tensor. */
export type AdamWStepMoments = ({ m: Float32Array; v: Float32Array } | null)[];

/** One tensor of a step: its parameter, gradient and moments, and its weight-decay factor. */
export interface AdamWTensor {
  p: Float32Array;
  g: Float32Array;
  m: Float32Array;
  v: Float32Array;
  decay: number;
}

/**
 * A zeroed float32 array for a moment that helper threads may update in place: over a
 * SharedArrayBuffer when `shared`, else an ordinary one.
 */
export function momentArray(length: number, shared: boolean): Float32Array {
  return shared ? new Float32Array(new SharedArrayBuffer(4 * length)) : new Float32Array(length);
}

const isShared = (a: Float32Array): boolean => a.buffer instanceof SharedArrayBuffer;

/** A chunk a helper holds: where its p goes back to. */
interface InFlight {
  tensor: AdamWTensor;
  offset: number;
  n: number;
}

class Helper {
  /** The slot the next chunk goes into; the helper takes slots in the same order. */
  private next = 0;
  private readonly inFlight: (InFlight | null)[] = [null, null];

  private constructor(
    private readonly worker: Worker,
    private readonly data: AdamWHelperData,
  ) {}

  static start(constants: Float64Array): Helper | undefined {
    const shared = (n: number) => new Float32Array(new SharedArrayBuffer(4 * n));
    const data: Omit<AdamWHelperData, keyof ModuleWorkerData> = {
      flag: new Int32Array(new SharedArrayBuffer(4 * 3)),
      meta: new Float64Array(new SharedArrayBuffer(8 * META_FIELDS * 2)),
      constants,
      slots: [0, 1].map(() => ({ p: shared(CHUNK), g: shared(CHUNK) })),
    };
    let worker: Worker;
    try {
      worker = startModuleWorker('adamw-worker', import.meta.url, data);
    } catch {
      return undefined;
    }
    Atomics.wait(data.flag, STATUS, STARTING, STARTUP_LIMIT_MS);
    if (Atomics.load(data.flag, STATUS) !== READY) {
      void worker.terminate();
      return undefined;
    }
    return new Helper(worker, data as AdamWHelperData);
  }

  /** Opens a step: the helper receives the step's shared moments (by tensor index). */
  open(moments: AdamWStepMoments): void {
    this.worker.postMessage(moments);
  }

  /**
   * Hands the chunk [offset, offset + n) of the step's tensor `index` to the helper if its next
   * slot is free or done (collecting what it held); false, without waiting, while the helper still
   * works on it. The tensor's moments must be shared ({@link momentArray}).
   */
  trySubmit(tensor: AdamWTensor, index: number, offset: number, n: number): boolean {
    const slot = this.next;
    if (this.inFlight[slot] && Atomics.load(this.data.flag, 1 + slot) !== DONE) return false;
    this.collect(slot);
    const s = this.data.slots[slot]!;
    const end = offset + n;
    s.p.set(tensor.p.subarray(offset, end));
    s.g.set(tensor.g.subarray(offset, end));
    this.data.meta.set([tensor.decay, n, index, offset], slot * META_FIELDS);
    this.inFlight[slot] = { tensor, offset, n };
    Atomics.store(this.data.flag, 1 + slot, SUBMITTED);
    Atomics.notify(this.data.flag, 1 + slot);
    this.next = 1 - slot;
    return true;
  }

  /**
   * Waits for both slots, copies their results back and closes the step, and waits until the
   * helper has left it (it then holds no moments, and the next step's first chunk cannot reach
   * it with this step's). Where the helper never took a chunk, it leaves as soon as it has opened
   * the step.
   */
  close(): void {
    this.collect(this.next);
    this.collect(1 - this.next);
    const flag = this.data.flag;
    const slot = 1 + this.next;
    Atomics.store(flag, slot, CLOSED);
    Atomics.notify(flag, slot);
    while (Atomics.load(flag, slot) === CLOSED) {
      if (Atomics.wait(flag, slot, CLOSED, CHUNK_LIMIT_MS) === 'timed-out' && Atomics.load(flag, slot) === CLOSED) {
        throw new Error(`an AdamW helper thread did not close its step in ${CHUNK_LIMIT_MS / 1000} s`);
      }
    }
    this.next = 0;
  }

  terminate(): void {
    void this.worker.terminate();
  }

  private collect(slot: number): void {
    const chunk = this.inFlight[slot];
    if (!chunk) return;
    const flag = this.data.flag;
    for (let state = Atomics.load(flag, 1 + slot); state !== DONE; state = Atomics.load(flag, 1 + slot)) {
      if (Atomics.wait(flag, 1 + slot, state, CHUNK_LIMIT_MS) === 'timed-out' && Atomics.load(flag, 1 + slot) !== DONE) {
        throw new Error(`an AdamW helper thread did not finish a chunk in ${CHUNK_LIMIT_MS / 1000} s`);
      }
    }
    const s = this.data.slots[slot]!;
    const { tensor, offset, n } = chunk;
    tensor.p.set(s.p.subarray(0, n), offset);
    this.inFlight[slot] = null;
    Atomics.store(flag, 1 + slot, FREE);
  }
}

/** The process's helpers and the step constants they read. */
const pool = {
  constants: new Float64Array(new SharedArrayBuffer(8 * CONSTANT_FIELDS)),
  helpers: [] as Helper[],
  /** Set once a helper failed to start: no more attempts in this process. */
  unavailable: false,
};

/** Helper threads available for a step that may use `threads` threads (the caller's included). */
function helpersFor(threads: number): Helper[] {
  const wanted = Math.max(0, Math.min(threads, availableParallelism()) - 1);
  while (pool.helpers.length < wanted && !pool.unavailable) {
    const helper = Helper.start(pool.constants);
    if (helper) pool.helpers.push(helper);
    else pool.unavailable = true;
  }
  return pool.helpers.slice(0, wanted);
}

/** The constants in the order the helpers read them (adamw-worker.ts's readConstants). */
function writeConstants(k: AdamWStepConstants): void {
  pool.constants.set([k.clipCoef, k.beta1, k.beta2, k.eps, k.stepSize, k.bias2Sqrt]);
}

/** Reads what {@link writeConstants} wrote. */
export function readConstants(c: Float64Array): AdamWStepConstants {
  return { clipCoef: c[0]!, beta1: c[1]!, beta2: c[2]!, eps: c[3]!, stepSize: c[4]!, bias2Sqrt: c[5]! };
}

/**
 * Applies {@link adamwUpdate} to every tensor, on up to `threads` threads (see the module
 * comment); the same bits as one thread. Returns how many threads were offered chunks.
 */
export function adamwUpdateAll(tensors: readonly AdamWTensor[], k: AdamWStepConstants, threads: number): number {
  const moments: AdamWStepMoments = tensors.map((t) => (isShared(t.m) && isShared(t.v) ? { m: t.m, v: t.v } : null));
  const helpers = threads > 1 && moments.some((x) => x) ? helpersFor(threads) : [];
  if (helpers.length === 0) {
    for (const t of tensors) adamwUpdate(t.p, t.g, t.m, t.v, t.decay, k);
    return 1;
  }
  writeConstants(k);
  try {
    for (const h of helpers) h.open(moments);
    tensors.forEach((t, index) => {
      const shared = moments[index] !== null;
      for (let offset = 0; offset < t.p.length; offset += CHUNK) {
        const end = Math.min(offset + CHUNK, t.p.length);
        if (shared && helpers.some((h) => h.trySubmit(t, index, offset, end - offset))) continue;
        adamwUpdate(t.p.subarray(offset, end), t.g.subarray(offset, end), t.m.subarray(offset, end), t.v.subarray(offset, end), t.decay, k);
      }
    });
    for (const h of helpers) h.close();
  } catch (error) {
    // A helper that stopped answering: none of them is trusted again in this process.
    for (const h of pool.helpers) h.terminate();
    pool.helpers = [];
    pool.unavailable = true;
    throw error;
  }
  return helpers.length + 1;
}
