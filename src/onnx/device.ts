/**
 * Tensors that live on an execution provider's device between runs (onnxruntime-node's IO
 * binding: `preferredOutputLocation: 'gpu-buffer'`), for state that should not cross the bus at
 * every step: weights, gradients, optimiser moments, the key/value cache.
 *
 * What onnxruntime-node 1.30 supports, and therefore what this module relies on:
 * - an output bound to `'gpu-buffer'` comes back as a Tensor whose `location` is `'gpu-buffer'`
 *   and whose `gpuBuffer` is an opaque handle owned by ONNX Runtime; feeding that Tensor to any
 *   session on the same provider uses the buffer in place (sessions share the device);
 * - there is no way to create a device tensor from JS data, and `getData()` on one aborts the
 *   process (its `download` is not implemented in the binding). So data goes up and comes down
 *   through two one-node Identity sessions ({@link DeviceTransfer.upload}/{@link DeviceTransfer.download})
 *   whose input, respectively output, is on the host;
 * - only WebGPU buffers are handed to JS as device tensors: {@link DeviceTransfer.open} probes
 *   the provider and returns null where outputs come back on the host (CPU, and CUDA in this
 *   binding), so callers keep their host path there.
 *
 * Device tensors must be released with `dispose()` when replaced (ONNX Runtime frees the buffer
 * then; a dropped handle is only freed when the garbage collector finalises it).
 */
import * as ort from 'onnxruntime-node';
import { GraphBuilder } from './builder.js';
import type { DType } from './ir.js';
import { toModelBytes } from './serialize.js';

/** True for a tensor whose data lives on a device (not readable from JS). */
export function onDevice(t: ort.Tensor): boolean {
  return t.location === 'gpu-buffer';
}

/** Bytes a tensor of this type and shape occupies. */
export function tensorBytes(t: Pick<ort.Tensor, 'type' | 'dims'>): number {
  const size: Record<string, number> = { float32: 4, int64: 8, int32: 4, float16: 2, bool: 1, float64: 8 };
  return (size[t.type] ?? 4) * t.dims.reduce((a, b) => a * b, 1);
}

/** Host<->device traffic through one {@link DeviceTransfer}, in bytes (for tests and reports). */
export interface TransferCounters {
  uploadedBytes: number;
  downloadedBytes: number;
  uploads: number;
  downloads: number;
  /**
   * Bytes of run outputs that came back to the host (outputs not bound to the device), for the
   * sessions that report them with {@link DeviceTransfer.countReturned}: what a decode step costs the bus.
   */
  returnedBytes: number;
}

function identityGraph(dtype: DType): Uint8Array {
  const g = new GraphBuilder(`identity_${dtype}`);
  g.output(g.identity(g.input('x', dtype, ['n'])), 'y');
  return toModelBytes(g.build());
}

/** Moves tensors to and from one execution provider's device. */
export class DeviceTransfer {
  readonly counters: TransferCounters = { uploadedBytes: 0, downloadedBytes: 0, uploads: 0, downloads: 0, returnedBytes: 0 };
  private readonly up = new Map<DType, Promise<ort.InferenceSession>>();
  private readonly down = new Map<DType, Promise<ort.InferenceSession>>();

  private constructor(readonly executionProvider: string) {}

  /**
   * A transfer for `executionProvider`, or null when the provider does not hand device tensors
   * to JS (then every tensor stays on the host and the callers' host paths apply).
   */
  static async open(executionProvider: string): Promise<DeviceTransfer | null> {
    if (executionProvider === 'cpu') return null;
    const cached = probes.get(executionProvider);
    if (cached) return cached;
    const probe = (async () => {
      const transfer = new DeviceTransfer(executionProvider);
      try {
        const t = await transfer.upload(new ort.Tensor('float32', Float32Array.of(1), [1]));
        const ok = onDevice(t);
        t.dispose();
        return ok ? transfer : null;
      } catch {
        return null;
      }
    })();
    probes.set(executionProvider, probe);
    return probe;
  }

  /** A device copy of a host tensor (counted in {@link counters}). */
  async upload(t: ort.Tensor): Promise<ort.Tensor> {
    const session = await this.session(this.up, t.type as DType, 'gpu-buffer');
    const flat = new ort.Tensor(t.type as 'float32', t.data as Float32Array, [t.size]);
    const { y } = await session.run({ x: flat });
    this.counters.uploadedBytes += tensorBytes(t);
    this.counters.uploads++;
    // Identity keeps the flat shape; a device tensor's dims are metadata, so restore them.
    return reshapeDevice(y!, t.dims);
  }

  /** Counts the outputs of a run on this device that came back to the host ({@link TransferCounters.returnedBytes}). */
  countReturned(outputs: Record<string, ort.OnnxValue>): void {
    for (const t of Object.values(outputs)) if (t instanceof ort.Tensor && !onDevice(t)) this.counters.returnedBytes += tensorBytes(t);
  }

  /** A host copy of a device tensor (counted in {@link counters}). */
  async download(t: ort.Tensor): Promise<ort.Tensor> {
    if (!onDevice(t)) return t;
    const session = await this.session(this.down, t.type as DType, 'cpu');
    const { y } = await session.run({ x: reshapeDevice(t, [t.size]) });
    this.counters.downloadedBytes += tensorBytes(t);
    this.counters.downloads++;
    return new ort.Tensor(t.type as 'float32', y!.data as Float32Array, t.dims);
  }

  private session(
    cache: Map<DType, Promise<ort.InferenceSession>>,
    dtype: DType,
    location: 'gpu-buffer' | 'cpu',
  ): Promise<ort.InferenceSession> {
    let s = cache.get(dtype);
    if (!s) {
      s = ort.InferenceSession.create(identityGraph(dtype), {
        executionProviders: [this.executionProvider],
        preferredOutputLocation: location,
        logSeverityLevel: 3,
      });
      cache.set(dtype, s);
    }
    return s;
  }
}

const probes = new Map<string, Promise<DeviceTransfer | null>>();

/**
 * The same device buffer seen with other dims (same element count). The new tensor shares the
 * buffer and takes over its release: dispose the returned tensor, not `t`.
 */
export function reshapeDevice(t: ort.Tensor, dims: readonly number[]): ort.Tensor {
  if (!onDevice(t)) return new ort.Tensor(t.type as 'float32', t.data as Float32Array, dims);
  // The binding's disposer reads the buffer handle from `this`, which the new tensor shares.
  const dispose = (t as unknown as { disposer?: () => void }).disposer;
  return ort.Tensor.fromGpuBuffer(t.gpuBuffer as never, { dataType: t.type as 'float32', dims, ...(dispose ? { dispose } : {}) });
}
