/**
 * `introspect bench rollout|train`: throughput and memory of a model folder on this machine,
 * through the paths the trainer uses: rollouts from a decode session with the weights baked in
 * (the trainer's default `model.weightUpdates: bake`, cached as the trainer caches it) through the
 * rollout engine and its sampler, and one token-policy update's forward + backward through the
 * cached `policy` training graph with every parameter trainable.
 *
 * Inputs are random token ids from a fixed seed; nothing stops early (no EOS), so every row
 * generates `newTokens` tokens. Peak RSS is the process's high-water mark (graph build and load
 * included), so run one benchmark per process to compare engines.
 */
import { resolveModelDir } from '../model/hub.js';
import * as ort from 'onnxruntime-node';
import { loadCheckpoint } from '../model/checkpoint.js';
import { DecodeSession } from '../model/decode-session.js';
import { cachedGraphPath, folderSource } from '../model/graph-cache.js';
import { expectedParameters } from '../model/parameters.js';
import type { ModelConfig, ParamMap } from '../model/types.js';
import { configureSessions, createSession } from '../onnx/index.js';
import { createPolicy } from '../policy/index.js';
import { generateRollouts } from '../rollout/engine.js';
import { AdamW } from '../rl/optimizer.js';
import { gradientStep, trainSessionArena, trainSessionMemory } from '../rl/token-update.js';
import { streamFor } from '../util/rng.js';
import { UserError } from '../util/errors.js';
import { at } from '../util/must.js';

export interface BenchCommon {
  modelDir: string;
  /** ONNX Runtime intra-op threads (0: ONNX Runtime's default) */
  threads: number;
  spinning: boolean;
  /** ONNX Runtime's CPU memory arena (as `model.memoryArena`; undefined: auto, see trainSessionArena) */
  memoryArena?: boolean;
  /** timed runs after one untimed warm-up; the median is reported */
  repeats: number;
}

export interface BenchResult {
  benchmark: 'rollout' | 'train';
  model: string;
  parameters: number;
  settings: Record<string, number | boolean | string>;
  /** generated (rollout) or trained (train) tokens per second, median over repeats */
  tokens_per_s: number;
  /** seconds per run, median */
  seconds: number;
  repeat_seconds: number[];
  /** rollout: prefill and the first sampled token of the median run, seconds */
  time_to_first_token_s?: number;
  /** train: of each timed step, the gradient clipping and AdamW after the graph's run, seconds (median) */
  optimizer_s?: number;
  /** building the graph into the cache (0 on a cache hit), seconds */
  graph_build_s: number;
  /** whether the graph came from the cache */
  graph_cached: boolean;
  /** creating the ONNX Runtime session from the cached file, seconds */
  session_load_s: number;
  /** the process's peak resident memory, bytes */
  peak_rss_bytes: number;
}

const median = (xs: readonly number[]): number =>
  at(
    [...xs].sort((a, b) => a - b),
    Math.floor(xs.length / 2),
    'timings',
  );
const peakRss = (): number => process.resourceUsage().maxRSS * 1024;

function check(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) throw new UserError(`--${name} must be a whole number >= ${min}, got ${value}`);
}

function randomIds(n: number, vocab: number, seed: number): number[] {
  const rng = streamFor(seed, 0x62656e63);
  return Array.from({ length: n }, () => Math.floor(rng.uniform() * vocab));
}

