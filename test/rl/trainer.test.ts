import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { checkTrainJob, validateJob, type JobConfig } from '../../src/config/index.js';
import { train } from '../../src/rl/trainer.js';
import { latestCheckpoint } from '../../src/rl/checkpoint.js';
import { loadCheckpoint } from '../../src/model/checkpoint.js';
import { TemperatureHead } from '../../src/policy/head/index.js';
import { silentLogger } from '../../src/util/log.js';
import { writeTinyCharModel } from '../eval/tiny-char-model.js';
import { readCsv } from '../../src/util/csv-log.js';
import { readEventFile } from '../util/tensorboard-reader.js';

const model = writeTinyCharModel({ seed: 3 });

/** A small job on the tiny model: entropy bonuses give both policies a gradient even when rewards tie. */
function tinyJob(overrides: string[] = []): JobConfig {
  return validateJob(
    {
      run: { seed: 5 },
      model: { path: model },
      policy: 'learned',
      task: { name: 'synthetic-arith', synthetic: { trainSize: 50, testSize: 10 } },
      rollout: { maxNewTokens: 12, batchSize: 8 },
      train: {
        iterations: 4,
        promptsPerIteration: 2,
        groupSize: 4,
        miniBatchSize: 4,
        evalEvery: 0,
        checkpointEvery: 0,
        advantage: { dropUniformGroups: false },
        loss: { entropyCoef: 0.05, headEntropyCoef: 0.05 },
        tokenOptimizer: { lr: 1e-3 },
        temperatureOptimizer: { lr: 1e-2 },
      },
    },
    { source: 'test', baseDir: process.cwd(), overrides },
  );
}

const newRunDir = () => mkdtempSync(join(tmpdir(), 'introspect-train-'));

/** A logger and signal that abort as soon as `iteration` is logged: the trainer finishes no further iteration and checkpoints. */
function abortAfterIteration(iteration: number): { logger: pino.Logger; signal: AbortSignal } {
  const controller = new AbortController();
  const logger = pino(
    { level: 'info' },
    {
      write(line: string) {
        const record = JSON.parse(line) as { msg: string; iteration?: number };
        if (record.msg === 'iteration' && record.iteration === iteration) controller.abort();
      },
    },
  );
  return { logger, signal: controller.signal };
}

function metricsRows(runDir: string): Record<string, string>[] {
  return readCsv(join(runDir, 'metrics.csv'));
}

test('coordinate ascent: each phase changes only its own policy (weight checksums per iteration)', async () => {
  const runDir = newRunDir();
  const summary = await train(tinyJob(), { logger: silentLogger, runDir });
  assert.equal(summary.iterations, 4);
  const rows = metricsRows(runDir);
  assert.deepEqual(
    rows.map((r) => r.phase),
    ['temperature', 'temperature', 'token', 'token'],
  );
  // iterations 1-2 update the head only, 3-4 the LLM only
  assert.equal(rows[0]!.token_checksum, rows[1]!.token_checksum, 'LLM held fixed in the temperature phase');
  assert.notEqual(rows[0]!.head_checksum, rows[1]!.head_checksum, 'head updated in the temperature phase');
  assert.notEqual(rows[2]!.token_checksum, rows[3]!.token_checksum, 'LLM updated in the token phase');
  assert.equal(rows[2]!.head_checksum, rows[3]!.head_checksum, 'head held fixed in the token phase');
  assert.equal(rows[1]!.head_checksum, rows[2]!.head_checksum);
  for (const r of rows) {
    // Checksums are 32-bit integers, written exactly.
    assert.match(r.token_checksum!, /^\d+$/);
    assert.ok(Number(r.rollout_tokens) > 0);
    const [min, mean, max] = ['min_length', 'mean_length', 'max_length'].map((c) => Number(r[`completions/${c}`]));
    assert.ok(min! <= mean! && mean! <= max! && min! >= 1, 'TRL-named completion lengths');
    assert.ok(Number(r['completions/clipped_ratio']) >= 0 && Number(r['completions/clipped_ratio']) <= 1);
    assert.equal(r.reward, r.accuracy, 'binary reward: mean reward = accuracy');
    assert.ok(Number(r.temperature_mean) >= 0.2 && Number(r.temperature_mean) <= 1.6, 'temperatures come from the grid');
  }
  // The TensorBoard event file beside it holds the same figures, step by step.
  const events = readEventFile(
    join(
      runDir,
      readdirSync(runDir).find((f) => f.includes('tfevents') && f.endsWith('.metrics'))!,
    ),
  );
  assert.deepEqual(
    events.slice(1).map((e) => e.step),
    [1, 2, 3, 4],
  );
  assert.deepEqual(
    events.slice(1).map((e) => e.scalars.reward),
    rows.map((r) => Math.fround(Number(r.reward))),
  );
  // The checkpoint is a Hugging Face folder and a head that load again.
  const checkpoint = latestCheckpoint(runDir)!;
  const saved = loadCheckpoint(join(checkpoint, 'model'));
  assert.equal(saved.config.arch, 'qwen2');
  const head = TemperatureHead.load(join(checkpoint, 'head'));
  assert.equal(head.config.grid.length, 8);
});

