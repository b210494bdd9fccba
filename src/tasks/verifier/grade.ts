import { answersEquivalent, defaultEquivalenceOptions, MAX_ANSWER_CHARS, type EquivalenceOptions } from './equivalence.js';
import { defaultExtractOptions, extractWithBoxes, isProse, lastJoinedBoxes, type ExtractOptions } from './extract.js';
import { normalizeAnswer } from './normalize.js';
import { parseAnswer } from './structure.js';

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

/**
 * Only the tail of a response is read: answers come last, and every later step is then bounded
 * whatever the model emitted (a 1 MB response costs as much as a 16 kB one).
 */
export const MAX_RESPONSE_CHARS = 16_000;

/**
 * The gold answer as a value: an answer field as it is (`\frac{14}{3}`), but a gold that is itself
 * a solution (`... so the answer is \boxed{5}`, `\boxed{1}\boxed{2}`) is read like a response,
 * its several boxes making one set of answers.
 */
export function goldValue(answer: string): string {
  const text = answer.length > MAX_RESPONSE_CHARS ? answer.slice(-MAX_RESPONSE_CHARS) : answer;
  const boxes = lastJoinedBoxes(text);
  const distinct = [...new Set(boxes.map((b) => b.trim()))];
  if (distinct.length > 1) return `\\{${distinct.join(', ')}\\}`;
  const [only] = distinct;
  if (only !== undefined) return only;
  // A solution written out (prose with math, or long) is read like a response; `np.arcsin(10/13)` is not one.
  if (!isProse(text) || !(text.includes('$') || text.length > 200 || /answer/i.test(text))) return text;
  return extractWithBoxes(text, { fallback: 'last' }).answer ?? text;
}

/** How many parts a gold answer has (`1, 2` and `\{1,2\}` have two), for combining boxes. */
function goldParts(gold: string): number {
  if (gold.length > MAX_ANSWER_CHARS) return 1;
  const node = parseAnswer(normalizeAnswer(gold));
  return node.kind === 'list' || node.kind === 'set' ? node.items.length : 1;
}

/**
 * Grades one response against its gold answer, within one wall-clock budget (`timeLimitMs`) for
 * the whole grade: extraction, and every comparison of every candidate reading.
 */
export function gradeResponse(response: string, answer: string, options: Partial<VerifyOptions> = {}): Verdict {
  const opts = { ...defaultVerifyOptions, ...options };
  const deadline = Date.now() + opts.timeLimitMs;
  const tail = response.length > MAX_RESPONSE_CHARS ? response.slice(-MAX_RESPONSE_CHARS) : response;
  const { answer: extracted, fromBox, boxes, statement } = extractWithBoxes(tail, opts);
  if (extracted === null) return { extracted, correct: false, reward: 0 - opts.formatPenalty }; // 0 - p: never -0
  const gold = goldValue(answer);
  const equivalent = (candidate: string): boolean => answersEquivalent(gold, candidate, { ...opts, deadline });
  let correct: boolean;
  if (fromBox && boxes.length > 1) {
    // Boxes joined into one answer (`\boxed{1}, \boxed{2}`, `\boxed{3} or \boxed{4}`): all of them are the
    // answer. A gold with several parts is compared with them together; a one-part gold wants every box
    // right, so hedging with several candidates is never rewarded.
    const distinct = [...new Set(boxes)];
    correct = goldParts(gold) > 1 ? equivalent(distinct.join(', ')) : distinct.every(equivalent);
  } else correct = equivalent(extracted);
  if (!correct && statement !== undefined) correct = equivalent(statement);
  return { extracted, correct, reward: correct ? 1 : 0 };
}

/** Grades each record's response against its answer. */
export function gradeRecords(records: readonly GradeRecord[], options: Partial<VerifyOptions> = {}): GradeSummary {
  const verdicts = records.map((r) => gradeResponse(r.response, r.answer, options));
  const correct = verdicts.filter((v) => v.correct).length;
  return { verdicts, accuracy: records.length === 0 ? 0 : correct / records.length };
}
