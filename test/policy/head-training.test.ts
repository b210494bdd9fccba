/**
 * The head's training graph, run in ONNX Runtime, against references computed here: the loss and
 * log-probs against plain loops built on other modules' math (model/graphs/policy-losses.ts, policy/log-normal.ts),
 * the entropy against closed forms and numerical integration, and the gradients against central
 * finite differences of the graph's own loss (float64 graph, so differences are accurate to ~1e-8).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { createSession } from '../../src/onnx/index.js';
import {
  HEAD_PARAM_NAMES,
  type HeadKind,
  TemperatureHead,
  headForwardReference,
  temperatureHeadTrainingGraph,
} from '../../src/policy/head/index.js';
import { clippedSurrogate } from '../../src/model/graphs/policy-losses.js';
import { entropyOf, logSoftmax } from '../../src/util/softmax.js';
import { logNormalLogDensity, sampleLogNormal } from '../../src/policy/log-normal.js';
import { sampleGridAction } from '../../src/policy/grid-action.js';
import { streamFor } from '../../src/util/rng.js';

const N = 6;
const H = 5;
const CLIP_LOW = 0.2;
const CLIP_HIGH = 0.28;
const ENTROPY_COEF = 0.1;
/** log(old / new) per row: ratios 1.1, 0.9, 1.6 (clipped for A > 0), 0.5 (clipped for A < 0), 1.0, 1.2 */
const RATIOS = [1.1, 0.9, 1.6, 0.5, 1.0, 1.2];
const ADVANTAGES = [0.7, -1.2, 1.5, -0.8, 0.3, 2.0];
/** weights: a dead row (0) and fractional weights, as a 1/length aggregation would give */
const MASK = [1, 0.5, 1, 0.25, 0, 1];

interface Batch {
  head: TemperatureHead;
  hidden: Float64Array;
  actions: BigInt64Array | Float64Array;
  oldLogprobs: Float64Array;
}

function makeBatch(kind: HeadKind): Batch {
  // A larger second-layer init than the default so every parameter has a sizeable gradient.
  const head = TemperatureHead.create({ kind, inputSize: H, hiddenSize: 4, outputInitStd: 0.5, seed: 11 });
  const rng = streamFor(5);
  const hidden = Float64Array.from({ length: N * H }, () => 2 * rng.normal());
  const actions = kind === 'grid' ? BigInt64Array.from([0, 3, 7, 4, 2, 5], BigInt) : Float64Array.from([0.3, 0.9, 1.4, 0.6, 2.0, 1.1]);
  const out = headForwardReference(head.config, head.params, hidden, N);
  const logp = referenceLogprobs(kind, out, actions);
  return { head, hidden, actions, oldLogprobs: logp.map((l, n) => l - Math.log(RATIOS[n] as number)) };
}

function referenceLogprobs(kind: HeadKind, out: Float64Array, actions: BigInt64Array | Float64Array): Float64Array {
  const K = out.length / N;
  return Float64Array.from({ length: N }, (_, n) => {
    const row = out.subarray(n * K, (n + 1) * K);
    if (kind === 'grid') return logSoftmax(row, 1)[Number(actions[n])] as number;
    return logNormalLogDensity(Number(actions[n]), row[0] as number, row[1] as number);
  });
}

/** -∫ p log p dT over T, by the trapezoid rule in u = log T (dT = e^u du). */
function integratedLogNormalEntropy(mu: number, logStd: number): number {
  const sigma = Math.exp(logStd);
  const [lo, hi, steps] = [mu - 12 * sigma, mu + 12 * sigma, 20000];
  let sum = 0;
  for (let i = 0; i <= steps; i++) {
    const u = lo + ((hi - lo) * i) / steps;
    const logp = logNormalLogDensity(Math.exp(u), mu, logStd);
    sum += (i === 0 || i === steps ? 0.5 : 1) * -Math.exp(logp) * logp * Math.exp(u);
  }
  return (sum * (hi - lo)) / steps;
}

