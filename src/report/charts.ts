/**
 * The Vega-Lite specs of introspect's plots. Axes start where the data does (`zero: false`), so a
 * spread of a few points is visible rather than flattened against 0; labels that could collide are
 * left to Vega-Lite's overlap removal.
 */
import type { TopLevelSpec } from './vega.js';
import type { BinStats } from './stats.js';

export interface CurveRow {
  iteration: number;
  value: number;
}

/** A run's training curves: one panel per figure, the raw values faint and a rolling mean on top. */
export function trainingCurvesSpec(title: string, panels: { name: string; rows: CurveRow[]; window?: number }[]): TopLevelSpec {
  const data = panels.flatMap((p) => p.rows.filter((r) => Number.isFinite(r.value)).map((r) => ({ panel: p.name, ...r })));
  const shown = panels.filter((p) => data.some((d) => d.panel === p.name));
  return {
    title,
    data: { values: data },
    vconcat: shown.map((p) => ({
      width: 520,
      height: 130,
      transform: [
        { filter: { field: 'panel', equal: p.name } },
        { window: [{ op: 'mean', field: 'value', as: 'smoothed' }], frame: [-(p.window ?? 5), 0], sort: [{ field: 'iteration' }] },
      ],
      layer: [
        {
          mark: { type: 'line', point: p.rows.length <= 40, opacity: 0.35, color: '#4c78a8' },
          encoding: {
            x: { field: 'iteration', type: 'quantitative', title: 'iteration' },
            y: { field: 'value', type: 'quantitative', title: p.name, scale: { zero: false } },
          },
        },
        {
          mark: { type: 'line', color: '#4c78a8', strokeWidth: 2 },
          encoding: { x: { field: 'iteration', type: 'quantitative' }, y: { field: 'smoothed', type: 'quantitative' } },
        },
      ],
    })),
  } as TopLevelSpec;
}

/** Points (a sample of them) with per-bin means ± std on top; x binned by the given bins. */
export function binnedScatterSpec(opts: {
  title: string;
  xLabel: string;
  yLabel: string;
  points: [number, number][];
  bins: BinStats[];
}): TopLevelSpec {
  const bins = opts.bins
    .filter((b) => b.count > 0)
    .map((b) => ({
      x: b.meanX,
      y: b.meanY,
      lo: b.meanY - (Number.isFinite(b.stdY) ? b.stdY : 0),
      hi: b.meanY + (Number.isFinite(b.stdY) ? b.stdY : 0),
      n: b.count,
    }));
  return {
    title: opts.title,
    width: 520,
    height: 320,
    layer: [
      {
        data: { values: opts.points.map(([x, y]) => ({ x, y })) },
        mark: { type: 'circle', size: 10, opacity: 0.25, color: '#9d9d9d' },
        encoding: {
          x: { field: 'x', type: 'quantitative', title: opts.xLabel, scale: { zero: false } },
          y: { field: 'y', type: 'quantitative', title: opts.yLabel, scale: { zero: false } },
        },
      },
      {
        data: { values: bins },
        layer: [
          {
            mark: { type: 'rule', color: '#e45756' },
            encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } },
          },
          {
            mark: { type: 'line', point: true, color: '#e45756' },
            encoding: {
              x: { field: 'x', type: 'quantitative' },
              y: { field: 'y', type: 'quantitative' },
              tooltip: [{ field: 'n', title: 'tokens' }],
            },
          },
        ],
      },
    ],
  } as TopLevelSpec;
}

/** One evaluation of one trained model: a (method, evaluation column, seed) cell of results.csv. */
export interface AccuracyRow {
  method: string;
  /** the evaluation column: `own` or a common decoding policy */
  column: string;
  seed: number;
  value: number;
}

/**
 * Accuracy per method (rows) under each evaluation policy (one panel per column): every seed as a
 * faint dot, the mean over seeds with a ± 1 std bar. The data are the per-seed values themselves
 * (Vega-Lite aggregates them), so the spec reads like results.csv.
 */