test("the head's entropy is logged on every iteration, token phases included, from its rollout actions", async () => {
  // One head step over the whole batch: its entropy (the training graph's) is that of the head that acted.
  const runDir = newRunDir();
  await train(tinyJob(['train.miniBatchSize=8']), { logger: silentLogger, runDir });
  const rows = metricsRows(runDir);
  assert.deepEqual(
    rows.map((r) => r.phase),
    ['temperature', 'temperature', 'token', 'token'],
  );
  for (const r of rows) {
    const h = Number(r['head/rollout_entropy']);
    assert.ok(h > 0 && h <= Math.log(8) + 1e-6, `head entropy ${h} within (0, log 8]`);
    if (r.phase === 'temperature') assert.ok(Math.abs(Number(r['head/entropy']) - h) < 1e-5, `graph ${r['head/entropy']} vs rollout ${h}`);
    else assert.equal(r['head/entropy'], 'NaN', 'no head step in a token phase');
    for (const bin of ['temperature_h_lt_0.01', 'temperature_h_0.01_0.1', 'temperature_h_0.1_0.5', 'temperature_h_ge_0.5'])
      assert.ok(bin in r, `${bin} per iteration`);
  }
  const fixed = newRunDir();
  await train(tinyJob(['policy=fixed:1.0', 'train.schedule.name=token-only', 'train.iterations=1']), {
    logger: silentLogger,
    runDir: fixed,
  });
  assert.equal(metricsRows(fixed)[0]!['head/rollout_entropy'], 'NaN', 'no head, no head entropy');
});