/** Rollout throughput: B rows, random prompts of P tokens, N sampled tokens each at temperature 1. */
export async function benchRollout(
  o: BenchCommon & { batch: number; promptLen: number; newTokens: number; sampler?: 'host' | 'graph' },
): Promise<BenchResult> {
  o = { ...o, modelDir: await resolveModelDir(o.modelDir) }; // a folder or a Hub id
  check('batch', o.batch, 1);
  check('prompt-len', o.promptLen, 1);
  check('new-tokens', o.newTokens, 1);
  check('repeats', o.repeats, 1);
  configureSessions({ intraOpNumThreads: o.threads, allowSpinning: o.spinning, cpuMemArena: o.memoryArena });
  const source = folderSource(o.modelDir);
  const options = { lastLogitsOnly: true, cacheOutputs: 'new' as const, entropyOutput: true, paramInputs: 'none' as const };
  let started = performance.now();
  const { hit } = cachedGraphPath(source, { kind: 'decode', options });
  const buildSeconds = (performance.now() - started) / 1000;
  started = performance.now();
  const session = await DecodeSession.load(o.modelDir, { cache: true, sampling: o.sampler ?? 'host' });
  const loadSeconds = (performance.now() - started) / 1000;
  const vocab = source.config.vocabSize;
  const prompts = Array.from({ length: o.batch }, (_, b) => randomIds(o.promptLen, vocab, b));
  const run = async (): Promise<{ seconds: number; first: number }> => {
    const t0 = performance.now();
    let first = 0;
    await generateRollouts(session, {
      prompts,
      groupSize: 1,
      policy: createPolicy('fixed:1'),
      maxNewTokens: o.newTokens,
      eosTokenIds: [],
      decodeText: () => '',
      seed: 0,
      batchSize: o.batch,
      onTokens: () => {
        first ||= (performance.now() - t0) / 1000;
      },
    });
    return { seconds: (performance.now() - t0) / 1000, first };
  };
  try {
    await run(); // warm-up: first-run allocations
    const runs: { seconds: number; first: number }[] = [];
    for (let i = 0; i < o.repeats; i++) runs.push(await run());
    const seconds = median(runs.map((r) => r.seconds));
    const mid = runs.find((r) => r.seconds === seconds)!;
    return {
      benchmark: 'rollout',
      model: o.modelDir,
      parameters: parameterCount(source.config),
      settings: {
        batch: o.batch,
        prompt_len: o.promptLen,
        new_tokens: o.newTokens,
        sampler: o.sampler ?? 'host',
        threads: o.threads,
        spinning: o.spinning,
        memory_arena: o.memoryArena ?? true,
        repeats: o.repeats,
      },
      tokens_per_s: (o.batch * o.newTokens) / seconds,
      seconds,
      repeat_seconds: runs.map((r) => r.seconds),
      time_to_first_token_s: mid.first,
      graph_build_s: hit ? 0 : buildSeconds,
      graph_cached: hit,
      session_load_s: loadSeconds,
      peak_rss_bytes: peakRss(),
    };
  } finally {
    await session.release();
  }
}

/**
 * The policy-loss training graph's data inputs for a benchmark step on random data: the given token
 * ids, full masks, temperatures in [0.5, 1.5), zero old log-probs, normal advantages and the default
 * clip range. One home for the bench command and the scripts in scripts/bench and scripts/gpu;
 * temperatures are drawn before advantages, so a seed gives the same feeds everywhere.
 */
export function syntheticPolicyFeeds(
  ids: ArrayLike<number>,
  B: number,
  T: number,
  rng: ReturnType<typeof streamFor>,
): Record<string, ort.Tensor> {
  return {
    input_ids: new ort.Tensor('int64', BigInt64Array.from(Array.from(ids), BigInt), [B, T]),
    attention_mask: new ort.Tensor('int64', new BigInt64Array(B * T).fill(1n), [B, T]),
    temperatures: new ort.Tensor(
      'float32',
      Float32Array.from({ length: B * T }, () => 0.5 + rng.uniform()),
      [B, T],
    ),
    old_logprobs: new ort.Tensor('float32', new Float32Array(B * T), [B, T]),
    loss_mask: new ort.Tensor('float32', new Float32Array(B * T).fill(1), [B, T]),
    advantages: new ort.Tensor(
      'float32',
      Float32Array.from({ length: B }, () => rng.normal()),
      [B],
    ),
    clip_low: new ort.Tensor('float32', Float32Array.of(0.2), []),
    clip_high: new ort.Tensor('float32', Float32Array.of(0.28), []),
  };
}

/**
 * The optimiser settings of a benchmark update, as scripts/bench/torch_train.py --adamw and
 * torch_adamw.py use them: clipping to norm 1, weight decay 0.01, lr 1e-6 (small enough that the
 * random weights stay where they are across the timed steps).
 */
export const BENCH_ADAMW = { lr: 1e-6, weightDecay: 0.01, maxGradNorm: 1 } as const;

/**
 * Feeds every weight that the training session takes as an input, as tensors that view the model's
 * own arrays (AdamW updates those in place, so the next run sees the new weights without a second
 * copy), and returns the same arrays by name: the parameters for AdamW.
 */
