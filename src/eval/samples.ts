import { readFileSync } from 'node:fs';

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

/**
 * Correct samples per problem of a samples.jsonl (its problems in first-seen order) and the samples
 * per problem: what a paired comparison of two evaluations of the same problems needs.
 */
export function readProblemScores(path: string): { problemIds: string[]; samples: number; correct: number[] } {
  const counts = new Map<string, { n: number; correct: number }>();
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    const record = JSON.parse(line) as Pick<SampleRecord, 'problemId' | 'correct'>;
    const c = counts.get(record.problemId) ?? { n: 0, correct: 0 };
    c.n++;
    if (record.correct) c.correct++;
    counts.set(record.problemId, c);
  }
  const values = [...counts.values()];
  const samples = values[0]?.n ?? 0;
  if (values.some((c) => c.n !== samples)) throw new RangeError(`${path}: problems have different numbers of samples`);
  return { problemIds: [...counts.keys()], samples, correct: values.map((c) => c.correct) };
}