test('periodic evaluations are paired with the first: eval.csv gives the greedy and avg@k gains with bootstrap intervals', async () => {
  // countdown-tiny solves some held-out problems (greedy about 14%) and a large step changes which.
  const job = validateJob(
    {
      run: { seed: 1 },
      model: { path: 'models/countdown-tiny' },
      policy: 'fixed:1.0',
      task: { name: 'countdown', countdown: { numbers: 4, maxNumber: 9, maxValue: 100 } },
      rollout: { maxNewTokens: 40, batchSize: 64 },
      train: {
        iterations: 2,
        promptsPerIteration: 8,
        groupSize: 4,
        miniBatchSize: 32,
        evalEvery: 2,
        evalProblems: 40,
        evalK: 2,
        checkpointEvery: 0,
        schedule: { name: 'token-only' },
        tokenOptimizer: { lr: 3e-3 },
      },
    },
    { source: 'test', baseDir: process.cwd() },
  );
  const runDir = newRunDir();
  const summary = await train(job, { logger: silentLogger, runDir });
  const [start, end] = readCsv(join(runDir, 'eval.csv'));
  assert.equal(start!.greedy_gain, 'NaN', 'nothing to pair the first evaluation with');
  // The reference: the per-problem greedy verdicts of both evaluations, from their sample files.
  const verdicts = (iteration: string) =>
    readFileSync(join(runDir, 'eval', iteration, 'greedy-samples.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { correct: boolean }).correct);
  const [before, after] = [verdicts('iter-000000'), verdicts('iter-000002')];
  assert.equal(before.length, 40);
  const improved = after.filter((c, i) => c && !before[i]).length;
  const worsened = after.filter((c, i) => !c && before[i]).length;
  assert.ok(improved + worsened > 0, 'the step changed some greedy answers (else the test shows nothing)');
  assert.equal(Number(end!.greedy_improved), improved);
  assert.equal(Number(end!.greedy_worsened), worsened);
  assert.ok(Math.abs(Number(end!.greedy_gain) - (improved - worsened) / 40) < 1e-12);
  assert.ok(
    Math.abs(Number(end!.greedy_gain) - (Number(end!.greedy_accuracy) - Number(start!.greedy_accuracy))) < 1e-12,
    'paired mean = difference of accuracies',
  );
  assert.ok(Math.abs(Number(end!.avg_gain) - (Number(end!.avg_at_k) - Number(start!.avg_at_k))) < 1e-12);
  for (const c of ['greedy', 'avg'])
    assert.ok(
      Number(end![`${c}_gain_low`]) <= Number(end![`${c}_gain`]) && Number(end![`${c}_gain`]) <= Number(end![`${c}_gain_high`]),
      `${c} interval`,
    );
  // The interval is of the right size: about the normal one, mean +- 1.96 sd / sqrt(n), for these discordant pairs.
  const d = after.map((c, i) => Number(c) - Number(before[i]));
  const m = d.reduce((a, b) => a + b, 0) / 40;
  const se = Math.sqrt(d.reduce((a, b) => a + (b - m) ** 2, 0) / 40 / 40);
  const width = Number(end!.greedy_gain_high) - Number(end!.greedy_gain_low);
  assert.ok(Math.abs(width - 2 * 1.96 * se) < 0.5 * 2 * 1.96 * se, `bootstrap width ${width} vs normal ${2 * 1.96 * se}`);
  assert.equal(summary.evalAccuracy.at(-1)!.sinceStart!.greedy.improved, improved, 'the summary carries it');
});

test('train.llmStepBudget stops at exactly that many LLM steps when batches are short, resumed runs included', async () => {
  // Truncated completions leave the loss (maskTruncated): most batches of 8 rollouts are short of 4 mini-batches of 2.
  const overrides = [
    'train.schedule.name=token-only',
    'train.maskTruncated=true',
    'train.miniBatchSize=2',
    'train.iterations=60',
    'train.llmStepBudget=7',
  ];
  const runDir = newRunDir();
  const summary = await train(tinyJob(overrides), { logger: silentLogger, runDir });
  const steps = metricsRows(runDir).map((r) => Number(r.token_steps));
  assert.ok(
    steps.some((s) => s < 4),
    `some batch is short (steps per iteration ${steps.join(' ')}), else the test shows nothing`,
  );
  assert.equal(
    steps.reduce((a, b) => a + b, 0),
    7,
    `exactly the budget (steps per iteration ${steps.join(' ')})`,
  );
  assert.ok(summary.finished && summary.iterations < 60 && summary.llmSteps === 7);
  // Unmatched, the same number of iterations of full-batch arithmetic (7 / 4 -> 2) would have taken other steps.
  assert.notEqual(
    steps.slice(0, 2).reduce((a, b) => a + b, 0),
    7,
  );

  const interrupted = newRunDir();
  await train(tinyJob(overrides), { runDir: interrupted, ...abortAfterIteration(2) });
  const resumed = await train(tinyJob(overrides), { logger: silentLogger, runDir: interrupted }, { resume: true });
  assert.equal(resumed.llmSteps, 7, 'the resumed run counts the steps before its checkpoint');
  assert.deepEqual(
    metricsRows(interrupted).map((r) => r.token_steps),
    steps.map(String),
    'and takes the same steps as the straight run',
  );
});

test('an interrupted and resumed run ends bit-identical to an uninterrupted one', async () => {
  const straight = newRunDir();
  await train(tinyJob(['train.schedule.name=joint']), { logger: silentLogger, runDir: straight });

  const interrupted = newRunDir();
  const first = await train(tinyJob(['train.schedule.name=joint']), { runDir: interrupted, ...abortAfterIteration(2) });
  assert.equal(first.iterations, 2);
  const resumed = await train(tinyJob(['train.schedule.name=joint']), { logger: silentLogger, runDir: interrupted }, { resume: true });
  assert.equal(resumed.iterations, 4);

  const a = latestCheckpoint(straight)!;
  const b = latestCheckpoint(interrupted)!;
  for (const file of [
    'model/model.safetensors',
    'head/temperature_head.safetensors',
    'optimizer.token.safetensors',
    'optimizer.temperature.safetensors',
  ]) {
    assert.ok(readFileSync(join(a, file)).equals(readFileSync(join(b, file))), `${file} is bit-identical`);
  }
  assert.deepEqual(
    metricsRows(interrupted).map((r) => r.iteration),
    ['1', '2', '3', '4'],
    'metrics rows are not duplicated by the resume',
  );
});

test('non-finite steps are skipped and counted; too many in a row stop training with one line', async () => {
  const { trackNonFinite } = await import('../../src/rl/trainer.js');
  const state = { nonFiniteStreak: 0, nonFiniteTotal: 0 };
  const ok = { applied: true, loss: 0.1 };
  const bad = { applied: false, loss: NaN };
  trackNonFinite(state, [bad, bad, ok, bad], 3, silentLogger);
  assert.deepEqual(state, { nonFiniteStreak: 1, nonFiniteTotal: 3 }, 'an applied step resets the streak, not the total');
  assert.throws(() => trackNonFinite(state, [bad, bad], 3, silentLogger), /3 non-finite steps in a row \(train\.maxNonFiniteSteps = 3\)/);
});

test('token-only GRPO with a KL penalty to the frozen initial model and seq-mean-token-mean runs end to end', async () => {
  const runDir = newRunDir();
  const job = tinyJob([
    'policy=fixed:0.8',
    'train.schedule.name=token-only',
    'train.iterations=2',
    'train.loss.klCoef=0.1',
    'train.loss.aggregation=seq-mean-token-mean',
  ]);
  await train(job, { logger: silentLogger, runDir });
  const rows = metricsRows(runDir);
  assert.equal(rows.length, 2);
  for (const r of rows) {
    assert.ok(Number.isFinite(Number(r.token_loss)), 'a finite loss with the KL term');
    assert.equal(Number(r.temperature_mean).toFixed(6), Math.fround(0.8).toFixed(6));
    assert.ok(Number(r.token_steps) > 0);
    assert.ok(Number(r.kl) >= 0, `kl to the reference is logged (${r.kl})`);
  }
  assert.ok(Number(rows[1]!.kl) > 0, 'after an update the policy has moved away from the reference');
  // Both iterations update the LLM.
  assert.notEqual(rows[0]!.token_checksum, rows[1]!.token_checksum);
});

test('a learned policy owns its head: a trained head with its own grid is used with that grid, whatever head.grid says', async () => {
  const headDir = mkdtempSync(join(tmpdir(), 'introspect-head-'));
  const grid = [0.3, 0.9, 1.7];
  TemperatureHead.create({ kind: 'grid', grid, inputSize: 64, hiddenSize: 8, initTemperature: 0.9, initSpread: 0.5, seed: 1 }).save(
    headDir,
  );
  const runDir = newRunDir();
  // head.grid (default: 8 temperatures) differs from the file's 3; the policy must take the head's.
  const job = tinyJob([
    'train.iterations=1',
    'train.evalEvery=1',
    'train.evalProblems=3',
    'train.schedule.name=temperature-only',
    `head.path=${headDir}`,
  ]);
  assert.equal(job.head.grid.length, 8);
  await train(job, { logger: silentLogger, runDir });
  const samples = readFileSync(join(runDir, 'eval', 'iter-000001', 'samples.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { temperatures: number[] });
  const used = new Set(samples.flatMap((s) => s.temperatures));
  assert.ok(used.size > 0);
  for (const t of used)
    assert.ok(
      grid.some((g) => Math.abs(g - t) < 1e-6),
      `temperature ${t} is on the head's grid`,
    );
  assert.deepEqual([...TemperatureHead.load(join(latestCheckpoint(runDir)!, 'head')).config.grid], grid);
});

test('a schedule that updates the head needs a policy that has one: one line from the training config check', async () => {
  const job = tinyJob(['policy=fixed:1.0', 'train.schedule.name=joint']); // valid for eval, which ignores the schedule
  await assert.rejects(
    train(job, { logger: silentLogger, runDir: newRunDir() }),
    /^UserError: train\.schedule\.name: joint updates the temperature head, but policy "fixed" has none/,
  );
  assert.deepEqual(checkTrainJob(tinyJob(['policy=fixed:1.0', 'train.schedule.name=token-only'])), []);
});

test('dynamic sampling: uniform groups trigger extra rounds up to the cap, and the batch keeps its size', async () => {
  // The untrained tiny model never answers a synthetic-arith problem: every group is uniform (all 0).
  const runDir = newRunDir();
  await train(
    tinyJob([
      'train.iterations=2',
      'train.dynamicSampling.maxRounds=2',
      'train.advantage.dropUniformGroups=true',
      'train.schedule.name=token-only',
    ]),
    {
      logger: silentLogger,
      runDir,
    },
  );
  for (const row of metricsRows(runDir)) {
    assert.equal(Number(row.accuracy), 0);
    assert.equal(Number(row.sampling_rounds), 3, 'the first round and both extra rounds');
    assert.equal(Number(row.groups_dropped), 1, 'every group of the batch is uniform');
    assert.equal(Number(row.token_steps), 0, 'nothing to learn from');
  }
  const off = newRunDir();
  await train(tinyJob(['train.iterations=1', 'train.schedule.name=token-only']), { logger: silentLogger, runDir: off });
  assert.equal(Number(metricsRows(off)[0]!.sampling_rounds), 1);
});

test('train.tokenBudget stops training once the rollouts have generated that many tokens', async () => {
  const runDir = newRunDir();
  const summary = await train(tinyJob(['train.iterations=50', 'train.tokenBudget=100', 'train.schedule.name=token-only']), {
    logger: silentLogger,
    runDir,
  });
  const tokens = metricsRows(runDir).map((r) => Number(r.rollout_tokens));
  assert.ok(summary.finished && summary.iterations < 50);
  assert.equal(
    summary.generatedTokens,
    tokens.reduce((a, b) => a + b, 0),
  );
  assert.ok(
    summary.generatedTokens >= 100 && summary.generatedTokens - tokens[tokens.length - 1]! < 100,
    'stops at the first iteration that reaches the budget',
  );
});
