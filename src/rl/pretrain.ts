/**
 * Supervised pretraining of a small model from scratch on a generated task's worked solutions
 * (synthetic-arith, countdown): the embedded models are made this way. A character-level tokenizer (saved as an ordinary
 * tokenizer.json) keeps the vocabulary tiny; the `ce` training graph gives the gradients; AdamW
 * with warm-up and cosine decay applies them. The loss covers the solution (and EOS) only: the
 * model has to answer questions, not write them.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { fsyncPath, fsyncTree } from '../util/durable.js';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { scalarOutput } from '../onnx/index.js';
import { samplingOf, type JobConfig } from '../config/index.js';
import type { RunContext } from '../util/run-context.js';
import { pretrainCheckpointFiles, runFiles } from '../util/run-layout.js';
import { loadCheckpoint, saveCheckpoint, type ParamMap } from '../model/checkpoint.js';
import { buildCharTokenizer, buildCharTokenizerConfig, CHAR_SPECIAL_TOKENS, writeTokenizerFiles } from '../model/char-tokenizer.js';
import type { ModelConfig } from '../model/config.js';
import { initParameters, newModelConfig } from '../model/init.js';
import { streamFor } from '../util/rng.js';
import { jobModelOptions, openPolicyModel } from '../rollout/runtime.js';
import { createPolicy } from '../policy/index.js';
import { evaluatePolicy } from '../eval/evaluate.js';
import { loadJobProblems } from '../eval/problems.js';
import { getTask, type Problem } from '../tasks/index.js';
import { CsvLog } from '../util/csv-log.js';
import { UserError } from '../util/errors.js';
import { Progress } from '../util/progress.js';
import { createLrSchedule } from './lr-schedule.js';
import { AdamW } from './optimizer.js';
import { lowMemoryBackward, openTrainSession } from './token-update.js';
import { readOptimizerInto, writeOptimizer } from './checkpoint.js';
import { at, must } from '../util/must.js';

const COLUMNS = ['step', 'loss', 'grad_norm', 'lr', 'tokens_per_s', 'seconds'] as const;
const EVAL_COLUMNS = ['step', 'greedy_accuracy', 'sampled_accuracy', 'sampled_pass_at_k', 'mean_length'] as const;

/** The generated tasks, whose problems carry worked solutions to learn from. */
const PRETRAIN_TASKS: readonly string[] = ['synthetic-arith', 'countdown'];

export interface PretrainSummary {
  runDir: string;
  /** the final model folder */
  modelDir: string;
  steps: number;
  evals: { step: number; greedyAccuracy: number; sampledAccuracy: number }[];
}

/** The alphabet of the task's texts: every character of both splits' prompts and solutions, plus digits. */
function alphabetOf(problems: readonly Problem[], prompt: (q: string) => string): string[] {
  const chars = new Set<string>('0123456789');
  for (const p of problems) for (const c of prompt(p.question) + (p.solution ?? '')) chars.add(c);
  return [...chars].sort();
}

