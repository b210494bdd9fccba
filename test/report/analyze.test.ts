import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeRun, findSamplesFile, writeTrainingCurves } from '../../src/api/analyze.js';
import { quietContext } from '../../src/util/run-context.js';
import type { SampleRecord } from '../../src/eval/samples.js';
import { UserError } from '../../src/util/errors.js';
import { pngSize, xmlProblems } from './xml-check.js';

const EXPECTED_FILES = [
  'temperature-vs-entropy.vl.json',
  'temperature-vs-entropy.svg',
  'temperature-vs-entropy.png',
  'temperature-by-position.vl.json',
  'temperature-by-position.svg',
  'temperature-by-position.png',
  'solutions.html',
  'solutions.svg',
  'analysis.json',
  'analysis.md',
];

/**
 * Synthetic graded samples: 6 problems x 2 samples, answers of 5..16 tokens, entropies from a fixed
 * pseudo-random sequence and temperature = temperatureOf(entropy). Odd samples are incorrect.
 */
function syntheticSamples(temperatureOf: (entropy: number) => number, policy: string): SampleRecord[] {
  const records: SampleRecord[] = [];
  let state = 12345;
  const next = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let problem = 0; problem < 6; problem++) {
    for (let sample = 0; sample < 2; sample++) {
      const length = 5 + ((problem * 2 + sample) % 12);
      const entropies = Array.from({ length }, () => 3 * next());
      const tokens = Array.from({ length }, (_, i) => (i === 2 ? '\n' : i === 3 ? ' <x & y>' : ` t${i}`));
      records.push({
        task: 'synthetic',
        problemId: `p${problem}`,
        sample,
        policy,
        prompt: 'What is 2 + 2?',
        response: tokens.join(''),
        answer: '4',
        extracted: sample === 0 ? '4' : '5',
        correct: sample === 0,
        reward: sample === 0 ? 1 : 0,
        tokens,
        temperatures: entropies.map(temperatureOf),
        entropies,
        logprobs: entropies.map(() => -1),
        finishReason: 'eos',
      });
    }
  }
  return records;
}

