import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { niceAxis } from '../../src/report/scale.js';
import { binnedStats, equalFrequencyBinStats, samplePoints } from '../../src/report/stats.js';
import { barChart, lineChart } from '../../src/report/svg-charts.js';
import { svgToPng, writeChart } from '../../src/report/png.js';
import { countClass, pngSize, xmlProblems } from './xml-check.js';

/** Pixel coordinates of a path's vertices ("M x y L x y ..."). */
function pathPoints(d: string): [number, number][] {
  return [...d.matchAll(/[ML](-?[\d.]+) (-?[\d.]+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
}

test('niceAxis picks 1-2-5 steps covering the data (hand-computed)', () => {
  const rows: { lo: number; hi: number; ticks: number[]; decimals: number }[] = [
    { lo: 0, hi: 1, ticks: [0, 0.2, 0.4, 0.6, 0.8, 1], decimals: 1 },
    { lo: 0.3, hi: 0.68, ticks: [0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7], decimals: 2 },
    { lo: -3, hi: 7, ticks: [-4, -2, 0, 2, 4, 6, 8], decimals: 0 },
    // a constant gets +-10% around it: [4.5, 5.5] in steps of 0.2
    { lo: 5, hi: 5, ticks: [4.4, 4.6, 4.8, 5, 5.2, 5.4, 5.6], decimals: 1 },
    // a span of a few ulps (the computed mean of a constant) is the constant's axis
    { lo: 0.6, hi: 0.6000000000000003, ticks: [0.54, 0.56, 0.58, 0.6, 0.62, 0.64, 0.66], decimals: 2 },
    { lo: NaN, hi: 3, ticks: [0, 0.2, 0.4, 0.6, 0.8, 1], decimals: 1 },
  ];
  for (const row of rows) {
    const axis = niceAxis(row.lo, row.hi);
    assert.deepEqual(axis.ticks, row.ticks, `${row.lo}..${row.hi}`);
    assert.equal(axis.decimals, row.decimals);
  }
});

test('lineChart: one path per series, markers per point, labels, escaped title, affine y-up mapping', () => {
  const series = [
    { name: 'learned', points: [0, 1, 2, 3, 4].map((i): [number, number] => [i * 10, 0.2 + 0.1 * i]) },
    { name: 'fixed:0.6', points: [0, 1, 2, 3, 4].map((i): [number, number] => [i * 10, 0.3]) },
    { name: 'edt <T0=1>', points: [[0, 0.25], [40, 0.4], [20, NaN]] as [number, number][] },
  ];
  const svg = lineChart({ title: 'Reward <&> "quoted"', xLabel: 'iteration', yLabel: 'mean reward', series });
  assert.deepEqual(xmlProblems(svg), []);
  assert.equal(countClass(svg, 'series'), 3);
  assert.equal(countClass(svg, 'marker'), 5 + 5 + 2); // the NaN point is left out
  assert.match(svg, /Reward &lt;&amp;&gt; &quot;quoted&quot;/);
  assert.doesNotMatch(svg, /Reward <&>/);
  assert.match(svg, /edt &lt;T0=1&gt;/);
  assert.match(svg, />iteration<\/text>/);
  assert.match(svg, />mean reward<\/text>/);
  const d = /<path d="([^"]+)"[^>]*class="series" data-name="learned"/.exec(svg)?.[1];
  assert.ok(d, 'learned series path');
  const pixels = pathPoints(d);
  assert.equal(pixels.length, 5);
  // equal data steps give equal pixel steps, and y grows upward (pixel y falls)
  const steps = pixels.slice(1).map(([x, y], i) => [x - pixels[i]![0], y - pixels[i]![1]] as const);
  for (const [dx, dy] of steps) {
    assert.ok(Math.abs(dx - steps[0]![0]) < 0.02);
    assert.ok(Math.abs(dy - steps[0]![1]) < 0.02);
  }
  assert.ok(pixels[4]![1] < pixels[0]![1]);
});

test('barChart: bars with heights proportional to values, error bars, value labels, n/a for NaN', () => {
  const bars = [
    { label: 'learned', value: 0.6, error: 0.05 },
    { label: 'fixed:0.6', value: 0.3, error: 0.02 },
    { label: 'a<b & c', value: 0.45 },
    { label: 'broken', value: NaN },
  ];
  const svg = barChart({ title: 'avg@8 on GSM8K', yLabel: 'avg@8', bars });
  assert.deepEqual(xmlProblems(svg), []);
  assert.equal(countClass(svg, 'bar'), 3);
  assert.equal(countClass(svg, 'error-bar'), 2);
  assert.match(svg, />0\.6 ± 0\.05</);
  assert.match(svg, />0\.45</);
  assert.match(svg, />n\/a</);
  assert.match(svg, /a&lt;b &amp; c/);
  assert.match(svg, />avg@8<\/text>/);
  const heights = [...svg.matchAll(/<rect [^>]*height="([\d.]+)"[^>]*class="bar"/g)].map((m) => Number(m[1]));
  const [first = NaN, second = NaN, third = NaN] = heights;
  assert.equal(heights.length, 3);
  assert.ok(Math.abs(first / second - 2) < 0.01, `${heights}`);
  assert.ok(Math.abs(third / second - 1.5) < 0.01, `${heights}`);
});

test('binnedStats: means and sample stds per bin (hand-computed)', () => {
  const bins = binnedStats([0, 1, 2, 3], [1, 3, 10, 20], 2);
  assert.deepEqual(bins.map((b) => b.count), [2, 2]);
  assert.deepEqual(bins.map((b) => b.meanY), [2, 15]);
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
  assert.deepEqual(a, [...a].sort((x, y) => x - y));
  assert.deepEqual(samplePoints(items, 100), a);
  assert.notDeepEqual(samplePoints(items, 100, 7), a);
  assert.deepEqual(samplePoints([3, 1, 2], 10), [3, 1, 2]);
});

test('svgToPng renders at the requested width; writeChart writes .svg and .png', () => {
  const svg = lineChart({ title: 'x', xLabel: 'a', yLabel: 'b', series: [{ name: 's', points: [[0, 0], [1, 1]] }] });
  for (const width of [300, 1200]) {
    const size = pngSize(svgToPng(svg, { width }));
    assert.equal(size.width, width);
    assert.ok(Math.abs(size.height - Math.round((width * 460) / 760)) <= 1, `${size.height}`);
  }
  assert.throws(() => svgToPng('<svg><g></svg>'));
  const dir = mkdtempSync(join(tmpdir(), 'introspect-charts-'));
  try {
    const files = writeChart(join(dir, 'curve'), svg, { width: 400 });
    assert.deepEqual(files, [join(dir, 'curve.svg'), join(dir, 'curve.png')]);
    assert.ok(files.every((f) => existsSync(f)));
    const [svgFile = '', pngFile = ''] = files;
    assert.equal(readFileSync(svgFile, 'utf8'), svg);
    assert.equal(pngSize(readFileSync(pngFile)).width, 400);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('equalFrequencyBinStats: quantile edges, ties kept in one bin (hand-computed)', () => {
  const x = [3, 0, 0, 4, 0, 1, 2, 0];
  const y = [30, 1, 3, 40, 5, 10, 20, 7];
  const bins = equalFrequencyBinStats(x, y, 4);
  assert.deepEqual(bins.map((b) => [b.lo, b.hi, b.count, b.meanY]), [[0, 0, 4, 4], [1, 1, 1, 10], [2, 2, 1, 20], [3, 4, 2, 35]]);
  // sample std of 1, 3, 5, 7: sqrt(20 / 3)
  assert.ok(Math.abs(bins[0]!.stdY - Math.sqrt(20 / 3)) < 1e-12);
});
