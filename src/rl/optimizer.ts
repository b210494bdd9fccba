/**
 * AdamW (Loshchilov & Hutter 2019) over named float32 parameters, updated in place.
 *
 * The trainer keeps one instance per policy (token policy = the LLM, temperature policy = the head), each
 * with its own hyper-parameters; the learning rate of a step comes from an lr schedule.
 *
 * Order of operations of one step, per element, matching torch.optim.AdamW (amsgrad off, maximize off):
 *   norm      = sqrt(sum over all grads of g^2)                    (float64, in globalGradNorm's fixed order)
 *   if norm is not finite: skip the step entirely (params, moments and step count untouched)
 *   clipCoef  = min(1, maxGradNorm / (norm + 1e-6))                (torch.nn.utils.clip_grad_norm_)
 *   step     += 1
 *   g         = f32(g * clipCoef)
 *   p         = f32(p * (1 - lr * wd))                             (decoupled decay, only where the filter says)
 *   m         = f32(beta1 * m + (1 - beta1) * g)
 *   v         = f32(beta2 * v + (1 - beta2) * g * g)
 *   p         = f32(p - (lr / (1 - beta1^step)) * m / (sqrt(v) / sqrt(1 - beta2^step) + eps))
 * where f32 rounds to float32 (each expression is evaluated in float64 from float32 operands, then rounded
 * once; the per-element part is adamw-kernel.ts, run on one thread or several by adamw-threads.ts with the
 * same bits). The caller's gradients are never written: clipping is folded into the update as `clipCoef`.
 *
 * Because params, m and v are float32 and everything else is a pure function of (step, lr, options), saving
 * params + {@link AdamW.exportState} and restoring them gives a bit-identical continuation.
 */
import { availableParallelism } from 'node:os';
import { UserError } from '../util/errors.js';
import { must } from '../util/must.js';
import { adamwUpdateAll, momentArray } from './adamw-threads.js';

export interface AdamWOptions {
  /** Default learning rate, used when `step` is not given one. */
  lr: number;
  /** Decay rates of the first and second moment estimates. Default [0.9, 0.999] (torch). */
  betas?: readonly [number, number];
  /** Added to the denominator for stability. Default 1e-8 (torch). */
  eps?: number;
  /** Decoupled weight decay coefficient. Default 0.01 (torch AdamW). */
  weightDecay?: number;
  /**
   * Which parameters get weight decay (by name). Default: all. Use {@link skipOneDimensional} to exempt norm
   * gains and biases, the usual practice for transformers.
   */
  decayParameter?: (name: string) => boolean;
  /** Clip the global gradient L2 norm to this value. Default: no clipping. */
  maxGradNorm?: number;
  /**
   * Threads the element update may use, the calling one included (default 1; 0: one per core, as
   * `model.threads: 0` means for ONNX Runtime). More than one applies only to optimisers of
   * {@link PARALLEL_MIN_ELEMENTS} parameters or more, and gives the same bits as one
   * (adamw-threads.ts).
   */
  threads?: number;
}

/**
 * Below this many parameters the update stays on the calling thread: at 12-16 ns a parameter on
 * one thread (bench:adamw), a step of the default job's 400k parameters takes a few milliseconds,
 * less than starting a helper thread costs once and handing it chunks saves.
 */
export const PARALLEL_MIN_ELEMENTS = 1 << 20;

/** What one call of {@link AdamW.step} did. */
export interface StepReport {
  /** False when the step was skipped because a gradient held NaN or +-Inf. */
  applied: boolean;
  /** Global L2 norm of the gradients before clipping (NaN/Inf when the step was skipped). */
  gradNorm: number;
  /** Factor the gradients were scaled by (1 when not clipped, 0 when skipped). */
  clipCoef: number;
  /** Optimizer step count after this call (unchanged by a skipped step). */
  step: number;
  /** Learning rate used. */
  lr: number;
}

/** Checkpointable optimizer state: the step count and the moment tensors, named `exp_avg.<param>` and `exp_avg_sq.<param>`. */
export interface OptimizerState {
  step: number;
  tensors: Map<string, Float32Array>;
}

const FIRST_MOMENT = 'exp_avg.';
const SECOND_MOMENT = 'exp_avg_sq.';

