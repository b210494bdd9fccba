/**
 * onnxruntime-node sessions for IR graphs, loaded from memory (no temporary files), and
 * conversions between the IR's TensorData and ORT tensors.
 */
import * as ort from 'onnxruntime-node';
import type { Graph, TensorData, TypedArray } from './ir.js';
import { toModelBytes } from './serialize.js';

export interface SessionOptions {
  /** Execution providers in order of preference, e.g. `['cuda', 'cpu']` (default `['cpu']`). */
  executionProviders?: string[];
  /** ONNX Runtime graph optimisations (default `'all'`). */
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /** Threads within one operator (ORT's default when omitted). */
  intraOpNumThreads?: number;
  /** Outputs to leave on the provider's device, by name (see device.ts); the rest come to the host. */
  preferredOutputLocation?: Record<string, 'gpu-buffer' | 'cpu'>;
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
  if (opts.intraOpNumThreads !== undefined) options.intraOpNumThreads = opts.intraOpNumThreads;
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
  if (!['float32', 'float64', 'float16', 'int64', 'int32', 'bool'].includes(dtype)) throw new Error(`unsupported ORT tensor type ${t.type}`);
  return { dtype, dims: [...t.dims], data: t.data as TypedArray };
}