async function runGraph(session: ort.InferenceSession, b: Batch, params: Map<string, Float64Array>, mask = MASK) {
  const f64 = (data: ArrayLike<number>, dims: number[]) => new ort.Tensor('float64', Float64Array.from(data), dims);
  const feeds: Record<string, ort.Tensor> = {
    hidden: f64(b.hidden, [N, H]),
    actions: b.actions instanceof BigInt64Array ? new ort.Tensor('int64', b.actions, [N]) : f64(b.actions, [N]),
    old_logprobs: f64(b.oldLogprobs, [N]),
    advantages: f64(ADVANTAGES, [N]),
    mask: f64(mask, [N]),
    clip_low: f64([CLIP_LOW], []),
    clip_high: f64([CLIP_HIGH], []),
    entropy_coef: f64([ENTROPY_COEF], []),
  };
  for (const name of HEAD_PARAM_NAMES) feeds[name] = f64(params.get(name) as Float64Array, b.head.paramShapes[name] as number[]);
  const r = await session.run(feeds);
  const get = (name: string) => r[name]?.data as Float64Array;
  return {
    loss: get('loss')[0] as number,
    logprobs: get('logprobs'),
    entropy: get('entropy'),
    grad: (name: string) => get(`grad.${name}`),
  };
}

const params64 = (head: TemperatureHead) =>
  new Map(HEAD_PARAM_NAMES.map((n) => [n as string, Float64Array.from(head.params.get(n) as Float32Array)]));
const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

for (const kind of ['grid', 'lognormal'] as const) {
  test(`${kind} head training graph: loss, logprobs and entropy match a plain reference`, async () => {
    const b = makeBatch(kind);
    const session = await createSession(temperatureHeadTrainingGraph(b.head.config, { dtype: 'float64' }));
    const r = await runGraph(session, b, params64(b.head));
    const out = headForwardReference(b.head.config, b.head.params, b.hidden, N);
    const logp = referenceLogprobs(kind, out, b.actions);
    const K = out.length / N;
    let weighted = 0;
    let weightedEntropy = 0;
    let maskSum = 0;
    for (let n = 0; n < N; n++) {
      const row = out.subarray(n * K, (n + 1) * K);
      const entropy = kind === 'grid' ? entropyOf(row, 1) : integratedLogNormalEntropy(row[0] as number, row[1] as number);
      close(r.logprobs[n] as number, logp[n] as number, 1e-10, `logprobs[${n}]`);
      close(r.entropy[n] as number, entropy, 1e-7, `entropy[${n}]`);
      const m = MASK[n] as number;
      weighted += m * clippedSurrogate(logp[n] as number, b.oldLogprobs[n] as number, ADVANTAGES[n] as number, CLIP_LOW, CLIP_HIGH);
      weightedEntropy += m * entropy;
      maskSum += m;
    }
    // the mask is the aggregation's weights: loss = sum(w * l) (here weights that do not sum to 1)
    assert.ok(Math.abs(maskSum - 1) > 0.1);
    close(r.loss, weighted - ENTROPY_COEF * weightedEntropy, 1e-7, 'loss');
    await session.release();
  });

  test(`${kind} head training graph: gradients match central finite differences`, async () => {
    const b = makeBatch(kind);
    const session = await createSession(temperatureHeadTrainingGraph(b.head.config, { dtype: 'float64' }));
    const params = params64(b.head);
    const r = await runGraph(session, b, params);
    const eps = 1e-6;
    let largest = 0;
    for (const name of HEAD_PARAM_NAMES) {
      const p = params.get(name) as Float64Array;
      const analytic = r.grad(name);
      assert.equal(analytic.length, p.length, `grad.${name} has its parameter's size`);
      for (let i = 0; i < p.length; i++) {
        const saved = p[i] as number;
        p[i] = saved + eps;
        const up = (await runGraph(session, b, params)).loss;
        p[i] = saved - eps;
        const down = (await runGraph(session, b, params)).loss;
        p[i] = saved;
        const fd = (up - down) / (2 * eps);
        close(analytic[i] as number, fd, 1e-6 + 1e-5 * Math.abs(fd), `grad.${name}[${i}]`);
        largest = Math.max(largest, Math.abs(fd));
      }
    }
    assert.ok(largest > 1e-2, `gradients are not all negligible (largest ${largest})`);
    await session.release();
  });
}

test('an all-zero mask gives loss 0 and zero gradients (no 0/0)', async () => {
  const b = makeBatch('grid');
  const session = await createSession(temperatureHeadTrainingGraph(b.head.config, { dtype: 'float64' }));
  const r = await runGraph(session, b, params64(b.head), new Array(N).fill(0));
  assert.equal(r.loss, 0);
  for (const name of HEAD_PARAM_NAMES)
    assert.ok(
      r.grad(name).every((x) => x === 0),
      `grad.${name} is zero`,
    );
  await session.release();
});

