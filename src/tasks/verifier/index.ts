export { extractAnswer, lastBoxed, afterHashes, afterAnswerPhrase, lastNumber, type ExtractOptions } from './extract.js';
export { gradeBatch, GradingPool, defaultPoolSize } from './pool.js';
export { normalizeAnswer } from './normalize.js';
export { parseNumber, type ParsedNumber } from './numbers.js';
export { parseAnswer, type AnswerNode } from './structure.js';
export { answersEquivalent, defaultEquivalenceOptions, type EquivalenceOptions } from './equivalence.js';
export {
  gradeResponse,
  gradeRecords,
  defaultVerifyOptions,
  type VerifyOptions,
  type Verdict,
  type GradeRecord,
  type GradeSummary,
} from './grade.js';
