/**
 * Prompts: plain-text templates per task, and the messages a chat template renders. Rendering
 * (`applyChatTemplate` with @huggingface/jinja) belongs to the tokenizer code, which takes these
 * messages as they are.
 */

/** The instruction Qwen2.5-Math's evaluation appends; the verifier reads the last \boxed{}. */
export const BOXED_INSTRUCTION = 'Please reason step by step, and put your final answer within \\boxed{}.';

/** Qwen2.5's default system prompt. */
export const DEFAULT_SYSTEM_PROMPT = 'You are a helpful assistant.';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ChatPromptOptions {
  /** The system message; null leaves it out (for templates without a system role). */
  systemPrompt?: string | null;
  /** Appended to the question on its own line; null or '' appends nothing. */
  answerInstruction?: string | null;
}

/** The plain-text prompt of the competition-math tasks: the question, then the boxed instruction. */
export function boxedPrompt(question: string): string {
  return `${question}\n${BOXED_INSTRUCTION}`;
}

/** `[system, user]` messages for a question, ready for a tokenizer's chat template. */
export function buildChatMessages(question: string, options: ChatPromptOptions = {}): ChatMessage[] {
  const systemPrompt = options.systemPrompt === undefined ? DEFAULT_SYSTEM_PROMPT : options.systemPrompt;
  const instruction = options.answerInstruction === undefined ? BOXED_INSTRUCTION : options.answerInstruction;
  const user = instruction === null || instruction === '' ? question : `${question}\n${instruction}`;
  const messages: ChatMessage[] = [];
  if (systemPrompt !== null) messages.push({ role: 'system', content: systemPrompt });
  messages.push({ role: 'user', content: user });
  return messages;
}
