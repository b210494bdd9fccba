/**
 * AdamW's per-element update, the one definition that both the calling thread and the helper
 * threads (adamw-threads.ts) run, so a parameter's new value does not depend on which thread
 * computed it. The order of operations is optimizer.ts's (torch.optim.AdamW's); each expression
 * is evaluated in float64 from float32 operands and rounded to float32 once.
 */

/** What one step's update of every element depends on besides the element's own values. */
export interface AdamWStepConstants {
  /** gradient scale from global-norm clipping (1 when not clipped) */
  clipCoef: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** lr / (1 - beta1^step) */
  stepSize: number;
  /** sqrt(1 - beta2^step) */
  bias2Sqrt: number;
}

/**
 * Updates p, m and v in place from g, over p's length (g, m and v have at least as many
 * elements). `decay` is 1 - lr * weightDecay for a decayed parameter, else 1.
 */
export function adamwUpdate(
  p: Float32Array,
  g: Float32Array,
  m: Float32Array,
  v: Float32Array,
  decay: number,
  k: AdamWStepConstants,
): void {
  const { clipCoef, beta1, beta2, eps, stepSize, bias2Sqrt } = k;
  for (let i = 0; i < p.length; i++) {
    const gi = Math.fround(g[i]! * clipCoef);
    const pi = Math.fround(p[i]! * decay);
    const mi = Math.fround(beta1 * m[i]! + (1 - beta1) * gi);
    const vi = Math.fround(beta2 * v[i]! + (1 - beta2) * gi * gi);
    m[i] = mi;
    v[i] = vi;
    p[i] = pi - (stepSize * mi) / (Math.sqrt(vi) / bias2Sqrt + eps);
  }
}
