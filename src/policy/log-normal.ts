/**
 * The learned head's continuous temperature action: T ~ LogNormal(mu, sigma), i.e. log T ~ Normal(mu,
 * sigma), with the head outputting (mu, logStd) per token and sigma = exp(logStd).
 *
 * The log-prob is the density of the sampled quantity, the temperature T itself:
 *
 *   log p(T) = -log T - logStd - log(2 pi) / 2 - (log T - mu)^2 / (2 sigma^2)
 *
 * which is the Normal log-density of log T plus the Jacobian term -log T. The Jacobian does not depend
 * on (mu, logStd), so importance ratios and policy gradients are the same whether a graph uses the
 * density of T or of log T; but old and new log-probs must use the same variable, so the head's
 * training graph must also use the density of T (or both drop -log T).
 */
import type { Rng } from '../util/rng.js';

/** A sampled continuous temperature. */
export interface LogNormalAction {
  /** the sampled temperature, > 0 */
  readonly temperature: number;
  /** log p(temperature) under LogNormal(mu, exp(logStd)), nats; a density over T, not over log T */
  readonly logprob: number;
  /** the differential entropy of T, {@link logNormalEntropy} (what the head's training graph reports) */
  readonly entropy: number;
}

const HALF_LOG_TWO_PI = 0.5 * Math.log(2 * Math.PI);

/** log p(T) of LogNormal(mu, exp(logStd)) at `temperature` (nats); the density is over T. */
export function logNormalLogDensity(temperature: number, mu: number, logStd: number): number {
  checkParams(mu, logStd);
  if (!(temperature > 0)) return -Infinity; // no mass at T <= 0
  const logT = Math.log(temperature);
  const z = (logT - mu) / Math.exp(logStd);
  return -logT - logStd - HALF_LOG_TWO_PI - 0.5 * z * z;
}

/**
 * The differential entropy of T ~ LogNormal(mu, exp(logStd)), nats: mu + logStd + (1 + log(2 pi)) / 2
 * (of T, not of log T, like the head's training graph, src/policy/head/distribution.ts).
 */
export function logNormalEntropy(mu: number, logStd: number): number {
  checkParams(mu, logStd);
  return mu + logStd + 0.5 + HALF_LOG_TWO_PI;
}

/**
 * Draws T = exp(mu + sigma * n), n ~ Normal(0, 1).
 * @param rng the sequence's stream; exactly one `normal()` is drawn, greedy included
 * @param options.greedy take the median exp(mu) instead of sampling (log-prob still its density)
 */
export function sampleLogNormal(mu: number, logStd: number, rng: Rng, options: { greedy?: boolean } = {}): LogNormalAction {
  checkParams(mu, logStd);
  const n = rng.normal();
  const temperature = Math.exp(options.greedy ? mu : mu + Math.exp(logStd) * n);
  if (!(temperature > 0 && temperature < Infinity)) {
    throw new RangeError(`log-normal temperature over/underflowed to ${temperature} (mu ${mu}, logStd ${logStd}); the head must bound mu`);
  }
  return { temperature, logprob: logNormalLogDensity(temperature, mu, logStd), entropy: logNormalEntropy(mu, logStd) };
}

function checkParams(mu: number, logStd: number): void {
  if (!Number.isFinite(mu) || !Number.isFinite(logStd)) throw new RangeError(`log-normal needs finite mu and logStd, got ${mu}, ${logStd}`);
}
