/**
 * One graded sample as written to `samples.jsonl` by `introspect eval` and by the trainer's periodic
 * evaluation; `introspect analyze` reads them back. Per-token arrays are aligned: entry i is the i-th
 * generated token.
 */
export interface SampleRecord {
  task: string;
  problemId: string;
  /** index of this sample among the problem's k samples */
  sample: number;
  /** the temperature policy that produced it, e.g. "learned" or "fixed:0.6" */
  policy: string;
  prompt: string;
  response: string;
  /** gold answer */
  answer: string;
  /** final answer extracted from the response, null when none */
  extracted: string | null;
  correct: boolean;
  reward: number;
  /** text of each generated token */
  tokens: string[];
  /** temperature each token was sampled at (0 = greedy) */
  temperatures: number[];
  /** entropy of the untempered next-token distribution at each token, nats */
  entropies: number[];
  /** log softmax(logits / T)[token] at each token */
  logprobs: number[];
  finishReason: 'eos' | 'stop' | 'length';
}
