/**
 * The head's forward pass as a plain float64 loop: the reference the ONNX graph is tested against,
 * and a way to run a head where no ONNX session is at hand (tiny heads, tests).
 */
import { type TemperatureHeadConfig, headOutputWidth } from './config.js';
import type { HeadParams } from './parameters.js';

/**
 * `silu(hidden fc1.weight^T + fc1.bias) fc2.weight^T + fc2.bias`, row by row.
 * @param hidden final hidden states, [rows, H] row-major
 * @returns the head's output, [rows, K] row-major: grid logits, or (mu, logStd) for `lognormal`
 */
export function headForwardReference(
  config: TemperatureHeadConfig,
  params: HeadParams,
  hidden: ArrayLike<number>,
  rows: number,
): Float64Array {
  const [H, D, K] = [config.inputSize, config.hiddenSize, headOutputWidth(config)];
  if (hidden.length !== rows * H) throw new RangeError(`hidden has ${hidden.length} values, expected rows ${rows} x H ${H}`);
  const w1 = param(params, 'fc1.weight');
  const b1 = param(params, 'fc1.bias');
  const w2 = param(params, 'fc2.weight');
  const b2 = param(params, 'fc2.bias');
  const out = new Float64Array(rows * K);
  const act = new Float64Array(D);
  for (let n = 0; n < rows; n++) {
    for (let d = 0; d < D; d++) {
      let z = b1[d] as number;
      for (let h = 0; h < H; h++) z += (w1[d * H + h] as number) * (hidden[n * H + h] as number);
      act[d] = z / (1 + Math.exp(-z)); // SiLU: z * sigmoid(z)
    }
    for (let k = 0; k < K; k++) {
      let y = b2[k] as number;
      for (let d = 0; d < D; d++) y += (w2[k * D + d] as number) * (act[d] as number);
      out[n * K + k] = y;
    }
  }
  return out;
}

function param(params: HeadParams, name: string): Float32Array {
  const p = params.get(name);
  if (!p) throw new RangeError(`temperature head has no parameter "${name}"`);
  return p;
}
