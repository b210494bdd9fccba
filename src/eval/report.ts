/**
 * What `introspect eval` writes beside its samples: summary.csv (one row per task) and report.md (the
 * model, policy and settings, and one table with tasks as columns and metrics as rows).
 */
import { writeFileSync } from 'node:fs';
import { CsvLog } from '../util/csv-log.js';
import type { EvalSummary } from './summary.js';
import { runFiles } from '../util/run-layout.js';

/** One task's result, as a row of summary.csv and a column of the report's table. */
export interface TaskResult {
  task: string;
  policy: string;
  summary: EvalSummary;
  /** wall-clock seconds the task took (sampling, greedy pass and grading) */
  seconds: number;
  /** false when the run was stopped before every problem was done */
  completed: boolean;
}

export const SUMMARY_COLUMNS = [
  'task',
  'policy',
  'k',
  'problems',
  'avg_at_k',
  'avg_ci_low',
  'avg_ci_high',
  'pass_at_k',
  'maj_at_k',
  'greedy_acc',
  'mean_length',
  'mean_temperature',
  'seconds',
] as const;

export type SummaryRow = Record<(typeof SUMMARY_COLUMNS)[number], string | number | null>;

export function summaryRow(r: TaskResult): SummaryRow {
  const s = r.summary;
  return {
    task: r.task,
    policy: r.policy,
    k: s.k,
    problems: s.problems,
    avg_at_k: s.avgAtK,
    avg_ci_low: s.avgCiLow,
    avg_ci_high: s.avgCiHigh,
    pass_at_k: s.passAtK,
    maj_at_k: s.majAtK,
    greedy_acc: s.greedyAccuracy,
    mean_length: s.meanLength,
    mean_temperature: s.meanTemperature,
    seconds: r.seconds,
  };
}

/** summary.csv in the run directory, appended one task at a time (a stopped run keeps its finished tasks). */
export function openSummaryCsv(runDir: string): CsvLog<SummaryRow> {
  return new CsvLog<SummaryRow>(runFiles.summary(runDir), SUMMARY_COLUMNS);
}

const percent = (x: number | null): string => (x === null ? '—' : Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : 'n/a');
const fixed =
  (digits: number) =>
  (x: number): string =>
    Number.isFinite(x) ? x.toFixed(digits) : 'n/a';

/** The metrics table: tasks as columns, metrics as rows (Markdown). */
export function metricsTable(results: readonly TaskResult[]): string {
  const rows: [string, (r: TaskResult) => string][] = [
    ['problems', (r) => `${r.summary.problems}${r.completed ? '' : ' (stopped early)'}`],
    [`avg@k`, (r) => percent(r.summary.avgAtK)],
    ['avg@k 95% CI', (r) => `${percent(r.summary.avgCiLow)} – ${percent(r.summary.avgCiHigh)}`],
    ['pass@k', (r) => percent(r.summary.passAtK)],
    ['maj@k', (r) => percent(r.summary.majAtK)],
    ['greedy accuracy', (r) => percent(r.summary.greedyAccuracy)],
    ['mean length (tokens)', (r) => fixed(1)(r.summary.meanLength)],
    ['mean temperature', (r) => fixed(3)(r.summary.meanTemperature)],
    ['seconds', (r) => fixed(1)(r.seconds)],
  ];
  const header = `| metric | ${results.map((r) => r.task).join(' | ')} |`;
  const rule = `| --- | ${results.map(() => '---:').join(' | ')} |`;
  const body = rows.map(([name, cell]) => `| ${name} | ${results.map(cell).join(' | ')} |`);
  return [header, rule, ...body].join('\n');
}

export interface ReportHeader {
  model: string;
  policy: string;
  /** the temperature head (a trained head's folder, or a note that it is fresh), when the policy is `learned` */
  head?: string;
  k: number;
  split: string;
  limit: number;
  maxNewTokens: number;
  topK: number;
  topP: number;
  seed: number;
  greedy: boolean;
}

/** report.md: what was evaluated, how, and the table. */
export function reportMarkdown(header: ReportHeader, results: readonly TaskResult[]): string {
  const settings = [
    `- model: \`${header.model}\``,
    `- policy: \`${header.policy}\`${header.head ? ` (head: ${header.head})` : ''}`,
    `- k = ${header.k} samples per problem; split ${header.split}; ${header.limit > 0 ? `first ${header.limit} problems` : 'all problems'}`,
    `- sampling: max ${header.maxNewTokens} new tokens, top-k ${header.topK || 'off'}, top-p ${header.topP < 1 ? header.topP : 'off'}, seed ${header.seed}`,
    `- greedy pass: ${header.greedy ? 'yes' : 'no'}`,
  ];
  return [
    '# Evaluation report',
    '',
    ...settings,
    '',
    metricsTable(results),
    '',
    'avg@k is the mean accuracy over all samples; pass@k the unbiased estimator (Chen et al. 2021); maj@k the accuracy of the most frequent answer; the interval is a normal 95% interval over problems.',
    '',
  ].join('\n');
}

export function writeReport(runDir: string, header: ReportHeader, results: readonly TaskResult[]): string {
  const path = runFiles.report(runDir);
  writeFileSync(path, reportMarkdown(header, results));
  return path;
}
