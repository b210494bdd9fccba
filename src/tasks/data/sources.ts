/**
 * Where each benchmark file comes from, keyed by its path inside the data folder. The files are
 * downloaded unmodified, so a file fetched here is byte-for-byte the one the loaders are tested on.
 */
const QWEN_EVAL_DATA = 'https://raw.githubusercontent.com/QwenLM/Qwen2.5-Math/main/evaluation/data';
const GSM8K_DATA = 'https://raw.githubusercontent.com/openai/grade-school-math/master/grade_school_math/data';

export const DATASET_SOURCES: Readonly<Record<string, string>> = {
  'gsm8k/train.jsonl': `${GSM8K_DATA}/train.jsonl`,
  'gsm8k/test.jsonl': `${GSM8K_DATA}/test.jsonl`,
  // The Hugging Face copy's `problem` has no "Return your final response within \boxed{}." prefix;
  // the math500 loader strips that prefix only where it is present.
  'math500/test.jsonl': 'https://huggingface.co/datasets/HuggingFaceH4/MATH-500/resolve/main/test.jsonl',
  'aime24/test.jsonl': `${QWEN_EVAL_DATA}/aime24/test.jsonl`,
  'amc23/test.jsonl': `${QWEN_EVAL_DATA}/amc23/test.jsonl`,
  'minerva_math/test.jsonl': `${QWEN_EVAL_DATA}/minerva_math/test.jsonl`,
  'olympiadbench/test.jsonl': `${QWEN_EVAL_DATA}/olympiadbench/test.jsonl`,
};

/**
 * The URL to fetch `file` from: its public source, or `${mirrorBaseUrl}/${file}` when a mirror laid
 * out like the data folder is given (tests serve ../shared/datasets on 127.0.0.1 this way).
 */
export function sourceUrl(file: string, mirrorBaseUrl?: string): string | undefined {
  if (mirrorBaseUrl !== undefined && mirrorBaseUrl !== '') return `${mirrorBaseUrl.replace(/\/+$/, '')}/${file}`;
  return DATASET_SOURCES[file];
}