export async function pretrain(job: JobConfig, ctx: RunContext, options: { resume?: boolean } = {}): Promise<PretrainSummary> {
  if (!PRETRAIN_TASKS.includes(job.task.name))
    throw new UserError(`pretrain: task.name must be one of ${PRETRAIN_TASKS.join(', ')} (got ${job.task.name})`);
  const task = getTask(job.task.name);
  const train = await loadJobProblems(job, task.name, 'train');
  const test = await loadJobProblems(job, task.name, 'test', job.train.evalProblems);
  const latest = runFiles.pretrainCheckpoint(ctx.runDir);
  recoverPretrainCheckpoint(latest);
  const stateFile = pretrainCheckpointFiles.state(latest);
  const resume = options.resume && existsSync(stateFile);
  if (options.resume && !resume) throw new UserError(`${ctx.runDir} has no pretraining checkpoint to resume from`);

  // Tokenizer: characters, written once into a folder every saved model copies.
  const tokenizerDir = runFiles.pretrainTokenizer(ctx.runDir);
  const tokenizerJson = buildCharTokenizer(alphabetOf([...train, ...test], (q) => task.prompt(q)));
  if (!resume) writeTokenizerFiles(tokenizerDir, tokenizerJson, buildCharTokenizerConfig({ modelMaxLength: 512 }));
  const vocab = (tokenizerJson as unknown as { model: { vocab: Record<string, number> } }).model.vocab;
  const special = (token: string) => must(vocab[token], `the char tokenizer's ${token} token`);
  const unk = special(CHAR_SPECIAL_TOKENS.unk_token);
  const idOf = (c: string) => vocab[c] ?? unk;
  const [pad, bos, eos] = [special('<pad>'), special('<bos>'), special('<eos>')];

  const p = job.pretrain;
  let config: ModelConfig;
  let params: ParamMap;
  if (resume) {
    const saved = loadCheckpoint(pretrainCheckpointFiles.model(latest));
    config = saved.config;
    params = saved.params;
  } else {
    config = newModelConfig({
      arch: p.architecture,
      vocabSize: Object.keys(vocab).length,
      hiddenSize: p.hiddenSize,
      layers: p.layers,
      heads: p.heads,
      kvHeads: p.kvHeads,
      intermediateSize: p.intermediateSize,
      maxPositions: 512,
      bosTokenId: bos,
      eosTokenId: eos,
      padTokenId: pad,
    });
    params = initParameters(config, job.run.seed);
  }
  const names = [...params.keys()];
  const session = await openTrainSession(
    { config, params },
    'ce',
    { trainable: 'all', ...lowMemoryBackward(job) },
    { executionProvider: job.model.executionProvider, threads: job.model.threads },
  );
  const param = (n: string) => must(params.get(n), `parameter ${n}`);
  const optimizer = new AdamW(new Map(names.map((n) => [n, param(n).data])), {
    lr: p.lr,
    weightDecay: 0.01,
    maxGradNorm: 1,
    threads: job.model.threads,
  });
  let step = 0;
  if (resume) {
    step = (JSON.parse(readFileSync(stateFile, 'utf8')) as { step: number }).step;
    readOptimizerInto(pretrainCheckpointFiles.optimizer(latest), optimizer);
  }
  // Short runs (--set pretrain.steps=20) keep a schedule: warm-up never takes the whole run.
  const lr = createLrSchedule('cosine', {
    baseLr: p.lr,
    warmupSteps: Math.min(p.warmupSteps, p.steps - 1),
    totalSteps: p.steps,
    minLrRatio: 0.1,
  });
  const metrics = new CsvLog<Record<(typeof COLUMNS)[number], number>>(runFiles.metrics(ctx.runDir), COLUMNS);
  const evalCsv = new CsvLog<Record<(typeof EVAL_COLUMNS)[number], number>>(runFiles.evalCsv(ctx.runDir), EVAL_COLUMNS);
  if (resume) {
    metrics.truncate((r) => Number(r.step) <= step);
    evalCsv.truncate((r) => Number(r.step) <= step);
  }
  const paramFeeds = Object.fromEntries(names.map((n) => [n, new ort.Tensor('float32', param(n).data, param(n).dims)]));
  const encode = (text: string) => [...text].map(idOf);
  const evals: PretrainSummary['evals'] = [];
  const progress = new Progress({ label: 'pretrain', total: p.steps, rateUnit: 'tok', initial: step });

  const save = (dir: string) => saveCheckpoint(dir, config, params, { tokenizerDir });
  const checkpoint = () => {
    const root = runFiles.checkpoints(ctx.runDir);
    const temp = join(root, `.tmp-${process.pid}`);
    rmSync(temp, { recursive: true, force: true });
    mkdirSync(temp, { recursive: true });
    save(pretrainCheckpointFiles.model(temp));
    writeOptimizer(pretrainCheckpointFiles.optimizer(temp), optimizer.exportState());
    writeFileSync(pretrainCheckpointFiles.state(temp), JSON.stringify({ step }) + '\n');
    fsyncTree(temp);
    // The previous checkpoint is moved aside, not deleted, until the new one is in place
    // (recoverPretrainCheckpoint puts it back after a crash between the two renames).
    const previous = join(root, `.previous-${process.pid}`);
    if (existsSync(latest)) renameSync(latest, previous);
    renameSync(temp, latest);
    fsyncPath(root);
    rmSync(previous, { recursive: true, force: true });
  };
  const evaluate = async () => {
    const dir = join(runFiles.checkpoints(ctx.runDir), `.eval-${process.pid}`);
    rmSync(dir, { recursive: true, force: true });
    save(dir);
    const model = await openPolicyModel({ modelDir: dir, ...jobModelOptions(job.model), ...samplingOf(job) });
    const common = {
      model,
      task,
      problems: test,
      k: 1,
      maxNewTokens: job.rollout.maxNewTokens,
      batchSize: job.rollout.batchSize,
      seed: job.run.seed,
    };
    const greedy = await evaluatePolicy({ ...common, policy: createPolicy('greedy'), policyLabel: 'greedy' });
    const sampled = await evaluatePolicy({ ...common, k: p.evalK, policy: createPolicy('fixed:1.0'), policyLabel: 'fixed:1.0' });
    await model.dispose();
    rmSync(dir, { recursive: true, force: true });
    const row = {
      step,
      greedy_accuracy: greedy.summary.avgAtK,
      sampled_accuracy: sampled.summary.avgAtK,
      sampled_pass_at_k: sampled.summary.passAtK,
      mean_length: greedy.summary.meanLength,
    };
    evalCsv.append(row);
    evals.push({ step, greedyAccuracy: row.greedy_accuracy, sampledAccuracy: row.sampled_accuracy });
    ctx.logger.info(row, 'held-out evaluation');
  };

  while (step < p.steps && !ctx.signal?.aborted) {
    const started = performance.now();
    const rng = streamFor(job.run.seed, 0x73667420, step);
    const rows = Array.from({ length: p.batchSize }, () => at(train, Math.floor(rng.uniform() * train.length), 'train problems'));
    const seqs = rows.map((prob) => {
      const prompt = [bos, ...encode(task.prompt(prob.question))];
      return { ids: [...prompt, ...encode(prob.solution ?? ''), eos], promptLength: prompt.length };
    });
    const T = Math.max(...seqs.map((s) => s.ids.length));
    const B = seqs.length;
    const inputIds = new BigInt64Array(B * T).fill(BigInt(pad));
    const attention = new BigInt64Array(B * T);
    const lossMask = new Float32Array(B * T);
    seqs.forEach((s, b) => {
      s.ids.forEach((id, t) => {
        inputIds[b * T + t] = BigInt(id);
        attention[b * T + t] = 1n;
        if (t >= s.promptLength) lossMask[b * T + t] = 1;
      });
    });
    const out = await session.run({
      ...paramFeeds,
      input_ids: new ort.Tensor('int64', inputIds, [B, T]),
      attention_mask: new ort.Tensor('int64', attention, [B, T]),
      loss_mask: new ort.Tensor('float32', lossMask, [B, T]),
    });
    const grads = new Map(names.map((n) => [n, out[`grad.${n}`]!.data as Float32Array]));
    const rate = lr.lrAt(step);
    const report = optimizer.step(grads, rate);
    step++;
    const seconds = (performance.now() - started) / 1000;
    const loss = scalarOutput(out, 'loss');
    const tokens = seqs.reduce((n, s) => n + s.ids.length, 0);
    metrics.append({ step, loss, grad_norm: report.gradNorm, lr: rate, tokens_per_s: tokens / seconds, seconds });
    progress.tick(1, tokens, `loss ${loss.toFixed(3)}`);
    if (step % 50 === 0) ctx.logger.info({ step, loss, lr: rate }, 'pretrain');
    if (p.evalEvery > 0 && step % p.evalEvery === 0) await evaluate();
    if (p.checkpointEvery > 0 && step % p.checkpointEvery === 0) checkpoint();
  }
  progress.finish();
  checkpoint();
  const modelDir = runFiles.pretrainModel(ctx.runDir);
  save(modelDir);
  if (step === p.steps && (p.evalEvery === 0 || step % p.evalEvery !== 0)) await evaluate();
  return { runDir: ctx.runDir, modelDir, steps: step, evals };
}

/** After a crash inside a checkpoint write: the previous checkpoint back as `latest` if the new one never arrived, temporary folders removed. */
function recoverPretrainCheckpoint(latest: string): void {
  const root = dirname(latest);
  if (!existsSync(root)) return;
  const previous = readdirSync(root).find((n) => n.startsWith('.previous-') && existsSync(pretrainCheckpointFiles.state(join(root, n))));
  if (previous && !existsSync(pretrainCheckpointFiles.state(latest))) {
    rmSync(latest, { recursive: true, force: true });
    renameSync(join(root, previous), latest);
  }
  for (const n of readdirSync(root)) if (n.startsWith('.')) rmSync(join(root, n), { recursive: true, force: true });
}
