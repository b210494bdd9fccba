/** Tasks: benchmark and synthetic datasets, their prompts, and the answer verifier. */
export {
  TASK_NAMES,
  SPLIT_NAMES,
  type TaskName,
  type Split,
  type ProblemGrader,
  type Problem,
  type LoadOptions,
  type RawRecord,
  type TaskDefinition,
} from './task.js';
export { tasks, getTask } from './registry.js';
export { problemGrader } from './grade-problem.js';
export { gradeTaskRecords, type TaskGradeOptions } from './grade-task.js';
export {
  BOXED_INSTRUCTION,
  DEFAULT_SYSTEM_PROMPT,
  boxedPrompt,
  buildChatMessages,
  type ChatMessage,
  type ChatPromptOptions,
} from './prompts.js';
export { resolveDataDir, DATA_DIR_ENV } from './data/data-dir.js';
export { ensureDatasetFile, type DataLocation } from './data/dataset-file.js';
export { DATASET_SOURCES, sourceUrl } from './data/sources.js';
export { generateArithProblems, splitOfComputation } from './synthetic/generate.js';
export { defaultSyntheticArithOptions, type ArithOp, type SyntheticArithOptions } from './synthetic/arith-options.js';
export {
  generateCountdownProblems,
  gradeCountdown,
  parseCountdownQuestion,
  splitOfCountdown,
  countdownKey,
  defaultCountdownOptions,
  type CountdownOp,
  type CountdownOptions,
} from './synthetic/countdown.js';
export * from './verifier/index.js';