export class AdamW {
  private readonly m = new Map<string, Float32Array>();
  private readonly v = new Map<string, Float32Array>();
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly eps: number;
  private readonly weightDecay: number;
  private readonly decayParameter: (name: string) => boolean;
  private readonly maxGradNorm: number;
  private readonly threads: number;
  private steps = 0;

  /**
   * @param params the parameters, updated in place by {@link step}; the optimizer keeps these references.
   */
  constructor(
    readonly params: ReadonlyMap<string, Float32Array>,
    readonly options: AdamWOptions,
  ) {
    [this.beta1, this.beta2] = options.betas ?? [0.9, 0.999];
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0.01;
    this.decayParameter = options.decayParameter ?? (() => true);
    this.maxGradNorm = options.maxGradNorm ?? Infinity;
    checkLr(options.lr);
    const threads = options.threads ?? 1;
    if (!(Number.isInteger(threads) && threads >= 0)) throw new UserError(`AdamW threads must be a whole number >= 0, got ${threads}`);
    let elements = 0;
    for (const p of params.values()) elements += p.length;
    this.threads = elements < PARALLEL_MIN_ELEMENTS ? 1 : threads === 0 ? availableParallelism() : threads;
    for (const [name, beta] of [
      ['beta1', this.beta1],
      ['beta2', this.beta2],
    ] as const) {
      if (!(beta >= 0 && beta < 1)) throw new UserError(`AdamW ${name} must be in [0, 1), got ${beta}`);
    }
    if (!(this.eps > 0)) throw new UserError(`AdamW eps must be > 0, got ${this.eps}`);
    if (!(this.weightDecay >= 0)) throw new UserError(`AdamW weight decay must be >= 0, got ${this.weightDecay}`);
    if (!(this.maxGradNorm > 0)) throw new UserError(`max gradient norm must be > 0, got ${this.maxGradNorm}`);
    // Shared memory where helper threads may update the moments in place (adamw-threads.ts).
    const shared = this.threads > 1;
    for (const [name, p] of params) {
      this.m.set(name, momentArray(p.length, shared));
      this.v.set(name, momentArray(p.length, shared));
    }
  }

  /** Number of applied steps so far (drives bias correction). */
  get stepCount(): number {
    return this.steps;
  }

  /**
   * One AdamW update of every parameter, in place.
   * @param grads one gradient per parameter, same names and lengths (not modified)
   * @param lr learning rate for this step (from the schedule); default `options.lr`
   */
  step(grads: ReadonlyMap<string, Float32Array>, lr: number = this.options.lr): StepReport {
    checkLr(lr);
    this.checkGrads(grads);
    const gradNorm = globalGradNorm(grads);
    if (!Number.isFinite(gradNorm)) return { applied: false, gradNorm, clipCoef: 0, step: this.steps, lr };
    const clipCoef = Math.min(1, this.maxGradNorm / (gradNorm + 1e-6));

    this.steps++;
    const { beta1, beta2, eps } = this;
    const constants = {
      clipCoef,
      beta1,
      beta2,
      eps,
      stepSize: lr / (1 - beta1 ** this.steps),
      bias2Sqrt: Math.sqrt(1 - beta2 ** this.steps),
    };
    const tensors = [...this.params].map(([name, p]) => ({
      p,
      g: must(grads.get(name), `gradient of ${name}`),
      m: must(this.m.get(name), `first moment of ${name}`),
      v: must(this.v.get(name), `second moment of ${name}`),
      decay: this.weightDecay > 0 && this.decayParameter(name) ? 1 - lr * this.weightDecay : 1,
    }));
    adamwUpdateAll(tensors, constants, this.threads);
    return { applied: true, gradNorm, clipCoef, step: this.steps, lr };
  }

  /**
   * Counts one step applied by another implementation that holds the parameters and moments (the
   * AdamW graph of the GPU path, adamw-graph.ts), so that the learning-rate schedule sees it; that
   * implementation's state comes back with {@link importState} before a checkpoint.
   */
  countExternalStep(): void {
    this.steps++;
  }

  /** Copies of the moments and the step count; later steps do not change the returned arrays. */
  exportState(): OptimizerState {
    const tensors = new Map<string, Float32Array>();
    for (const [name, m] of this.m) tensors.set(FIRST_MOMENT + name, m.slice());
    for (const [name, v] of this.v) tensors.set(SECOND_MOMENT + name, v.slice());
    return { step: this.steps, tensors };
  }

