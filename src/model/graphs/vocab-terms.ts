/**
 * Per-token terms over the vocabulary: the log-probability of each target token and (optionally)
 * the entropy of each position's distribution, `softmax(logits / temperature)`, for the rows that
 * predict a token. This is the one place the training graphs compute them; every loss is built on
 * the [N] results.
 *
 * Why not plain log-softmax + autodiff: at a large vocabulary (Qwen2.5: 151,936) the [N, V]
 * tensors dominate training memory. Log-softmax, its exp, the entropy product and their gradients
 * are each one [N, V] tensor (620 MB at B=4, T=256), and the autodiff backward keeps most of them
 * alive at once. Here the rows are split into `chunks` slices, each slice's [C, V] tensors are
 * temporaries, and the backward pass is written by hand (the gradient of these two terms has a
 * closed form, as in fused linear-cross-entropy kernels):
 *
 *   s = z / tau,  p = softmax(s),  log p = log_softmax(s),  H = -sum(p log p)
 *   d logp[t] / ds = onehot(t) - p
 *   d H / ds       = -p * (log p + H)
 *   dz = (a * (onehot(t) - p) - b * p * (log p + H)) / tau,  a = dL/dlogp, b = dL/dH
 *   dh = dz W,  dW = dz^T h   (over all rows, from the slices' dz)
 *
 * With `recompute` the backward recomputes each slice's logits z from h and W and their
 * log-softmax (one more output projection, no [N, V] tensor kept between the passes); without it
 * the forward's log-softmax is kept (one [N, V] tensor instead of several), which is all the
 * backward reads of the slice: p = exp(log p). Keeping the log-softmax rather than the logits
 * saves the backward a LogSoftmax and the division by tau per slice (it recomputed the same
 * bits). `chunks: 0` builds the plain formulation (log-softmax, gather and entropy differentiated
 * by autodiff): the reference the fused one is tested against.
 *
 * How the hand-written backward joins autodiff ({@link gradWithVocabTerms}): the forward terms are
 * computed from stop-gradient copies of h and W, so the loss reaches the parameters only through
 * them. (1) autodiff gives a and b, the loss's gradients with respect to the [N] terms; (2) the
 * chunked formula turns them into dh and dW; (3) autodiff seeded with dh at h and dW at W
 * (`grad()`'s `seeds`) carries dh through the transformer body and adds dW to the output
 * projection (the embedding too when tied). Seeds give the gradients that a surrogate loss term
 * sum(stopGradient(dh) * h) + sum(stopGradient(dW) * W) would, bit for bit (its gradients are
 * dh * 1 and dW * 1), without computing that term or an all-ones [V, H] tensor.
 */
import { GraphBuilder, type Graph, type Value, grad } from '../../onnx/index.js';

export interface VocabTermsInputs {
  /** rows that predict a token [N, H] */
  hidden: Value;
  /** the output projection [V, H] (checkpoint layout) */
  weight: Value;
  /** sampling temperature per row [N], or null for 1 */
  temperatures: Value | null;
  /** target token per row [N] int64 */
  targets: Value;
  /** also compute the entropy per row */
  entropy: boolean;
  /**
   * Row slices the [N, V] work is split into (>= 1), or 0 for the plain autodiff formulation.
   * Empty slices (N < chunks) are fine.
   */
  chunks: number;
  /** recompute logits in the backward pass instead of keeping them (fused formulation only) */
  recompute?: boolean;
}

/** The terms, and what {@link gradWithVocabTerms} needs to find them again in the built graph. */
export interface VocabTerms {
  /** [N] log softmax(z / tau)[target] */
  logprobs: Value;
  /** [N] entropy of softmax(z / tau), or null */
  entropy: Value | null;
  /** null for the plain formulation (autodiff differentiates it directly) */
  fused: FusedRecord | null;
}

/** Value names of a fused computation (names survive copying a graph; Value objects do not). */
interface FusedRecord {
  hidden: string;
  weight: string;
  temperatures: string | null;
  targets: string;
  logprobs: string;
  entropy: string | null;
  /** per slice: [start, end) row bounds and the kept log-softmax (null with recompute) */
  slices: { start: string; end: string; logSoftmax: string | null }[];
}

