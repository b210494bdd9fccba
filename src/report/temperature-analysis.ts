/**
 * What a temperature policy did on a set of graded samples: how temperature follows the LLM's entropy
 * (the paper's headline observation for the learned head: high temperature where the model is uncertain),
 * how it moves along the answer, and which samples to show token by token. Pure functions over records.
 */
import { mean, std } from '../util/stats.js';
import type { SampleRecord } from '../eval/samples.js';
import { type BinStats, type Correlation, binnedStats, correlate, equalFrequencyBinStats, formatCorrelation } from './stats.js';
import { at } from '../util/must.js';

/** The fields of a {@link SampleRecord} the analysis reads (the reader drops prompts and logprobs). */
export type AnalyzedSample = Pick<
  SampleRecord,
  'task' | 'problemId' | 'sample' | 'policy' | 'correct' | 'reward' | 'answer' | 'extracted' | 'tokens' | 'temperatures' | 'entropies'
>;

export interface BinRow {
  /** Bin edges of x (entropy in nats, or token position). */
  lo: number;
  hi: number;
  count: number;
  meanX: number;
  meanTemperature: number;
  stdTemperature: number;
}

export interface TemperatureAnalysis {
  counts: { samples: number; correct: number; problems: number; tokens: number };
  policies: string[];
  temperature: { mean: number; std: number; min: number; max: number; constant: boolean };
  /** Token-weighted mean temperature over correct and over incorrect samples. */
  meanTemperatureCorrect: number;
  meanTemperatureIncorrect: number;
  /** Correlation of temperature with entropy over all tokens. */
  correlation: Correlation;
  byEntropy: BinRow[];
  byPosition: BinRow[];
}

export interface AnalysisOptions {
  /** Equal-frequency entropy bins: about as many tokens in each (default 10). */
  entropyBins?: number;
  /** Most position bins (default 20; fewer when answers are shorter). */
  positionBins?: number;
}

/** Flattened per-token columns over all samples: entropy, temperature, position in the answer. */
export interface TokenColumns {
  entropies: number[];
  temperatures: number[];
  positions: number[];
}

export function tokenColumns(samples: readonly AnalyzedSample[]): TokenColumns {
  const columns: TokenColumns = { entropies: [], temperatures: [], positions: [] };
  for (const s of samples) {
    s.temperatures.forEach((temperature, i) => {
      columns.entropies.push(at(s.entropies, i, 'entropies'));
      columns.temperatures.push(temperature);
      columns.positions.push(i);
    });
  }
  return columns;
}

/** Position bins cover [0, longest answer - 1]; with short answers, one bin per position. */
export function positionBinning(columns: TokenColumns, maxBins = 20): { bins: number; range: [number, number] } {
  const last = columns.positions.reduce((m, p) => Math.max(m, p), 0);
  return { bins: Math.max(1, Math.min(maxBins, last + 1)), range: [0, last] };
}

export function analyzeTemperatures(samples: readonly AnalyzedSample[], options: AnalysisOptions = {}): TemperatureAnalysis {
  const columns = tokenColumns(samples);
  const { entropies, temperatures } = columns;
  const position = positionBinning(columns, options.positionBins);
  const tokensOf = (correct: boolean) => samples.filter((s) => s.correct === correct).flatMap((s) => s.temperatures);
  let [min, max] = [Infinity, -Infinity];
  for (const t of temperatures) [min, max] = [Math.min(min, t), Math.max(max, t)];
  return {
    counts: {
      samples: samples.length,
      correct: samples.filter((s) => s.correct).length,
      problems: new Set(samples.map((s) => `${s.task}\u0000${s.problemId}`)).size,
      tokens: temperatures.length,
    },
    policies: [...new Set(samples.map((s) => s.policy))],
    temperature: {
      mean: mean(temperatures),
      std: std(temperatures),
      min: temperatures.length ? min : NaN,
      max: temperatures.length ? max : NaN,
      constant: min === max,
    },
    meanTemperatureCorrect: mean(tokensOf(true)),
    meanTemperatureIncorrect: mean(tokensOf(false)),
    correlation: correlate(entropies, temperatures, { x: 'entropy', y: 'temperature' }),
    byEntropy: rows(equalFrequencyBinStats(entropies, temperatures, options.entropyBins ?? 10)),
    byPosition: rows(binnedStats(columns.positions, temperatures, position.bins, position.range)),
  };
}