export function feedTrainableWeights(
  params: ParamMap,
  inputNames: readonly string[],
  feeds: Record<string, ort.Tensor>,
): Map<string, Float32Array> {
  const trained = new Map<string, Float32Array>();
  for (const [name, p] of params) {
    if (!inputNames.includes(name)) continue;
    feeds[name] = new ort.Tensor('float32', p.data, p.dims);
    trained.set(name, p.data);
  }
  return trained;
}

/**
 * Update throughput: one whole token-policy update as the trainer takes it (gradientStep: forward +
 * backward of the `policy` graph with every parameter trainable, then gradient clipping to norm 1
 * and AdamW, lr 1e-6, weight decay 0.01, in float32) on B random sequences of T tokens,
 * temperatures in [0.5, 1.5), ratio 1 (old log-probs are the graph's own), as
 * `scripts/bench/torch_train.py --adamw` does in PyTorch. The warm-up run takes a step too, so the
 * timed ones carry AdamW's moments, as every step after a job's first does.
 */
export async function benchTrain(o: BenchCommon & { batch: number; seqLen: number }): Promise<BenchResult> {
  o = { ...o, modelDir: await resolveModelDir(o.modelDir) }; // a folder or a Hub id
  check('batch', o.batch, 1);
  check('seq-len', o.seqLen, 2);
  check('repeats', o.repeats, 1);
  configureSessions({ intraOpNumThreads: o.threads, allowSpinning: o.spinning, cpuMemArena: o.memoryArena });
  const source = folderSource(o.modelDir);
  const spec = { kind: 'policy' as const, options: { trainable: 'all' as const } };
  let started = performance.now();
  // Every parameter is an input: the graph stores no weights, so a miss needs only the config's shapes.
  const model = loadCheckpoint(o.modelDir);
  const { path, hit } = cachedGraphPath({ ...source, load: () => model }, spec);
  const buildSeconds = (performance.now() - started) / 1000;
  started = performance.now();
  const session = await createSession(path, trainSessionMemory(model.config));
  const loadSeconds = (performance.now() - started) / 1000;
  const [B, T] = [o.batch, o.seqLen];
  const rng = streamFor(1, 0x74726169);
  const feeds = syntheticPolicyFeeds(randomIds(B * T, model.config.vocabSize, 7), B, T, rng);
  const optimizer = new AdamW(feedTrainableWeights(model.params, session.inputNames, feeds), { ...BENCH_ADAMW, threads: o.threads });
  try {
    // The warm-up step gives the old log-probs (ratio 1, as the reference's).
    const { out } = await gradientStep(session, feeds, optimizer, BENCH_ADAMW.lr);
    feeds.old_logprobs = new ort.Tensor('float32', out.logprobs!.data as Float32Array, [B, T]);
    const times: number[] = [];
    const optimizerTimes: number[] = [];
    for (let i = 0; i < o.repeats; i++) {
      const t0 = performance.now();
      let returned = t0;
      await gradientStep(session, feeds, optimizer, BENCH_ADAMW.lr, (phase) => {
        if (phase === 'run returned') returned = performance.now();
        else optimizerTimes.push((performance.now() - returned) / 1000);
      });
      times.push((performance.now() - t0) / 1000);
    }
    const seconds = median(times);
    return {
      benchmark: 'train',
      model: o.modelDir,
      parameters: parameterCount(model.config),
      settings: {
        batch: B,
        seq_len: T,
        adamw: true,
        threads: o.threads,
        spinning: o.spinning,
        memory_arena: trainSessionArena(model.config) ?? true,
        memory_pattern: trainSessionMemory(model.config).enableMemPattern,
        repeats: o.repeats,
      },
      tokens_per_s: (B * T) / seconds,
      seconds,
      repeat_seconds: times,
      optimizer_s: median(optimizerTimes),
      graph_build_s: hit ? 0 : buildSeconds,
      graph_cached: hit,
      session_load_s: loadSeconds,
      peak_rss_bytes: peakRss(),
    };
  } finally {
    await session.release();
  }
}

/** Parameters of the model's config (no weights read). */
function parameterCount(config: ModelConfig): number {
  return expectedParameters(config).reduce((n, p) => n + p.dims.reduce((a, b) => a * b, 1), 0);
}
