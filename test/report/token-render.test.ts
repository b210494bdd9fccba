import { test } from 'node:test';
import assert from 'node:assert/strict';
import { temperatureColor, textColorOn } from '../../src/report/color-scale.js';
import { svgToPng } from '../../src/report/png.js';
import { layoutTokens } from '../../src/report/token-layout.js';
import { renderTokensHtml, renderTokensSvg, type TokenSolution } from '../../src/report/token-render.js';
import { countClass, pngSize, xmlProblems } from './xml-check.js';

test('temperature colours: blue at min, white at mid, red at max, linear between (hand-computed)', () => {
  const range = { min: 0.4, max: 1.2 };
  const rows: [number, [number, number, number]][] = [
    [0.4, [69, 117, 180]],
    [0.8, [255, 255, 255]],
    [1.2, [215, 48, 39]],
    // a quarter of the way: halfway from blue to white, (69+255)/2, (117+255)/2, (180+255)/2 = 217.5 rounded up
    [0.6, [162, 186, 218]],
    // three quarters: halfway from white to red, (255+215)/2, (255+48)/2 = 151.5, (255+39)/2
    [1.0, [235, 152, 147]],
    [0.1, [69, 117, 180]], // clamped below
    [5, [215, 48, 39]], // clamped above
  ];
  for (const [t, rgb] of rows) assert.deepEqual(temperatureColor(t, range), rgb, `T = ${t}`);
  // a fixed temperature (degenerate range) is the middle of the scale
  assert.deepEqual(temperatureColor(0.6, { min: 0.6, max: 0.6 }), [255, 255, 255]);
  // WCAG luminance: both ends are dark enough for white text (L = 0.173 and 0.167 < 0.179), white needs black
  assert.equal(textColorOn([69, 117, 180]), '#fff');
  assert.equal(textColorOn([215, 48, 39]), '#fff');
  assert.equal(textColorOn([255, 255, 255]), '#000');
});

test('layoutTokens: newlines break lines, tokens wrap whole when they fit, long tokens split', () => {
  const { pieces, lines } = layoutTokens(['ab', 'c\nd', 'efgh', 'ijklmnopqr', '\t'], 4);
  const got = pieces.map((p) => [p.tokenIndex, p.line, p.column, p.text]);
  assert.deepEqual(got, [
    [0, 0, 0, 'ab'],
    [1, 0, 2, 'c'],
    [1, 1, 0, 'd'],
    [2, 2, 0, 'efgh'], // 'd' + 'efgh' would overflow; 'efgh' fits a line of its own
    [3, 3, 0, 'ijkl'], // longer than a line: split
    [3, 4, 0, 'mnop'],
    [3, 5, 0, 'qr'],
    [4, 6, 0, '    '], // 'qr' + a 4-space tab overflows
  ]);
  assert.equal(lines, 7);
  assert.deepEqual(layoutTokens([], 10), { pieces: [], lines: 0 });
});

const solutions: TokenSolution[] = [
  {
    heading: 'gsm8k 1 · correct <ok>',
    tokens: ['The', ' answer', ' is', '\n', '<b>4</b>', ' & "done"'],
    temperatures: [0.4, 0.8, 1.2, 0.4, 0, 1.2],
    entropies: [0.1, 1, 2, 0.5, 0, 2.5],
  },
  { heading: 'gsm8k 2 · incorrect', tokens: ['x\u0001y', '\n\nz'], temperatures: [0.8, 0.8], entropies: [1, 1] },
];

test('renderTokensHtml: one span per token, coloured by temperature, escaped, tooltips with T and H', () => {
  const html = renderTokensHtml(solutions, { title: 'Solutions <1>' });
  const spans = [...html.matchAll(/<span style="background:rgb\((\d+),(\d+),(\d+)\);color:[^"]+" title="([^"]*)">([^<]*)<\/span>/g)];
  assert.equal(spans.length, 8);
  // the range is the extent over both solutions, [0, 1.2]: 0.4 is a third of the way, two thirds from blue
  // to white: 69 + 186 * 2/3, 117 + 138 * 2/3, 180 + 75 * 2/3
  assert.deepEqual(spans[0]?.slice(1, 4).map(Number), [193, 209, 230]);
  assert.deepEqual(spans[2]?.slice(1, 4).map(Number), [215, 48, 39]);
  assert.deepEqual(spans[4]?.slice(1, 4).map(Number), [69, 117, 180]);
  assert.equal(spans[0]?.[4], 'T = 0.400, H = 0.100 nats');
  assert.equal(spans[4]?.[4], 'T = 0 (greedy), H = 0.000 nats');
  assert.equal(spans[4]?.[5], '&lt;b&gt;4&lt;/b&gt;');
  assert.equal(spans[5]?.[5], ' &amp; &quot;done&quot;');
  assert.equal(spans[3]?.[5], '\n'); // newlines stay literal inside <pre>
  assert.equal(spans[6]?.[5], 'x\uFFFDy'); // a control character XML cannot hold
  assert.match(html, /<title>Solutions &lt;1&gt;<\/title>/);
  assert.match(html, /<h2>gsm8k 1 · correct &lt;ok&gt;<\/h2>/);
  assert.match(html, /linear-gradient\(to right, rgb\(69,117,180\), rgb\(255,255,255\), rgb\(215,48,39\)\)/);
  assert.match(html, /low T = 0\.00.*high T = 1\.20/);
  assert.doesNotMatch(html, /<b>4/);
});

test('renderTokensSvg: well-formed, a coloured cell per token piece, legend, renders to PNG', () => {
  const svg = renderTokensSvg(solutions, { title: 'Solutions & more', columns: 20, range: { min: 0.4, max: 1.2 } });
  assert.deepEqual(xmlProblems(svg), []);
  const pieceCount = solutions.reduce((n, s) => n + layoutTokens(s.tokens, 20).pieces.length, 0);
  assert.equal(countClass(svg, 'token'), pieceCount);
  assert.equal(countClass(svg, 'heading'), 2);
  assert.match(svg, /<title>T = 1\.200, H = 2\.000 nats<\/title><rect [^>]*fill="rgb\(215,48,39\)"/);
  assert.match(svg, /Solutions &amp; more/);
  assert.match(svg, />&lt;b&gt;4&lt;\/b&gt;</);
  assert.match(svg, /T = 0\.40<.*T = 0\.80<.*T = 1\.20</s);
  assert.equal(pngSize(svgToPng(svg, { width: 500 })).width, 500);
});
