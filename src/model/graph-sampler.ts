/**
 * A session of the in-graph sampler (graphs/sampler-graph.ts) on a decode session's provider:
 * it reads the decode step's last logits and hidden states where they are (device buffers on
 * WebGPU, host tensors on CPU) and returns only the drawn tokens, their log-probabilities and,
 * when asked, the rows' hidden states. On CPU it computes in float64, as the host sampler does; on
 * a device provider in float32 (WebGPU has no float64).
 */
import * as ort from 'onnxruntime-node';
import { createSession, floatOutput, outputTensor, type DeviceTransfer } from '../onnx/index.js';
import { buildSamplerGraph, SAMPLER, type SamplerPrecision } from './graphs/sampler-graph.js';

/** The decode step outputs the sampler reads: logits [B, 1, V], last_hidden [B, S, H]. */
export interface LastTensors {
  readonly logits: ort.Tensor;
  readonly hidden: ort.Tensor;
}

/** What one draw over N rows returns. */
export interface SampledRows {
  /** [N] token ids */
  readonly tokens: Int32Array;
  /** [N] log softmax(logits / T)[token] (untempered for T = 0), as the host sampler's `logprob` */
  readonly logprobs: Float32Array | Float64Array;
  /** [N, H] the rows' last hidden states, when requested */
  readonly hidden?: Float32Array;
}

export class GraphSampler {
  private constructor(
    private readonly session: ort.InferenceSession,
    /** counts what comes back (null on the host) */
    private readonly device: DeviceTransfer | null,
    readonly precision: SamplerPrecision,
  ) {}

  /** @param precision default float64 on CPU, float32 on other providers */
  static async open(
    dims: { vocabSize: number; hiddenSize: number },
    executionProvider: string,
    device: DeviceTransfer | null,
    precision?: SamplerPrecision,
  ): Promise<GraphSampler> {
    const p = precision ?? (executionProvider === 'cpu' ? 'float64' : 'float32');
    const session = await createSession(buildSamplerGraph({ ...dims, precision: p }), {
      executionProviders: executionProvider === 'cpu' ? ['cpu'] : [executionProvider, 'cpu'],
    });
    return new GraphSampler(session, device, p);
  }

  /**
   * Draws the next token of batch rows `rows` of `last` at `temperatures` (validated by the
   * caller) with the uniforms `uniforms` (one per row in [0, 1), from the rows' own streams; a
   * float32 graph reads each rounded down, so it stays below 1).
   */
  async sample(
    last: LastTensors,
    rows: readonly number[],
    temperatures: ArrayLike<number>,
    uniforms: Float64Array,
    opts: { hidden?: boolean } = {},
  ): Promise<SampledRows> {
    const N = rows.length;
    const fetches: string[] = [SAMPLER.token, SAMPLER.logprob, ...(opts.hidden ? [SAMPLER.hiddenRows] : [])];
    const out = await this.session.run(
      {
        [SAMPLER.logits]: last.logits,
        [SAMPLER.hidden]: last.hidden,
        [SAMPLER.rows]: new ort.Tensor(
          'int64',
          BigInt64Array.from(rows, (r) => BigInt(r)),
          [N],
        ),
        ...(this.precision === 'float64'
          ? {
              [SAMPLER.temperature]: new ort.Tensor('float64', Float64Array.from(temperatures), [N]),
              [SAMPLER.uniform]: new ort.Tensor('float64', uniforms, [N]),
            }
          : {
              [SAMPLER.temperature]: new ort.Tensor('float32', Float32Array.from(temperatures), [N]),
              [SAMPLER.uniform]: new ort.Tensor('float32', floorToFloat32(uniforms), [N]),
            }),
      },
      fetches,
    );
    this.device?.countReturned(out);
    const result: SampledRows = {
      tokens: outputTensor(out, SAMPLER.token).data as Int32Array,
      logprobs: outputTensor(out, SAMPLER.logprob).data as Float32Array | Float64Array,
    };
    return opts.hidden ? { ...result, hidden: floatOutput(out, SAMPLER.hiddenRows) } : result;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

/** Each value rounded down to a float32 (round-to-nearest could lift u < 1 to 1, past every token's cumulative weight). */
export function floorToFloat32(values: Float64Array): Float32Array {
  const out = Float32Array.from(values);
  const bits = new Uint32Array(out.buffer);
  // For the non-negative uniforms here, one step down in the bit pattern is the next float32 below.
  // (i < length of both: proven in range, see util/must.ts.)
  out.forEach((f, i) => {
    if (f > values[i]!) bits[i]! -= 1;
  });
  return out;
}