/** Builds the per-row terms (see the module comment). */
export function vocabTerms(g: GraphBuilder, x: VocabTermsInputs): VocabTerms {
  if (!Number.isInteger(x.chunks) || x.chunks < 0) throw new Error(`vocabTerms: chunks must be a whole number >= 0, got ${x.chunks}`);
  if (x.chunks === 0) {
    const { logprobs, entropy } = sliceTerms(g, x.hidden, x.weight, x.temperatures, x.targets, x.entropy);
    return { logprobs, entropy, fused: null };
  }
  const h = g.stopGradient(x.hidden);
  const w = g.stopGradient(x.weight);
  const tau = x.temperatures ? g.stopGradient(x.temperatures) : null;
  const bounds = sliceBounds(g, x.hidden, x.chunks);
  const logps: Value[] = [];
  const ents: Value[] = [];
  const slices: FusedRecord['slices'] = [];
  for (const { start, end } of bounds) {
    const rows = (v: Value): Value => (x.chunks === 1 ? v : g.slice(v, { starts: start, ends: end, axes: [0] }));
    const terms = sliceTerms(g, rows(h), w, tau ? rows(tau) : null, rows(x.targets), x.entropy);
    logps.push(terms.logprobs);
    if (terms.entropy) ents.push(terms.entropy);
    slices.push({ start: start.name, end: end.name, logSoftmax: x.recompute ? null : terms.logSoftmax.name });
  }
  const logprobs = g.concat(logps, { axis: 0 });
  const entropy = x.entropy ? g.concat(ents, { axis: 0 }) : null;
  const fused: FusedRecord = {
    hidden: x.hidden.name,
    weight: x.weight.name,
    temperatures: x.temperatures?.name ?? null,
    targets: x.targets.name,
    logprobs: logprobs.name,
    entropy: entropy?.name ?? null,
    slices,
  };
  return { logprobs, entropy, fused };
}

/** Row bounds [start, end) of each slice as [1] int64 values: ceil(N / k) rows each, the last ones shorter or empty. */
function sliceBounds(g: GraphBuilder, hidden: Value, k: number): { start: Value; end: Value }[] {
  const n = g.shape(hidden, { start: 0, end: 1 }); // [1]
  const size = g.div(g.add(n, k - 1), g.constant([k], 'int64')); // integer division
  return Array.from({ length: k }, (_, i) => ({
    start: g.min(g.mul(size, g.constant([i], 'int64')), n),
    end: g.min(g.mul(size, g.constant([i + 1], 'int64')), n),
  }));
}

/** Logits, log-probs of the targets and entropies of one slice of rows. */
function sliceTerms(
  g: GraphBuilder,
  h: Value,
  w: Value,
  tau: Value | null,
  targets: Value,
  withEntropy: boolean,
): { logSoftmax: Value; logprobs: Value; entropy: Value | null } {
  const logits = g.gemm(h, w, null, { transB: true }); // [C, V]
  const scaled = tau ? g.div(logits, g.unsqueeze(tau, { axes: [1] })) : logits;
  const logSoftmax = g.logSoftmax(scaled, { axis: -1 });
  const logprobs = g.squeeze(g.gatherElements(logSoftmax, g.unsqueeze(targets, { axes: [1] }), { axis: 1 }), { axes: [1] }); // [C]
  const entropy = withEntropy ? g.neg(g.reduceSum(g.mul(g.exp(logSoftmax), logSoftmax), { axes: [1], keepdims: false })) : null;
  return { logSoftmax, logprobs, entropy };
}

/** Whether `target` depends on `source` through the graph's nodes. */
function dependsOn(graph: Graph, target: string, source: string): boolean {
  const reaches = new Set<string>([source]);
  for (const node of graph.nodes) {
    if (node.inputs.some((v) => v && reaches.has(v.name))) for (const o of node.outputs) reaches.add(o.name);
  }
  return reaches.has(target);
}

/**
 * `grad(forward, 'loss', wrt, opts)` for a forward graph whose per-token terms came from
 * {@link vocabTerms}: with the plain formulation it is exactly that; with the fused one it joins
 * the hand-written chunked backward to autodiff (see the module comment). The result has the
 * same outputs as `grad()`: `loss`, `grad.<name>` per wrt name and the kept outputs.
 */
