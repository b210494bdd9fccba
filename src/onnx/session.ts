/**
 * onnxruntime-node sessions for IR graphs, loaded from memory (no temporary files), and
 * conversions between the IR's TensorData and ORT tensors.
 */
import * as ort from 'onnxruntime-node';
import type { Graph, TensorData, TypedArray } from './ir.js';
import { toModelBytes } from './serialize.js';
import { at } from '../util/must.js';

export interface SessionOptions {
  /** Execution providers in order of preference, e.g. `['cuda', 'cpu']` (default `['cpu']`). */
  executionProviders?: string[];
  /** ONNX Runtime graph optimisations (default `'all'`). */
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /** Threads within one operator (the {@link configureSessions} default, else ORT's: one per core). */
  intraOpNumThreads?: number;
  /** Outputs to leave on the provider's device, by name (see device.ts); the rest come to the host. */
  preferredOutputLocation?: Record<string, 'gpu-buffer' | 'cpu'>;
  /**
   * Whether idle intra-op threads spin waiting for work (ORT's `session.intra_op.allow_spinning`;
   * the {@link configureSessions} default, else ORT's: on). Spinning saves microseconds per
   * operator on an idle machine and burns cores other processes need on a busy one.
   */
  allowSpinning?: boolean;
  /** ORT's CPU memory arena (default on; unset in {@link configureSessions}: each caller's choice): off returns freed buffers, which lowers peak RSS. */
  cpuMemArena?: boolean;
  /**
   * ORT's memory pattern (default on): after the first run, one block sized for the run's planned
   * peak of intermediate tensors is allocated per run and held until it ends. Off allocates each
   * tensor when it is produced and frees it after its last use.
   */
  enableMemPattern?: boolean;
}

/** Settings every session of the process gets unless its own options say otherwise. */
export type SessionDefaults = Pick<SessionOptions, 'intraOpNumThreads' | 'allowSpinning' | 'cpuMemArena'>;

let defaults: SessionDefaults = {};

/**
 * Sets the thread policy (and arena) of every session created afterwards: the LLM's decode and
 * training graphs and the temperature head's alike, so one setting in the job decides how the
 * whole process shares the machine. `intraOpNumThreads: 0` means ORT's default.
 */
export function configureSessions(settings: SessionDefaults): void {
  defaults = { ...settings };
}

/** The current {@link configureSessions} settings. */
export function sessionDefaults(): SessionDefaults {
  return { ...defaults };
}

/**
 * An InferenceSession for a graph, model bytes, or an .onnx path (the way to load models saved
 * with external data).
 */
export async function createSession(model: Graph | Uint8Array | string, opts: SessionOptions = {}): Promise<ort.InferenceSession> {
  const options: ort.InferenceSession.SessionOptions = {
    executionProviders: opts.executionProviders ?? ['cpu'],
    graphOptimizationLevel: opts.graphOptimizationLevel ?? 'all',
  };
  const threads = opts.intraOpNumThreads ?? defaults.intraOpNumThreads;
  if (threads !== undefined && threads > 0) options.intraOpNumThreads = threads;
  const spinning = opts.allowSpinning ?? defaults.allowSpinning;
  if (spinning !== undefined) options.extra = { session: { intra_op: { allow_spinning: spinning ? '1' : '0' } } };
  const arena = opts.cpuMemArena ?? defaults.cpuMemArena;
  if (arena !== undefined) options.enableCpuMemArena = arena;
  if (opts.enableMemPattern !== undefined) options.enableMemPattern = opts.enableMemPattern;
  if (opts.preferredOutputLocation) options.preferredOutputLocation = opts.preferredOutputLocation;
  // Which nodes fall back to the CPU is ONNX Runtime's routine for shape ops: not worth a warning per session.
  if (options.executionProviders!.some((ep) => ep !== 'cpu')) options.logSeverityLevel = 3;
  if (typeof model === 'string') return ort.InferenceSession.create(model, options);
  const bytes = model instanceof Uint8Array ? model : toModelBytes(model);
  return ort.InferenceSession.create(bytes, options);
}

/** An ORT tensor sharing the TensorData's storage. */
export function toOrtTensor(t: TensorData): ort.Tensor {
  return new ort.Tensor(t.dtype, t.data as ort.Tensor.DataType, t.dims);
}

/** TensorData from an ORT tensor (float16 as raw half bits). */
export function fromOrtTensor(t: ort.Tensor): TensorData {
  const dtype = t.type as TensorData['dtype'];
  if (!['float32', 'float64', 'float16', 'int64', 'int32', 'bool'].includes(dtype))
    throw new Error(`unsupported ORT tensor type ${t.type}`);
  return { dtype, dims: [...t.dims], data: t.data as TypedArray };
}

/** What `session.run` returns: outputs by name. */
export type SessionOutputs = ort.InferenceSession.ReturnType;

/** Output `name` of a run, or an error naming it when the graph has no such output. */
export function outputTensor(outputs: SessionOutputs, name: string): ort.Tensor {
  const value = outputs[name];
  if (value === undefined)
    throw new Error(`internal: the session returned no output "${name}" (outputs: ${Object.keys(outputs).join(', ')})`);
  return value as ort.Tensor;
}

/** The float32 data of output `name` (on the host). */
export function floatOutput(outputs: SessionOutputs, name: string): Float32Array {
  return outputTensor(outputs, name).data as Float32Array;
}

/** A scalar float32 output (a loss, a gradient norm): its first element. */
export function scalarOutput(outputs: SessionOutputs, name: string): number {
  return at(floatOutput(outputs, name), 0, `output ${name}`);
}