function rows(bins: BinStats[]): BinRow[] {
  return bins.map((b) => ({ lo: b.lo, hi: b.hi, count: b.count, meanX: b.meanX, meanTemperature: b.meanY, stdTemperature: b.stdY }));
}

/**
 * Samples to show token by token: the first `correct` correct and `incorrect` incorrect ones in file order,
 * preferring distinct problems (a second sample of a problem is taken only when no new problem is left).
 */
export function pickSolutions<S extends AnalyzedSample>(samples: readonly S[], counts: { correct: number; incorrect: number }): S[] {
  const pick = (correct: boolean, n: number): S[] => {
    const pool = samples.filter((s) => s.correct === correct && s.tokens.length > 0);
    const seen = new Set<string>();
    const firstOfProblem = pool.filter((s) => {
      const key = `${s.task}\u0000${s.problemId}`;
      return seen.has(key) ? false : (seen.add(key), true);
    });
    const rest = pool.filter((s) => !firstOfProblem.includes(s));
    return [...firstOfProblem, ...rest].slice(0, n);
  };
  return [...pick(true, counts.correct), ...pick(false, counts.incorrect)];
}

/** Fixed decimals, no "-0" (a rounded -0.0001 reads 0.000), n/a for a missing value. */
const fmt = (v: number, digits = 3) =>
  Number.isFinite(v) ? (Number(v.toFixed(digits)) === 0 ? (0).toFixed(digits) : v.toFixed(digits)) : 'n/a';
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

/** A short Markdown summary: the headline numbers, then temperature by entropy bin and by position bin. */
export function analysisMarkdown(a: TemperatureAnalysis, source: string): string {
  const c = a.correlation;
  const lines = [
    '# Temperature analysis',
    '',
    `Samples: \`${cell(source)}\``,
    '',
    '| quantity | value |',
    '| --- | --- |',
    `| policies | ${cell(a.policies.join(', '))} |`,
    `| samples (correct) | ${a.counts.samples} (${a.counts.correct}) |`,
    `| problems | ${a.counts.problems} |`,
    `| tokens | ${a.counts.tokens} |`,
    `| temperature mean ± std | ${fmt(a.temperature.mean)} ± ${fmt(a.temperature.std)} |`,
    `| temperature range | ${fmt(a.temperature.min)} – ${fmt(a.temperature.max)} |`,
    `| mean temperature, correct / incorrect samples | ${fmt(a.meanTemperatureCorrect)} / ${fmt(a.meanTemperatureIncorrect)} |`,
    `| Pearson r (temperature, entropy) | ${formatCorrelation(c.pearson, c)} |`,
    `| Spearman ρ (temperature, entropy) | ${formatCorrelation(c.spearman, c)} |`,
    '',
    binTable('## Temperature by entropy', 'entropy (nats)', a.byEntropy, 'significant'),
    '',
    binTable('## Temperature by position in the answer', 'token position', a.byPosition, 0),
    '',
  ];
  return lines.join('\n');
}

/**
 * Bin edges: positions are integers (0 digits); entropy bins are equal-frequency, so most of their
 * edges sit far below 0.01 nats and fixed decimals would print them all as 0.00: they get 2
 * significant digits instead.
 */
export function binEdge(v: number, digits: number | 'significant'): string {
  if (digits !== 'significant') return fmt(v, digits);
  if (!Number.isFinite(v)) return 'n/a';
  if (v === 0) return '0';
  return Math.abs(v) >= 0.01 ? v.toFixed(2) : v.toExponential(1);
}

function binTable(heading: string, xName: string, bins: BinRow[], digits: number | 'significant'): string {
  const header = [heading, '', `| ${xName} | tokens | mean temperature | std |`, '| --- | ---: | ---: | ---: |'];
  const body = bins.map(
    (b) => `| ${binEdge(b.lo, digits)} – ${binEdge(b.hi, digits)} | ${b.count} | ${fmt(b.meanTemperature)} | ${fmt(b.stdTemperature)} |`,
  );
  return [...header, ...body].join('\n');
}
