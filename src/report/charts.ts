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
export function binnedScatterSpec(opts: { title: string; xLabel: string; yLabel: string; points: [number, number][]; bins: BinStats[] }): TopLevelSpec {
  const bins = opts.bins.filter((b) => b.count > 0).map((b) => ({ x: b.meanX, y: b.meanY, lo: b.meanY - (Number.isFinite(b.stdY) ? b.stdY : 0), hi: b.meanY + (Number.isFinite(b.stdY) ? b.stdY : 0), n: b.count }));
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
          { mark: { type: 'rule', color: '#e45756' }, encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } } },
          {
            mark: { type: 'line', point: true, color: '#e45756' },
            encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' }, tooltip: [{ field: 'n', title: 'tokens' }] },
          },
        ],
      },
    ],
  } as TopLevelSpec;
}
