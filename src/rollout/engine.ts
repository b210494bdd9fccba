/**
 * The rollout engine: sampled completions where every token's temperature comes from a temperature
 * policy, the method's defining loop (arXiv 2602.13035):
 *
 *   h_t, logits_t = LLM(context)            (one batched decode step with the KV cache)
 *   tau_t ~ pi_phi(. | h_t)  or  tau_t = f(logits_t, t, ...)     (learned head, or a heuristic)
 *   y_t ~ softmax(logits_t / tau_t)
 *
 * Reproducibility: every sequence draws from its own random stream, derived from (seed, stream key,
 * prompt id, sample index), and draws in a fixed order per step (temperature action, then token), so
 * the same seed gives the same rollouts whatever the batch size or the order of the batch.
 * Sequences are decoded `batchSize` at a time. The samples of one prompt in a batch share one
 * prefill: the prompt is run once and its cache copied into each sample's row. Finished rows are
 * dropped from the batch (`keepRows`) once they are a quarter of it, so they stop costing compute
 * without a copy of the whole cache every time one row finishes.
 */
import type { HeadPolicy, TemperatureHeadSession, TemperaturePolicy } from '../policy/types.js';
import { streamFor, type Rng } from '../util/rng.js';
import type { SampledRows } from '../model/graph-sampler.js';
import { checkTemperature, entropyOf } from '../util/softmax.js';
import { TokenSampler, type SamplingOptions } from './sampling.js';
import type { BatchDecoder, DecodeOutput, FinishReason, Rollout } from './types.js';
import { at, must } from '../util/must.js';

export interface RolloutRequest {
  /** prompt token ids, one list per prompt */
  prompts: readonly (readonly number[])[];
  /** stable id per prompt for its random streams (e.g. the dataset index); default its position */
  promptIds?: readonly number[];
  /** samples per prompt (G); a prompt's samples are contiguous in the result */
  groupSize: number;
  policy: TemperaturePolicy;
  /** the temperature head's session; required by head policies (`learned`) */
  head?: TemperatureHeadSession;
  maxNewTokens: number;
  eosTokenIds: readonly number[];
  /** a completion also ends when its text contains one of these */
  stopStrings?: readonly string[];
  /** token ids -> text (the tokenizer's decode) */
  decodeText: (ids: readonly number[]) => string;
  seed: number;
  /** mixed into every stream, e.g. [iteration] so each training iteration samples afresh */
  streamKey?: readonly number[];
  /** sequences decoded together */
  batchSize: number;
  /** keep each token's final hidden state (the head's training input) */
  recordHidden?: boolean;
  sampling?: SamplingOptions;
  trainingStep?: number;
  totalTrainingSteps?: number;
  /** called after every decode step with the number of tokens generated in it */
  onTokens?: (count: number) => void;
  /** prefill each distinct prompt of a batch once and copy its cache into its samples' rows (default true) */
  sharedPrefill?: boolean;
}

/**
 * The id that derives a sequence's action substream from its token stream. With actions drawn
 * apart, the k-th token of a sequence uses the same uniform under every temperature policy, so
 * two policies evaluated with the same seed differ only by their temperatures (paired evaluation).
 */
const ACTION_STREAM = 0x7e4d;

/** Finished rows stay in the batch (computed, ignored) until they are this fraction of it. */
const COMPACT_FRACTION = 0.25;

/** Per-sequence state while it is being decoded. */
interface Active {
  promptIndex: number;
  sampleIndex: number;
  /** token draws: one uniform per token whatever the policy, so policies share them (paired evaluation) */
  rng: Rng;
  /** the temperature head's action draws, a substream of its own */
  actionRng: Rng;
  tokens: number[];
  temperatures: number[];
  logprobs: number[];
  entropies: number[];
  actions: number[];
  actionLogprobs: number[];
  actionEntropies: number[];
  hidden: Float32Array[];
  finish?: FinishReason;
}

/** Generates `groupSize` completions for every prompt with `decoder`; results are ordered by (prompt, sample). */
export async function generateRollouts(decoder: BatchDecoder, request: RolloutRequest): Promise<Rollout[]> {
  validateRequest(request);
  const sequences: { promptIndex: number; sampleIndex: number }[] = [];
  request.prompts.forEach((_, promptIndex) => {
    for (let sampleIndex = 0; sampleIndex < request.groupSize; sampleIndex++) sequences.push({ promptIndex, sampleIndex });
  });
  const results: Rollout[] = [];
  for (let start = 0; start < sequences.length; start += request.batchSize) {
    const chunk = sequences.slice(start, start + request.batchSize);
    results.push(...(await decodeChunk(decoder, request, chunk)));
  }
  return results;
}