export function gradWithVocabTerms(
  forward: Graph,
  terms: VocabTerms,
  wrt: readonly string[],
  opts: { keepOutputs?: readonly string[]; lowMemory?: boolean } = {},
): Graph {
  const keep = opts.keepOutputs ?? [];
  // grad()'s memory savings (TrainGraphOptions.lowMemoryBackward)
  const lean = opts.lowMemory ? { recompute: true, accumulateInPlace: true } : {};
  const f = terms.fused;
  if (!f) return grad(forward, 'loss', wrt, { keepOutputs: keep, ...lean });

  // (1) The loss's gradients with respect to the terms it uses.
  const termNames = [f.logprobs, ...(f.entropy && dependsOn(forward, 'loss', f.entropy) ? [f.entropy] : [])];
  const first = grad(forward, 'loss', termNames, { keepOutputs: keep });

  // (2) Their chunked backward to h and W.
  const g = GraphBuilder.extend(first, forward.name);
  const loss = g.value('loss');
  g.rename(loss, 'loss.terms');
  const h = g.value(f.hidden);
  const w = g.value(f.weight);
  const tau = f.temperatures ? g.value(f.temperatures) : null;
  const gLogp = g.value(`grad.${f.logprobs}`);
  const gEnt = termNames.length > 1 ? g.value(`grad.${f.entropy}`) : null;
  const entropy = gEnt ? g.value(f.entropy as string) : null;
  const chunked = f.slices.length > 1;
  const dzs: Value[] = [];
  for (const s of f.slices) {
    const rows = (v: Value): Value => (chunked ? g.slice(v, { starts: g.value(s.start), ends: g.value(s.end), axes: [0] }) : v);
    const col = (v: Value): Value => g.unsqueeze(rows(v), { axes: [1] }); // [C, 1]
    const recomputed = (): Value => {
      const logits = g.gemm(rows(h), w, null, { transB: true }); // [C, V]
      return g.logSoftmax(tau ? g.div(logits, col(tau)) : logits, { axis: -1 });
    };
    const logSoftmax = s.logSoftmax ? g.value(s.logSoftmax) : recomputed();
    // dz = (a*(onehot(t) - p) - b*p*(log p + H)) / tau
    //    = a' onehot(t) + p * (-b' log p - (a' + b' H)),  a' = a / tau, b' = b / tau,
    // with the signs and 1/tau on the [C, 1] columns: three passes over [C, V] (exp, product,
    // scatter), five with the entropy term, where negating and dividing the [C, V] products took
    // two more.
    const perTau = (v: Value): Value => (tau ? g.div(v, col(tau)) : v);
    const a = perTau(col(gLogp)); // [C, 1]
    const b = gEnt ? perTau(col(gEnt)) : null;
    const weight = b
      ? g.sub(g.mul(logSoftmax, g.neg(b)), g.add(a, g.mul(b, col(entropy as Value)))) // [C, V]
      : g.neg(a); // [C, 1]
    const dense = g.mul(g.exp(logSoftmax), weight);
    dzs.push(g.scatterElements(dense, col(g.value(f.targets)), a, { axis: 1, reduction: 'add' })); // [C, V]
  }
  // The slices' dz side by side, [N, V] (each slice's kept log-softmax is dead once its dz is
  // made), then one product over all rows for each gradient. Accumulating dW = dz^T h through
  // Gemm's C input slice by slice allocated a new [V, H] table per slice and copied the last one
  // into it (544 MB each at the 0.5B shape), with products only C rows deep; dh = dz W replaces a
  // concatenation of per-slice products.
  const dz = chunked ? g.concat(dzs, { axis: 0 }) : (dzs[0] as Value);
  const dh = g.stopGradient(g.gemm(dz, w)); // [N, H]
  const dw = g.stopGradient(g.gemm(dz, h, null, { transA: true })); // [V, H]

  // (3) Autodiff carries dh through the body and adds dW to the output projection. dh and dW are
  // outputs here only so that build() keeps them for grad() to find by name; grad()'s graph has
  // its own outputs.
  g.output(loss, 'loss.terms');
  g.output(dh, 'vocab_terms.dh');
  g.output(dw, 'vocab_terms.dw');
  for (const name of keep) g.output(g.value(name), name);
  const seeds = [
    { value: h.name, grad: dh.name },
    { value: w.name, grad: dw.name },
  ];
  return grad(g.build(), 'loss.terms', wrt, { keepOutputs: keep, seeds, ...lean });
}