  /** Restores state saved by {@link exportState} (copied in); the names and sizes must match this optimizer's. */
  importState(state: OptimizerState): void {
    if (!Number.isInteger(state.step) || state.step < 0) throw new UserError(`optimizer state has invalid step ${state.step}`);
    const expected = this.m.size + this.v.size;
    if (state.tensors.size !== expected) {
      throw new UserError(`optimizer state has ${state.tensors.size} tensors, expected ${expected}`);
    }
    for (const [prefix, moments] of [
      [FIRST_MOMENT, this.m],
      [SECOND_MOMENT, this.v],
    ] as const) {
      for (const [name, target] of moments) {
        const saved = state.tensors.get(prefix + name);
        if (!saved) throw new UserError(`optimizer state lacks tensor "${prefix + name}"`);
        if (saved.length !== target.length) {
          throw new UserError(`optimizer state tensor "${prefix + name}" has ${saved.length} elements, expected ${target.length}`);
        }
      }
    }
    for (const [name, m] of this.m) m.set(must(state.tensors.get(FIRST_MOMENT + name), `optimizer state ${FIRST_MOMENT + name}`));
    for (const [name, v] of this.v) v.set(must(state.tensors.get(SECOND_MOMENT + name), `optimizer state ${SECOND_MOMENT + name}`));
    this.steps = state.step;
  }

  private checkGrads(grads: ReadonlyMap<string, Float32Array>): void {
    if (grads.size !== this.params.size) {
      const extra = [...grads.keys()].filter((n) => !this.params.has(n));
      throw new RangeError(
        `got ${grads.size} gradients for ${this.params.size} parameters${extra.length ? `; unknown: ${extra.join(', ')}` : ''}`,
      );
    }
    for (const [name, p] of this.params) {
      const g = grads.get(name);
      if (!g) throw new RangeError(`no gradient for parameter "${name}"`);
      if (g.length !== p.length) throw new RangeError(`gradient "${name}" has ${g.length} elements, parameter has ${p.length}`);
    }
  }
}

function checkLr(lr: number): void {
  if (!(lr >= 0 && Number.isFinite(lr))) throw new UserError(`learning rate must be finite and >= 0, got ${lr}`);
}

/**
 * L2 norm over all gradient elements together, accumulated in float64: per tensor in four
 * interleaved partial sums (elements 4i, 4i+1, 4i+2, 4i+3; the last length % 4 go to the first),
 * added as (s0 + s1) + (s2 + s3), the tensors' sums then added in order. NaN/Inf if any element
 * is. Why four: one running sum is a chain of dependent float64 additions, about 1.3-1.9 ns an
 * element whatever the memory does (0.055-0.079 s of a 41.6M-parameter step in bench:adamw, nearly
 * 1 s at the 0.5B shape); four chains overlap. The order is fixed by the lengths alone, so the
 * norm, and the clipping it decides, is the same bits on every run and thread count. Indexed
 * loops, not `for...of`: V8 runs a typed array's iterator several times slower.
 */
export function globalGradNorm(grads: ReadonlyMap<string, Float32Array>): number {
  let squares = 0;
  for (const g of grads.values()) squares += sumOfSquares(g);
  return Math.sqrt(squares);
}

/** Sum of g[i]^2 in float64, in {@link globalGradNorm}'s order. */
function sumOfSquares(g: Float32Array): number {
  // Plain locals: array destructuring here made V8's loop 4x slower than one running sum.
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  const whole = g.length - (g.length % 4);
  let i = 0;
  for (; i < whole; i += 4) {
    const a = g[i]!;
    const b = g[i + 1]!;
    const c = g[i + 2]!;
    const d = g[i + 3]!;
    s0 += a * a;
    s1 += b * b;
    s2 += c * c;
    s3 += d * d;
  }
  for (; i < g.length; i++) s0 += g[i]! * g[i]!;
  return s0 + s1 + (s2 + s3);
}

/**
 * A `decayParameter` filter that exempts parameters with at most one dimension (norm gains, biases) from
 * weight decay, as most transformer recipes do.
 * @param shapes the shape of every parameter, by name
 */
export function skipOneDimensional(shapes: ReadonlyMap<string, readonly number[]>): (name: string) => boolean {
  return (name) => {
    const shape = shapes.get(name);
    if (!shape) throw new RangeError(`no shape for parameter "${name}"`);
    return shape.length > 1;
  };
}
