import { answersEquivalent, defaultEquivalenceOptions, type EquivalenceOptions } from './equivalence.js';
import { defaultExtractOptions, extractAnswer, type ExtractOptions } from './extract.js';

export interface VerifyOptions extends ExtractOptions, EquivalenceOptions {
  /**
   * Subtracted from the reward when no answer can be extracted at all (reward = -formatPenalty).
   * 0 treats a missing answer like a wrong one; a positive value (e.g. 0.5) teaches the policy to
   * always state an answer in the expected format.
   */
  formatPenalty: number;
}

export const defaultVerifyOptions: VerifyOptions = {
  ...defaultExtractOptions,
  ...defaultEquivalenceOptions,
  formatPenalty: 0,
};

/** The grade of one response. */
export interface Verdict {
  /** The answer found in the response (raw text), or null when it states none. */
  extracted: string | null;
  correct: boolean;
  /** 1 when correct, 0 when wrong, -formatPenalty when no answer was found. */
  reward: number;
}

export interface GradeRecord {
  response: string;
  /** The gold final answer as text. */
  answer: string;
}

export interface GradeSummary {
  verdicts: Verdict[];
  /** Fraction of records graded correct (0 for no records). */
  accuracy: number;
}

/** Grades one response against its gold answer. */
export function gradeResponse(response: string, answer: string, options: Partial<VerifyOptions> = {}): Verdict {
  const opts = { ...defaultVerifyOptions, ...options };
  const extracted = extractAnswer(response, opts);
  if (extracted === null) return { extracted, correct: false, reward: 0 - opts.formatPenalty }; // 0 - p: never -0
  const correct = answersEquivalent(answer, extracted, opts);
  return { extracted, correct, reward: correct ? 1 : 0 };
}

/** Grades each record's response against its answer. */
export function gradeRecords(records: readonly GradeRecord[], options: Partial<VerifyOptions> = {}): GradeSummary {
  const verdicts = records.map((r) => gradeResponse(r.response, r.answer, options));
  const correct = verdicts.filter((v) => v.correct).length;
  return { verdicts, accuracy: records.length === 0 ? 0 : correct / records.length };
}