function writeSamples(path: string, records: SampleRecord[]): void {
  writeFileSync(path, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
}

function withDirs(body: (runDir: string, outDir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const root = mkdtempSync(join(tmpdir(), 'introspect-analyze-'));
    const runDir = join(root, 'run');
    const outDir = join(root, 'out');
    mkdirSync(runDir);
    mkdirSync(outDir);
    try {
      await body(runDir, outDir);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  };
}

test(
  'analyzeRun: temperature = 0.5 + 0.2 * entropy gives correlation 1 and writes every file',
  withDirs(async (runDir, outDir) => {
    const records = syntheticSamples((h) => 0.5 + 0.2 * h, 'learned');
    writeSamples(join(runDir, 'samples.jsonl'), records);
    const result = await analyzeRun(runDir, quietContext(outDir));
    assert.deepEqual(
      result.files,
      EXPECTED_FILES.map((f) => join(outDir, f)),
    );
    for (const file of result.files) assert.ok(statSync(file).size > 0, file);
    assert.equal(result.source, join(runDir, 'samples.jsonl'));

    const json = JSON.parse(readFileSync(join(outDir, 'analysis.json'), 'utf8'));
    assert.ok(json.correlation.pearson > 1 - 1e-9, `pearson ${json.correlation.pearson}`);
    assert.ok(Math.abs(json.correlation.spearman - 1) < 1e-12, `spearman ${json.correlation.spearman}`);
    assert.equal(json.correlation.undefinedBecause, null);
    const tokenCount = records.reduce((n, r) => n + r.tokens.length, 0);
    assert.deepEqual(json.counts, { samples: 12, correct: 6, problems: 6, tokens: tokenCount });
    assert.deepEqual(json.policies, ['learned']);
    // a linear map commutes with the bin mean: mean T of a bin = 0.5 + 0.2 * its mean entropy
    assert.equal(
      json.byEntropy.reduce((n: number, b: { count: number }) => n + b.count, 0),
      tokenCount,
    );
    for (const bin of json.byEntropy.filter((b: { count: number }) => b.count > 0))
      assert.ok(Math.abs(bin.meanTemperature - (0.5 + 0.2 * bin.meanX)) < 1e-12);
    // Equal-frequency bins: 10 bins of tokenCount / 10 tokens each, give or take one (distinct entropies).
    assert.equal(json.byEntropy.length, 10);
    for (const bin of json.byEntropy) assert.ok(Math.abs(bin.count - tokenCount / 10) <= 1, `bin of ${bin.count} tokens`);
    // The chart's spec is saved beside it, its axes start at the data, not at 0.
    const spec = JSON.parse(readFileSync(join(outDir, 'temperature-vs-entropy.vl.json'), 'utf8'));
    assert.match(spec.$schema, /vega-lite/);
    assert.deepEqual(spec.layer[0].encoding.y.scale, { zero: false });
    // answers are at most 16 tokens, so there is one position bin per position: compare with a direct mean
    assert.equal(json.byPosition.length, 16);
    for (let p = 0; p < 16; p++) {
      const atP = records.flatMap((r) => (r.tokens.length > p ? [r.temperatures[p]!] : []));
      const bin = json.byPosition[p]!;
      assert.equal(bin.count, atP.length);
      assert.ok(Math.abs(bin.meanTemperature - atP.reduce((a, b) => a + b, 0) / atP.length) < 1e-12);
    }

    const scatter = readFileSync(join(outDir, 'temperature-vs-entropy.svg'), 'utf8');
    assert.deepEqual(xmlProblems(scatter), []);
    assert.match(scatter, /Pearson r = 1\.00, Spearman ρ = 1\.00/);
    assert.equal(pngSize(readFileSync(join(outDir, 'temperature-vs-entropy.png'))).width, 1200);
    const solutionsSvg = readFileSync(join(outDir, 'solutions.svg'), 'utf8');
    assert.deepEqual(xmlProblems(solutionsSvg), []);
    const html = readFileSync(join(outDir, 'solutions.html'), 'utf8');
    assert.equal((html.match(/<section>/g) ?? []).length, 6); // 3 correct, 3 incorrect
    assert.equal((html.match(/· correct/g) ?? []).length, 3);
    assert.match(html, / &lt;x &amp; y&gt;/);
    const md = readFileSync(join(outDir, 'analysis.md'), 'utf8');
    assert.match(md, /\| Pearson r \(temperature, entropy\) \| 1\.000 \|/);
    assert.match(md, /\| samples \(correct\) \| 12 \(6\) \|/);
  }),
);

test(
  'analyzeRun: a fixed temperature reports the correlation as undefined (constant temperature)',
  withDirs(async (runDir, outDir) => {
    writeSamples(
      join(runDir, 'samples.jsonl'),
      syntheticSamples(() => 0.6, 'fixed:0.6'),
    );
    const result = await analyzeRun(runDir, quietContext(outDir));
    assert.equal(result.files.length, EXPECTED_FILES.length);
    const json = JSON.parse(readFileSync(join(outDir, 'analysis.json'), 'utf8'));
    assert.equal(json.correlation.pearson, null);
    assert.equal(json.correlation.spearman, null);
    assert.equal(json.correlation.undefinedBecause, 'constant temperature');
    assert.equal(json.correlationText.pearson, 'undefined (constant temperature)');
    assert.equal(json.temperature.constant, true);
    assert.match(
      readFileSync(join(outDir, 'analysis.md'), 'utf8'),
      /\| Pearson r \(temperature, entropy\) \| undefined \(constant temperature\) \|/,
    );
    const scatter = readFileSync(join(outDir, 'temperature-vs-entropy.svg'), 'utf8');
    assert.deepEqual(xmlProblems(scatter), []);
    assert.match(scatter, /correlation undefined \(constant temperature\)/);
  }),
);

test(
  "a training run's newest evaluation is eval/iter-<largest n>/samples.jsonl",
  withDirs(async (runDir) => {
    for (const [iteration, samples] of [
      [5, true],
      [40, true],
      [100, true],
      [250, false],
    ] as const) {
      mkdirSync(join(runDir, 'eval', `iter-${iteration}`), { recursive: true });
      if (samples)
        writeSamples(
          join(runDir, 'eval', `iter-${iteration}`, 'samples.jsonl'),
          syntheticSamples(() => 1, 'learned'),
        );
    }
    mkdirSync(join(runDir, 'eval', 'iter-999-old'));
    writeSamples(join(runDir, 'eval', 'iter-999-old', 'samples.jsonl'), []);
    assert.equal(findSamplesFile(runDir), join(runDir, 'eval', 'iter-100', 'samples.jsonl'));
    // an eval run's own samples.jsonl wins
    writeSamples(
      join(runDir, 'samples.jsonl'),
      syntheticSamples(() => 1, 'learned'),
    );
    assert.equal(findSamplesFile(runDir), join(runDir, 'samples.jsonl'));
  }),
);

test(
  'missing or malformed samples are one-line user errors',
  withDirs(async (runDir, outDir) => {
    const oneLineUserError = (pattern: RegExp) => (error: unknown) => {
      assert.ok(error instanceof UserError, String(error));
      assert.doesNotMatch(error.message, /\n/);
      assert.match(error.message, pattern);
      return true;
    };
    await assert.rejects(
      analyzeRun(runDir, quietContext(outDir)),
      oneLineUserError(/no samples in .*samples\.jsonl.*eval\/iter-\*\/samples\.jsonl/),
    );
    await assert.rejects(analyzeRun(join(runDir, 'nope'), quietContext(outDir)), oneLineUserError(/run directory not found/));
    writeFileSync(join(runDir, 'samples.jsonl'), '');
    await assert.rejects(analyzeRun(runDir, quietContext(outDir)), oneLineUserError(/the file is empty/));
    const [good] = syntheticSamples(() => 1, 'learned');
    assert.ok(good);
    writeFileSync(join(runDir, 'samples.jsonl'), `${JSON.stringify(good)}\n{"task": 1\n`);
    await assert.rejects(analyzeRun(runDir, quietContext(outDir)), oneLineUserError(/samples\.jsonl:2: not JSON/));
    writeFileSync(join(runDir, 'samples.jsonl'), `${JSON.stringify({ ...good, temperatures: good.temperatures.slice(1) })}\n`);
    await assert.rejects(
      analyzeRun(runDir, quietContext(outDir)),
      oneLineUserError(/samples\.jsonl:1: tokens, temperatures and entropies differ in length/),
    );
    writeFileSync(join(runDir, 'samples.jsonl'), `${JSON.stringify({ ...good, entropies: 'high' })}\n`);
    await assert.rejects(analyzeRun(runDir, quietContext(outDir)), oneLineUserError(/samples\.jsonl:1: entropies:/));
  }),
);

test(
  "a training run's curves: reward, held-out accuracy, temperature and head entropy, with the Vega-Lite spec beside them",
  withDirs(async (runDir, outDir) => {
    const header = 'iteration,phase,reward,temperature_mean,head/entropy';
    const rows = Array.from({ length: 12 }, (_, i) => `${i + 1},token,${0.8 + 0.005 * i},${1 - 0.01 * i},${2 - 0.1 * i}`);
    writeFileSync(join(runDir, 'metrics.csv'), [header, ...rows].join('\n') + '\n');
    writeFileSync(join(runDir, 'eval.csv'), 'iteration,avg_at_k\n0,0.82\n6,0.85\n12,0.87\n');
    const files = await writeTrainingCurves(runDir, outDir);
    assert.deepEqual(
      files.map((f) => f.slice(outDir.length + 1)),
      ['training-curves.vl.json', 'training-curves.svg', 'training-curves.png'],
    );
    const spec = JSON.parse(readFileSync(files[0]!, 'utf8'));
    assert.equal(spec.vconcat.length, 4);
    const values = spec.data.values as { panel: string; iteration: number; value: number }[];
    assert.deepEqual(
      values.filter((v) => v.panel === 'held-out avg@k').map((v) => v.value),
      [0.82, 0.85, 0.87],
    );
    assert.equal(values.filter((v) => v.panel === 'reward').length, 12);
    // A 0.80-0.86 reward spread must not be squashed against 0.
    for (const panel of spec.vconcat) assert.deepEqual(panel.layer[0].encoding.y.scale, { zero: false });
    const svg = readFileSync(files[1]!, 'utf8');
    assert.deepEqual(xmlProblems(svg), []);
    for (const title of ['reward', 'held-out avg@k', 'mean temperature', 'head entropy']) assert.ok(svg.includes(title), title);
    assert.equal(pngSize(readFileSync(files[2]!)).width, 1200);
    assert.deepEqual(await writeTrainingCurves(outDir, outDir), [], 'nothing for a folder without metrics.csv');
  }),
);