test('the float32 training graph agrees with the float64 one', async () => {
  const b = makeBatch('lognormal');
  const g64 = await createSession(temperatureHeadTrainingGraph(b.head.config, { dtype: 'float64' }));
  const g32 = await createSession(b.head.trainingGraph());
  const r64 = await runGraph(g64, b, params64(b.head));
  const f32 = (data: ArrayLike<number>, dims: number[]) => new ort.Tensor('float32', Float32Array.from(data), dims);
  const feeds: Record<string, ort.Tensor> = {
    hidden: f32(b.hidden, [N, H]),
    actions: f32(b.actions as Float64Array, [N]),
    old_logprobs: f32(b.oldLogprobs, [N]),
    advantages: f32(ADVANTAGES, [N]),
    mask: f32(MASK, [N]),
    clip_low: f32([CLIP_LOW], []),
    clip_high: f32([CLIP_HIGH], []),
    entropy_coef: f32([ENTROPY_COEF], []),
  };
  for (const name of HEAD_PARAM_NAMES) feeds[name] = f32(b.head.params.get(name) as Float32Array, b.head.paramShapes[name] as number[]);
  const r32 = await g32.run(feeds);
  close((r32.loss?.data as Float32Array)[0] as number, r64.loss, 1e-4, 'loss');
  const g = r32['grad.fc2.weight']?.data as Float32Array;
  r64.grad('fc2.weight').forEach((x, i) => close(g[i] as number, x, 1e-4 * (1 + Math.abs(x)), `grad.fc2.weight[${i}]`));
  await Promise.all([g64.release(), g32.release()]);
});

for (const kind of ['grid', 'lognormal'] as const) {
  test(`${kind} head: the training graph recomputes the log-probs and entropies the rollout sampler recorded`, async () => {
    const head = TemperatureHead.create({ kind, inputSize: H, hiddenSize: 4, outputInitStd: 0.5, seed: 2 });
    const rng = streamFor(9);
    const hidden = Float32Array.from({ length: N * H }, () => 2 * rng.normal());
    const out = await head.logits(hidden, N); // what the engine runs while decoding
    const K = head.outputWidth;
    const actions = kind === 'grid' ? new BigInt64Array(N) : new Float32Array(N);
    const recorded = new Float32Array(N);
    const recordedEntropy = new Float32Array(N);
    for (let n = 0; n < N; n++) {
      const row = out.subarray(n * K, (n + 1) * K);
      if (actions instanceof BigInt64Array) {
        const a = sampleGridAction(row, head.config.grid, rng);
        [actions[n], recorded[n], recordedEntropy[n]] = [BigInt(a.action), a.logprob, a.entropy];
      } else {
        const a = sampleLogNormal(row[0] as number, row[1] as number, rng);
        [actions[n], recorded[n], recordedEntropy[n]] = [a.temperature, a.logprob, a.entropy];
      }
    }
    const f32 = (data: ArrayLike<number>, dims: number[]) => new ort.Tensor('float32', Float32Array.from(data), dims);
    const feeds: Record<string, ort.Tensor> = {
      hidden: f32(hidden, [N, H]),
      actions: actions instanceof BigInt64Array ? new ort.Tensor('int64', actions, [N]) : f32(actions, [N]),
      old_logprobs: f32(recorded, [N]),
      advantages: f32(ADVANTAGES, [N]),
      mask: f32(MASK, [N]),
      clip_low: f32([CLIP_LOW], []),
      clip_high: f32([CLIP_HIGH], []),
      entropy_coef: f32([0], []),
    };
    for (const name of HEAD_PARAM_NAMES) feeds[name] = f32(head.params.get(name) as Float32Array, head.paramShapes[name] as number[]);
    const session = await createSession(head.trainingGraph());
    const r = await session.run(feeds);
    const logprobs = r.logprobs?.data as Float32Array;
    recorded.forEach((l, n) => close(logprobs[n] as number, l, 1e-5 * (1 + Math.abs(l)), `logprobs[${n}]`));
    // and the head's entropy the sampler recorded (what metrics.csv's head/rollout_entropy averages)
    const entropy = r.entropy?.data as Float32Array;
    recordedEntropy.forEach((h, n) => close(entropy[n] as number, h, 1e-5 * (1 + Math.abs(h)), `entropy[${n}]`));
    // ratio 1 everywhere: the loss is minus the weighted sum of advantages (the mask is the aggregation's weights)
    const expected = -MASK.reduce((acc, m, n) => acc + m * (ADVANTAGES[n] as number), 0);
    close((r.loss?.data as Float32Array)[0] as number, expected, 1e-5, 'loss at ratio 1');
    await Promise.all([session.release(), head.dispose()]);
  });
}
