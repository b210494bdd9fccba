/**
 * Where a run's per-step figures go. Each sink is a registry entry, so a tracker is one more
 * entry here and a name in `run.metrics`: `csv` (metrics.csv, eval.csv: full precision, read by
 * analyze and pandas alike) and `tensorboard` (an event file in the run folder: `tensorboard
 * --logdir runs/` shows every run).
 */
import { join } from 'node:path';
import { CsvLog, type CsvValue } from './csv-log.js';
import { Registry, type Complete } from './registry.js';
import { TensorBoardWriter } from './tensorboard.js';

export type MetricRow = Record<string, CsvValue>;

export interface MetricStream {
  /** the run folder */
  dir: string;
  /** the stream's name: `metrics` (one row per iteration), `eval` (held-out evaluations) */
  name: string;
  /** column names in order; `step` is one of them */
  columns: readonly string[];
  /** the column that numbers the rows (iteration) */
  step: string;
  /** resuming after this step: rows past it are dropped or superseded */
  resumeAfter?: number;
}

export interface MetricSink {
  write(row: MetricRow): void;
  close(): void;
}

/** The sinks `run.metrics` may name (the schema's enum). */
export const METRIC_SINK_NAMES = ['csv', 'tensorboard'] as const;
export type MetricSinkName = (typeof METRIC_SINK_NAMES)[number];

export const metricSinks: Complete<MetricSinkName, (stream: MetricStream) => MetricSink> = new Registry<
  MetricSinkName,
  (stream: MetricStream) => MetricSink
>('metric sink')
  .register('csv', (stream) => {
    const csv = new CsvLog<MetricRow>(join(stream.dir, `${stream.name}.csv`), stream.columns);
    const { resumeAfter } = stream;
    if (resumeAfter !== undefined) csv.truncate((row) => Number(row[stream.step]) <= resumeAfter);
    return { write: (row) => csv.append(row), close: () => {} };
  })
  .register('tensorboard', (stream) => {
    // The scalars of `eval` are tagged eval/<column>, so the two streams share one TensorBoard run.
    const prefix = stream.name === 'metrics' ? '' : `${stream.name}/`;
    const writer = new TensorBoardWriter(stream.dir, { name: stream.name, startStep: stream.resumeAfter ?? 0 });
    return {
      write(row) {
        const values: Record<string, number> = {};
        for (const c of stream.columns) {
          const v = row[c];
          if (c !== stream.step && typeof v === 'number') values[`${prefix}${c}`] = v;
        }
        writer.scalars(Number(row[stream.step]), values);
      },
      close: () => writer.close(),
    };
  });

/** Opens every named sink for one stream; writing to the result writes to all of them. */
export function openMetricSinks(names: readonly string[], stream: MetricStream): MetricSink {
  const sinks = names.map((n) => metricSinks.get(n)(stream));
  return {
    write: (row) => sinks.forEach((s) => s.write(row)),
    close: () => sinks.forEach((s) => s.close()),
  };
}
