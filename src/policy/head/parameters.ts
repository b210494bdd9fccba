/**
 * The head's parameters: names, shapes and initialisation.
 *
 * Layout follows PyTorch's `nn.Linear` (weights [out, in], y = x W^T + b), so a state dict saved
 * from a PyTorch re-implementation loads unchanged:
 *
 *   fc1.weight [D, H]   fc1.bias [D]   fc2.weight [K, D]   fc2.bias [K]
 *
 * Initialisation (the untrained head is a prior that barely depends on the hidden state):
 * - fc1: weights ~ Normal(0, 1/H), biases 0, so pre-activations have about the hidden state's RMS;
 * - fc2: weights ~ Normal(0, outputInitStd^2 / D) (small; scaled by fan-in so an output moves by about
 *   outputInitStd per unit RMS of the SiLU activations, whatever D), biases set to the prior:
 *   - `grid`: a Gaussian over T with std initSpread discretised on the grid (logits
 *     -(t_k - c)^2 / (2 s^2); softmax normalises them), its centre c shifted so that the discrete
 *     distribution's mean is initTemperature: cutting the Gaussian off at the grid's ends would
 *     otherwise pull the mean towards the grid's middle;
 *   - `lognormal`: (mu, logStd) moment-matched so that T has mean initTemperature and std
 *     initSpread: sigma^2 = log(1 + (s / T0)^2), mu = log T0 - sigma^2 / 2.
 */
import { streamFor } from '../../util/rng.js';
import { type TemperatureHeadConfig, headOutputWidth } from './config.js';

export const HEAD_PARAM_NAMES = ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias'] as const;
export type HeadParamName = (typeof HEAD_PARAM_NAMES)[number];

/** The head's parameters by name, row-major float32 (the layout above). */
export type HeadParams = Map<string, Float32Array>;

/** Stream id that keeps the head's init draws apart from rollout streams derived from the same seed. */
const HEAD_INIT_STREAM = 0x4845_4144; // "HEAD"

/** The shape of each parameter, in {@link HEAD_PARAM_NAMES} order. */
export function headParamShapes(config: TemperatureHeadConfig): Record<HeadParamName, number[]> {
  const [H, D, K] = [config.inputSize, config.hiddenSize, headOutputWidth(config)];
  return { 'fc1.weight': [D, H], 'fc1.bias': [D], 'fc2.weight': [K, D], 'fc2.bias': [K] };
}

/** Fresh parameters for `config`; the same config (seed included) always gives the same values. */
export function initHeadParams(config: TemperatureHeadConfig): HeadParams {
  const shapes = headParamShapes(config);
  const rng = streamFor(config.seed, HEAD_INIT_STREAM);
  const normal = (n: number, std: number): Float32Array => Float32Array.from({ length: n }, () => std * rng.normal());
  const size = (name: HeadParamName): number => shapes[name].reduce((a, b) => a * b, 1);
  return new Map<string, Float32Array>([
    ['fc1.weight', normal(size('fc1.weight'), 1 / Math.sqrt(config.inputSize))],
    ['fc1.bias', new Float32Array(size('fc1.bias'))],
    ['fc2.weight', normal(size('fc2.weight'), config.outputInitStd / Math.sqrt(config.hiddenSize))],
    ['fc2.bias', Float32Array.from(priorOutput(config))],
  ]);
}

/** The output row the prior corresponds to (fc2's initial bias): grid logits, or (mu, logStd). */
export function priorOutput(config: TemperatureHeadConfig): number[] {
  const { initTemperature: t0, initSpread: s } = config;
  if (config.kind === 'grid') return gridPriorLogits(config.grid, t0, s);
  const variance = Math.log1p((s / t0) ** 2); // of log T
  return [Math.log(t0) - variance / 2, 0.5 * Math.log(variance)];
}

/**
 * Logits of a Gaussian (std `spread`) discretised on `grid` whose discrete mean is `mean`. The mean
 * grows monotonically with the Gaussian's centre, so the centre is found by bisection; a mean at
 * the grid's very end is only approached (the nearest the grid allows).
 */
export function gridPriorLogits(grid: readonly number[], mean: number, spread: number): number[] {
  const logits = (centre: number): number[] => grid.map((t) => -((t - centre) ** 2) / (2 * spread * spread));
  const meanAt = (centre: number): number => {
    const z = logits(centre);
    const top = Math.max(...z);
    const w = z.map((x) => Math.exp(x - top));
    const total = w.reduce((a, b) => a + b, 0);
    return w.reduce((acc, wk, k) => acc + wk * (grid[k] as number), 0) / total;
  };
  let [lo, hi] = [(grid[0] as number) - 10 * spread, (grid[grid.length - 1] as number) + 10 * spread];
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (meanAt(mid) < mean) lo = mid;
    else hi = mid;
  }
  return logits((lo + hi) / 2);
}

/** Checks that `params` has exactly the head's parameters with the right sizes; returns a problem or undefined. */
export function checkHeadParams(config: TemperatureHeadConfig, params: ReadonlyMap<string, ArrayLike<number>>): string | undefined {
  const shapes = headParamShapes(config);
  for (const name of HEAD_PARAM_NAMES) {
    const p = params.get(name);
    const n = shapes[name].reduce((a, b) => a * b, 1);
    if (p === undefined) return `missing parameter "${name}"`;
    if (p.length !== n) return `parameter "${name}" has ${p.length} values, expected [${shapes[name].join(', ')}] = ${n}`;
  }
  const extra = [...params.keys()].filter((k) => !(HEAD_PARAM_NAMES as readonly string[]).includes(k));
  return extra.length > 0 ? `unexpected parameters ${extra.map((k) => `"${k}"`).join(', ')}` : undefined;
}
