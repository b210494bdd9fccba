/**
 * What defines a temperature head: its action distribution, its sizes and how it is initialised.
 *
 * The head of the Introspective LLM (arXiv 2602.13035) is a two-layer MLP on the LLM's final hidden
 * state, `hidden [N, H] -> Linear(H, D) -> SiLU -> Linear(D, K)`, whose K outputs parametrise the
 * distribution the token's sampling temperature is drawn from:
 * - `grid`: K logits of a categorical over a fixed grid of K temperatures;
 * - `lognormal`: K = 2 outputs (mu, logStd) of log T ~ Normal(mu, exp(logStd)).
 *
 * Field names follow the `head` section of the run config (src/config/schema.ts) so a resolved
 * config maps onto this one field for field; `inputSize` comes from the model and `seed` from the run.
 */
import { headGridProblem, headSchema } from '../../config/schema.js';
import { UserError } from '../../util/errors.js';
import type { HeadDistribution } from '../types.js';
import { HEAD_KINDS } from '../../config/names.js';

/** The head's action distribution (the config's `head.kind`; the `learned` policy's HeadDistribution). */
export type HeadKind = HeadDistribution;
export { HEAD_KINDS } from '../../config/names.js';

/** A fully specified head. */
export interface TemperatureHeadConfig {
  readonly kind: HeadKind;
  /** the K temperatures a `grid` head chooses from, strictly increasing, > 0 (ignored by `lognormal`) */
  readonly grid: readonly number[];
  /** H: width of the LLM's final hidden state, the head's input */
  readonly inputSize: number;
  /** D: width of the head's hidden layer */
  readonly hiddenSize: number;
  /** the temperature the untrained head's distribution is centred on (its mean) */
  readonly initTemperature: number;
  /** the untrained head's standard deviation of T, in temperature units */
  readonly initSpread: number;
  /**
   * Scale of the second layer's initial weights: std outputInitStd / sqrt(D), so each output moves by
   * about outputInitStd per unit RMS of the hidden activations. Small, so the untrained head's
   * distribution barely depends on the hidden state (it starts as the configured prior), but not
   * zero, so the first layer receives gradient from the first update on.
   */
  readonly outputInitStd: number;
  /** seeds the first layer's random initialisation */
  readonly seed: number;
}

/** The `head` section's defaults, from the schema (the one place they are written). */
const { path: _path, ...schemaDefaults } = headSchema.parse({});

/** Defaults: those of the run config's `head` section (ours, not the paper's), plus what the section does not set. */
export const DEFAULT_HEAD_CONFIG: Omit<TemperatureHeadConfig, 'inputSize'> = {
  ...schemaDefaults,
  outputInitStd: 0.001,
  seed: 0,
};

/** The fields a caller must give (`inputSize`) and may give (everything else). */
export type TemperatureHeadOptions = Partial<TemperatureHeadConfig> & Pick<TemperatureHeadConfig, 'inputSize'>;

/** Fills in defaults and validates; throws a {@link UserError} naming the first bad field. */
export function resolveHeadConfig(options: TemperatureHeadOptions): TemperatureHeadConfig {
  const config: TemperatureHeadConfig = {
    ...DEFAULT_HEAD_CONFIG,
    ...stripUndefined(options),
    inputSize: options.inputSize,
    grid: [...(options.grid ?? DEFAULT_HEAD_CONFIG.grid)],
  };
  const fail = (field: string, problem: string): never => {
    throw new UserError(`temperature head: ${field} ${problem}`);
  };
  if (!HEAD_KINDS.includes(config.kind)) fail('kind', `must be one of ${HEAD_KINDS.join(', ')}, got ${JSON.stringify(config.kind)}`);
  for (const field of ['inputSize', 'hiddenSize'] as const) {
    if (!(Number.isInteger(config[field]) && config[field] >= 1)) fail(field, `must be an integer >= 1, got ${config[field]}`);
  }
  for (const field of ['initTemperature', 'initSpread'] as const) {
    if (!(config[field] > 0 && config[field] < Infinity)) fail(field, `must be finite and > 0, got ${config[field]}`);
  }
  if (!(config.outputInitStd >= 0 && config.outputInitStd < Infinity))
    fail('outputInitStd', `must be finite and >= 0, got ${config.outputInitStd}`);
  if (!Number.isSafeInteger(config.seed)) fail('seed', `must be a safe integer, got ${config.seed}`);
  const grid = headGridProblem(config);
  if (grid !== undefined) fail(grid.field, grid.message);
  return config;
}

/** Width of one output row: K grid logits, or 2 for (mu, logStd). */
export function headOutputWidth(config: Pick<TemperatureHeadConfig, 'kind' | 'grid'>): number {
  return config.kind === 'grid' ? config.grid.length : 2;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