function validateRequest(r: RolloutRequest): void {
  if (!Number.isInteger(r.groupSize) || r.groupSize < 1) throw new RangeError(`groupSize must be a positive integer, got ${r.groupSize}`);
  if (!Number.isInteger(r.batchSize) || r.batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${r.batchSize}`);
  if (!Number.isInteger(r.maxNewTokens) || r.maxNewTokens < 1)
    throw new RangeError(`maxNewTokens must be a positive integer, got ${r.maxNewTokens}`);
  if (r.policy.kind === 'head' && !r.head) throw new Error(`policy "${r.policy.spec.name}" needs the temperature head's session`);
  if (r.policy.kind === 'per-token' && r.policy.needsTrainingProgress && r.trainingStep === undefined) {
    throw new Error(`policy "${r.policy.spec.name}" needs the training step (it only runs during training)`);
  }
  if (r.promptIds && r.promptIds.length !== r.prompts.length) throw new RangeError('promptIds must have one id per prompt');
  r.prompts.forEach((p, i) => {
    if (p.length === 0) throw new RangeError(`prompt ${i} is empty`);
  });
}

async function decodeChunk(
  decoder: BatchDecoder,
  request: RolloutRequest,
  chunk: readonly { promptIndex: number; sampleIndex: number }[],
): Promise<Rollout[]> {
  const { policy } = request;
  const sampler = new TokenSampler(request.sampling ?? {});
  // Top-k/top-p truncation is drawn on the host (it sorts the boundary of the kept set); everything else
  // in the decoder's graph when it has a sampler.
  const inGraph = decoder.sampler && !truncates(request.sampling) ? decoder.sampler : null;
  const eos = new Set(request.eosTokenIds);
  const all: Active[] = chunk.map(({ promptIndex, sampleIndex }) => ({
    promptIndex,
    sampleIndex,
    rng: streamFor(request.seed, ...(request.streamKey ?? []), request.promptIds?.[promptIndex] ?? promptIndex, sampleIndex),
    actionRng: streamFor(
      request.seed,
      ...(request.streamKey ?? []),
      request.promptIds?.[promptIndex] ?? promptIndex,
      sampleIndex,
      ACTION_STREAM,
    ),
    tokens: [],
    temperatures: [],
    logprobs: [],
    entropies: [],
    actions: [],
    actionLogprobs: [],
    actionEntropies: [],
    hidden: [],
  }));
  // The decoder's rows: a sequence, or null for a finished one not yet dropped.
  let rows: (Active | null)[] = all.slice();
  let { out, outputRow } = await prefillChunk(decoder, request, chunk);
  let headInput = new Float32Array(0);

  for (let step = 0; step < request.maxNewTokens; step++) {
    // Each live sequence with the row of this step's outputs it reads (after a shared prefill, its prompt's row).
    const live = rows.flatMap((seq, row) => (seq ? [{ seq, row, at: outputRow ? at(outputRow, row, 'prefill rows') : row }] : []));
    const outRows = live.map((l) => l.at);
    // The in-graph path never reads the host rows (on a device they are not on the host).
    const hostRow = (r: number) => ({ logits: at(out.logits, r, 'decoder logits'), hidden: at(out.hidden, r, 'decoder hidden states') });
    const tensors = inGraph ? must(out.tensors, "the decoder's output tensors (in-graph sampling)") : null;
    const entropies = inGraph ? must(out.entropy, "the decoder's entropy (in-graph sampling)") : out.entropy;
    let headRows: Float32Array | null = null;
    if (policy.kind === 'head') {
      const head = must(request.head, 'the temperature head of a head policy');
      if (tensors && head.runRows) {
        headRows = await head.runRows(tensors.hidden, outRows);
      } else {
        const H = hostRow(0).hidden.length;
        if (headInput.length !== live.length * H) headInput = new Float32Array(live.length * H);
        outRows.forEach((r, i) => headInput.set(hostRow(r).hidden, i * H));
        headRows = await head.run(headInput, live.length);
      }
    }
    const temperatures = new Float64Array(live.length);
    live.forEach(({ seq, at: r }, i) => {
      const host = inGraph ? null : hostRow(r);
      const entropy = entropies?.[r] ?? entropyOf(must(host, 'host logits').logits);
      let temperature: number;
      if (policy.kind === 'head') {
        const w = (policy as HeadPolicy).outputWidth;
        const action = policy.act(must(headRows, "the head's outputs").subarray(i * w, (i + 1) * w), seq.actionRng);
        temperature = action.temperature;
        seq.actions.push(action.distribution === 'grid' ? action.action : -1);
        seq.actionLogprobs.push(action.logprob);
        seq.actionEntropies.push(action.entropy);
      } else {
        temperature = policy.temperature({
          ...(host ?? {}),
          entropy,
          step,
          progress: step / request.maxNewTokens,
          trainingStep: request.trainingStep,
          totalTrainingSteps: request.totalTrainingSteps,
        });
      }
      seq.temperatures.push(temperature);
      seq.entropies.push(entropy);
      temperatures[i] = temperature;
    });
    const next = new Array<number>(rows.length).fill(0);
    const drawn =
      inGraph && tensors
        ? await drawInGraph(
            inGraph,
            tensors,
            live.map((l) => l.seq),
            outRows,
            temperatures,
            request.recordHidden === true,
          )
        : null;
    live.forEach(({ seq, row, at: r }, i) => {
      let token: number;
      let hidden: Float32Array | undefined;
      if (drawn) {
        token = at(drawn.tokens, i, 'drawn tokens');
        // log softmax(logits / T)[token], as the trainer's graphs score it (see sampling.ts).
        seq.logprobs.push(at(drawn.logprobs, i, 'drawn log-probs'));
        if (drawn.hidden)
          hidden = drawn.hidden.subarray((i * drawn.hidden.length) / live.length, ((i + 1) * drawn.hidden.length) / live.length);
      } else {
        const host = hostRow(r);
        const sampled = sampler.sample(host.logits, at(temperatures, i, 'temperatures'), seq.rng);
        token = sampled.token;
        seq.logprobs.push(sampled.logprob);
        hidden = host.hidden;
      }
      seq.tokens.push(token);
      if (request.recordHidden) seq.hidden.push(must(hidden, 'the hidden state of a recorded token').slice());
      if (eos.has(token)) seq.finish = 'eos';
      else if (request.stopStrings?.length && hasStop(request.decodeText(seq.tokens), request.stopStrings)) seq.finish = 'stop';
      next[row] = token;
      if (seq.finish) rows[row] = null;
    });
    request.onTokens?.(live.length);
    const remaining = rows.flatMap((seq, row) => (seq ? [row] : []));
    if (remaining.length === 0 || step + 1 === request.maxNewTokens) break;
    outputRow = null;
    if (rows.length - remaining.length >= COMPACT_FRACTION * rows.length) {
      decoder.keepRows(remaining);
      rows = remaining.map((row) => rows[row] ?? null);
      out = await decoder.step(remaining.map((row) => at(next, row, 'next tokens')));
    } else {
      out = await decoder.step(next); // finished rows get a placeholder token; their outputs are ignored
    }
  }
  return all.map((seq) => toRollout(seq, request));
}

/** True when the options truncate the distribution (top-k or top-p), which only the host sampler does. */
function truncates(options: SamplingOptions | undefined): boolean {
  return (options?.topK ?? 0) > 0 || (options?.topP ?? 1) < 1;
}

/**
 * The in-graph draw of one step: each live row's uniform from its own stream (one per token, as
 * the host sampler draws), then the decoder's sampler on output rows `outRows`.
 */
async function drawInGraph(
  sampler: NonNullable<BatchDecoder['sampler']>,
  tensors: NonNullable<DecodeOutput['tensors']>,
  seqs: readonly Active[],
  outRows: readonly number[],
  temperatures: Float64Array,
  hidden: boolean,
): Promise<SampledRows> {
  temperatures.forEach((t) => checkTemperature(t));
  const uniforms = Float64Array.from(seqs, (seq) => seq.rng.uniform());
  return sampler.sample(tensors, outRows, temperatures, uniforms, { hidden });
}

/**
 * The chunk's prefill: each distinct prompt once, its cache then copied into the rows of its
 * samples (unless `sharedPrefill` is off or every prompt is distinct). Row i of the chunk reads
 * row `outputRow[i]` of the returned outputs (null: row i); they stay valid until the next step.
 */
async function prefillChunk(
  decoder: BatchDecoder,
  request: RolloutRequest,
  chunk: readonly { promptIndex: number }[],
): Promise<{ out: DecodeOutput; outputRow: number[] | null }> {
  const distinct = [...new Set(chunk.map((s) => s.promptIndex))];
  const promptIds = (p: number) => at(request.prompts, p, 'prompts');
  if (request.sharedPrefill === false || distinct.length === chunk.length)
    return { out: await decoder.prefill(chunk.map((s) => promptIds(s.promptIndex))), outputRow: null };
  const out = await decoder.prefill(distinct.map(promptIds));
  const outputRow = chunk.map((s) => distinct.indexOf(s.promptIndex));
  decoder.keepRows(outputRow);
  return { out, outputRow };
}

function hasStop(text: string, stops: readonly string[]): boolean {
  return stops.some((s) => s.length > 0 && text.includes(s));
}

function toRollout(seq: Active, request: RolloutRequest): Rollout {
  const rollout: Rollout = {
    promptIndex: seq.promptIndex,
    sampleIndex: seq.sampleIndex,
    promptIds: at(request.prompts, seq.promptIndex, 'prompts'),
    tokens: seq.tokens,
    text: request.decodeText(seq.tokens),
    finishReason: seq.finish ?? 'length',
    temperatures: Float32Array.from(seq.temperatures),
    logprobs: Float32Array.from(seq.logprobs),
    entropies: Float32Array.from(seq.entropies),
  };
  if (request.policy.kind === 'head') {
    rollout.actions = Int32Array.from(seq.actions);
    rollout.actionLogprobs = Float32Array.from(seq.actionLogprobs);
    rollout.actionEntropies = Float32Array.from(seq.actionEntropies);
  }
  if (request.recordHidden) {
    const H = seq.hidden[0]?.length ?? 0;
    const hidden = new Float32Array(seq.hidden.length * H);
    seq.hidden.forEach((row, i) => hidden.set(row, i * H));
    rollout.hidden = hidden;
  }
  return rollout;
}
