import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { binnedStats, equalFrequencyBinStats, samplePoints } from '../../src/report/stats.js';
import { accuracySpec, differencesSpec, type AccuracyRow } from '../../src/report/charts.js';
import { svgToPng } from '../../src/report/png.js';
import { renderSvg, writeVegaChart } from '../../src/report/vega.js';
import { pngSize, xmlProblems } from './xml-check.js';

/** The text of every <text> element of a rendered chart (tick labels, titles, legend entries). */
const labels = (svg: string) => [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!.replace('\u2212', '-'));

test('accuracySpec: the axis starts where the data do, so a spread of a few points is visible', async () => {
  const rows: AccuracyRow[] = [];
  for (const [method, base] of [
    ['fixed-0.6', 0.82],
    ['learned', 0.85],
  ] as const)
    for (const seed of [0, 1, 2]) rows.push({ method, column: 'own', seed, value: base + 0.01 * seed });
  const svg = await renderSvg(accuracySpec({ title: 'acc', metric: 'avg@8', methods: ['fixed-0.6', 'learned'], columns: ['own'], rows }));
  assert.deepEqual(xmlProblems(svg), []);
  const ticks = labels(svg)
    .filter((t) => /^-?\d+\.\d+$/.test(t))
    .map(Number);
  assert.ok(ticks.length >= 3, labels(svg).join('|'));
  // data span 0.82..0.87: no tick at 0, every tick near the data
  assert.ok(
    ticks.every((t) => t >= 0.8 && t <= 0.9),
    `ticks ${ticks.join(', ')}`,
  );
  assert.ok(labels(svg).includes('avg@8'), 'the axis is titled with the metric alone');
});

test('differencesSpec: a line at 0 inside the axis, and each interval coloured by whether it excludes 0', async () => {
  const spec = differencesSpec({
    title: 'delta',
    metric: 'Δ avg@8',
    methods: ['edt', 'learned'],
    columns: ['own'],
    rows: [
      { method: 'edt', column: 'own', mean: -0.01, low: -0.03, high: 0.01 },
      { method: 'learned', column: 'own', mean: 0.03, low: 0.01, high: 0.05 },
    ],
  });
  const values = (spec as { data: { values: { method: string; verdict: string }[] } }).data.values;
  assert.deepEqual(
    values.map((v) => [v.method, v.verdict]),
    [
      ['edt', 'interval covers 0'],
      ['learned', 'better'],
    ],
  );
  const svg = await renderSvg(spec);
  assert.deepEqual(xmlProblems(svg), []);
  const ticks = labels(svg)
    .filter((t) => /^-?\d+\.\d+$/.test(t))
    .map(Number);
  assert.ok(Math.min(...ticks) < 0 && Math.max(...ticks) > 0, `0 is inside the axis: ${ticks.join(', ')}`);
  assert.ok(Math.max(...ticks) <= 0.1, 'the axis is scaled to the differences, not to [0, 1]');
});

test('writeVegaChart writes the spec (with its data and $schema), the SVG and a PNG at the requested width', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'introspect-charts-'));
  try {
    const rows: AccuracyRow[] = [
      { method: 'a', column: 'own', seed: 0, value: 0.5 },
      { method: 'a', column: 'own', seed: 1, value: 0.6 },
    ];
    const files = await writeVegaChart(
      join(dir, 'acc'),
      accuracySpec({ title: 'x', metric: 'm', methods: ['a'], columns: ['own'], rows }),
      { width: 400 },
    );
    assert.deepEqual(
      files,
      ['acc.vl.json', 'acc.svg', 'acc.png'].map((f) => join(dir, f)),
    );
    assert.ok(files.every((f) => existsSync(f)));
    const saved = JSON.parse(readFileSync(files[0]!, 'utf8')) as { $schema: string; data: { values: AccuracyRow[] } };
    assert.match(saved.$schema, /vega-lite\/v5/);
    assert.deepEqual(saved.data.values, rows);
    assert.deepEqual(xmlProblems(readFileSync(files[1]!, 'utf8')), []);
    assert.equal(pngSize(readFileSync(files[2]!)).width, 400);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('svgToPng renders at the requested width, keeping the aspect ratio; malformed SVG throws', () => {
  const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100"><rect width="200" height="100" fill="red"/></svg>';
  for (const width of [300, 1200]) {
    const size = pngSize(svgToPng(svg, { width }));
    assert.equal(size.width, width);
    assert.equal(size.height, width / 2);
  }
  assert.throws(() => svgToPng('<svg><g></svg>'));
});

test('binnedStats: means and sample stds per bin (hand-computed)', () => {
  const bins = binnedStats([0, 1, 2, 3], [1, 3, 10, 20], 2);
  assert.deepEqual(
    bins.map((b) => b.count),
    [2, 2],
  );
  assert.deepEqual(
    bins.map((b) => b.meanY),
    [2, 15],
  );
  assert.ok(Math.abs(bins[0]!.stdY - Math.SQRT2) < 1e-12);
  assert.ok(Math.abs(bins[1]!.stdY - Math.sqrt(50)) < 1e-12);
  // a large offset with a tiny spread keeps its precision: std of {1000.001, 1000.003} is sqrt(2e-6)
  const offset = binnedStats([0, 1], [1000.001, 1000.003], 1);
  assert.ok(Math.abs(offset[0]!.stdY - Math.sqrt(2e-6)) < 1e-9);
  assert.ok(Number.isNaN(binnedStats([0, 5], [1, 2], 2)[0]!.stdY)); // one point: no sample std
});

test('samplePoints: a deterministic subset in original order', () => {
  const items = Array.from({ length: 1000 }, (_, i) => i);
  const a = samplePoints(items, 100);
  assert.equal(a.length, 100);
  assert.equal(new Set(a).size, 100);
  assert.deepEqual(
    a,
    [...a].sort((x, y) => x - y),
  );
  assert.deepEqual(samplePoints(items, 100), a);
  assert.notDeepEqual(samplePoints(items, 100, 7), a);
  assert.deepEqual(samplePoints([3, 1, 2], 10), [3, 1, 2]);
});

test('equalFrequencyBinStats: quantile edges, ties kept in one bin (hand-computed)', () => {
  const x = [3, 0, 0, 4, 0, 1, 2, 0];
  const y = [30, 1, 3, 40, 5, 10, 20, 7];
  const bins = equalFrequencyBinStats(x, y, 4);
  assert.deepEqual(
    bins.map((b) => [b.lo, b.hi, b.count, b.meanY]),
    [
      [0, 0, 4, 4],
      [1, 1, 1, 10],
      [2, 2, 1, 20],
      [3, 4, 2, 35],
    ],
  );
  // sample std of 1, 3, 5, 7: sqrt(20 / 3)
  assert.ok(Math.abs(bins[0]!.stdY - Math.sqrt(20 / 3)) < 1e-12);
});