export function accuracySpec(opts: {
  title: string;
  metric: string;
  methods: string[];
  columns: string[];
  rows: AccuracyRow[];
}): TopLevelSpec {
  const y = { field: 'method', type: 'nominal', sort: opts.methods, title: null };
  const x = { field: 'value', type: 'quantitative', title: opts.metric, scale: { zero: false } };
  return {
    title: opts.title,
    data: { values: opts.rows },
    facet: { column: { field: 'column', type: 'nominal', sort: opts.columns, title: 'evaluated with' } },
    spec: {
      width: 200,
      height: { step: 22 },
      layer: [
        { mark: { type: 'circle', size: 28, opacity: 0.45, color: '#9d9d9d' }, encoding: { y, x } },
        { mark: { type: 'errorbar', extent: 'stdev', color: '#4c78a8' }, encoding: { y, x: { ...x, scale: undefined } } },
        {
          mark: { type: 'point', filled: true, size: 60, color: '#4c78a8' },
          encoding: { y, x: { aggregate: 'mean', field: 'value', type: 'quantitative', title: opts.metric } },
        },
      ],
    },
  } as TopLevelSpec;
}

/** A paired difference to the reference with its interval, for one method and evaluation column. */
export interface DifferenceRow {
  method: string;
  column: string;
  mean: number;
  low: number;
  high: number;
}

/**
 * Paired differences to the reference method with their 95% intervals, one panel per evaluation
 * column, a line at 0, and colour saying whether the interval excludes 0 (and on which side).
 */
export function differencesSpec(opts: {
  title: string;
  metric: string;
  methods: string[];
  columns: string[];
  rows: DifferenceRow[];
}): TopLevelSpec {
  const verdict = (r: DifferenceRow) => (r.low > 0 ? 'better' : r.high < 0 ? 'worse' : 'interval covers 0');
  const y = { field: 'method', type: 'nominal', sort: opts.methods, title: null };
  const color = {
    field: 'verdict',
    type: 'nominal',
    title: null,
    scale: { domain: ['better', 'interval covers 0', 'worse'], range: ['#54a24b', '#888888', '#e45756'] },
  };
  return {
    title: opts.title,
    data: { values: opts.rows.map((r) => ({ ...r, verdict: verdict(r) })) },
    facet: { column: { field: 'column', type: 'nominal', sort: opts.columns, title: 'evaluated with' } },
    spec: {
      width: 200,
      height: { step: 22 },
      layer: [
        { mark: { type: 'rule', strokeDash: [4, 3], color: '#555555' }, encoding: { x: { datum: 0, type: 'quantitative' } } },
        {
          mark: { type: 'rule', strokeWidth: 2 },
          encoding: { y, x: { field: 'low', type: 'quantitative', title: opts.metric }, x2: { field: 'high' }, color },
        },
        { mark: { type: 'point', filled: true, size: 60 }, encoding: { y, x: { field: 'mean', type: 'quantitative' }, color } },
      ],
    },
  } as TopLevelSpec;
}

/** One method's training curve at one iteration: the mean over seeds and the band around it. */
export interface BandRow {
  method: string;
  iteration: number;
  mean: number;
  low: number;
  high: number;
}

/** Training curves of several methods: a faint band (the spread over seeds) and a rolling mean of the seeds' mean. */
export function bandCurvesSpec(opts: { title: string; yLabel: string; methods: string[]; rows: BandRow[]; window: number }): TopLevelSpec {
  const x = { field: 'iteration', type: 'quantitative', title: 'iteration', axis: { tickMinStep: 1, format: 'd' } };
  const color = { field: 'method', type: 'nominal', sort: opts.methods, title: null };
  return {
    title: opts.title,
    width: 560,
    height: 300,
    data: { values: opts.rows },
    layer: [
      {
        mark: { type: 'area', opacity: 0.15 },
        encoding: {
          x,
          y: { field: 'low', type: 'quantitative', title: opts.yLabel, scale: { zero: false } },
          y2: { field: 'high' },
          color,
        },
      },
      {
        transform: [
          {
            window: [{ op: 'mean', field: 'mean', as: 'smoothed' }],
            frame: [-opts.window, 0],
            groupby: ['method'],
            sort: [{ field: 'iteration' }],
          },
        ],
        mark: { type: 'line', strokeWidth: 2 },
        encoding: { x, y: { field: 'smoothed', type: 'quantitative' }, color },
      },
    ],
  } as TopLevelSpec;
}
