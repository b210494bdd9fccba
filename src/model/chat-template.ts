/**
 * Chat templates come with downloaded models and are programs (Jinja): a template may loop for
 * minutes (`range(100000000)`) or build a huge prompt. Rendering is bounded in time
 * (`model.tokenizerTimeoutMs`, as tokenization is), in the length of any `range()` and in the
 * size of the result, and a template over a bound fails with a UserError naming it.
 */
import { Environment, Interpreter, Template } from '@huggingface/jinja';
import { UserError } from '../util/errors.js';

/** Longest `range()` a template may build (chat templates loop over messages, not over millions). */
export const MAX_TEMPLATE_RANGE = 100_000;
/**
 * Wall time one render, and one text's tokenization, may take unless set (`model.tokenizerTimeoutMs`,
 * optional in the schema, whose text names this default): prompts encode in milliseconds, so this is far from normal use.
 */
export const DEFAULT_TOKENIZER_TIMEOUT_MS = 5_000;
/** Characters a rendered prompt may have. */
export const MAX_TEMPLATE_OUTPUT = 4_000_000;

let deadline = Infinity;
let limitMs = DEFAULT_TOKENIZER_TIMEOUT_MS;
// The interpreter evaluates every node through `evaluate`: checking the clock there bounds any
// loop with a body, however the template nests it (an empty inner loop runs to its end first,
// which the range bound keeps short). Outside renderChatTemplate the deadline is infinite.
const proto = Interpreter.prototype as unknown as { evaluate: (...args: unknown[]) => unknown };
const evaluate = proto.evaluate;
proto.evaluate = function (this: unknown, ...args: unknown[]) {
  if (Date.now() > deadline) throw new TemplateBoundError(`took longer than ${limitMs} ms (model.tokenizerTimeoutMs)`);
  return evaluate.apply(this, args);
};

class TemplateBoundError extends Error {}

// The library's `range` builds its whole array before anything else runs, so it is swapped for a
// bounded one where the globals are set up (Template.render declares them on a fresh Environment).
const envProto = Environment.prototype as unknown as { set: (name: string, value: unknown) => unknown };
const envSet = envProto.set;
envProto.set = function (this: unknown, name: string, value: unknown) {
  const swap = name === 'range' && typeof value === 'function' && value !== boundedRange && deadline !== Infinity;
  return envSet.call(this, name, swap ? boundedRange : value);
};

function boundedRange(start: number, stop?: number, step = 1): number[] {
  const [from, to] = stop === undefined ? [0, start] : [start, stop];
  if (step === 0) throw new Error('range() step must not be zero');
  const length = Math.max(0, Math.ceil((to - from) / step));
  if (!(length <= MAX_TEMPLATE_RANGE)) throw new TemplateBoundError(`builds a range of ${length} numbers (limit ${MAX_TEMPLATE_RANGE})`);
  return Array.from({ length }, (_, i) => from + i * step);
}

/** Renders a chat template with `variables`, within the bounds above. */
export function renderChatTemplate(source: string, variables: Record<string, unknown>, opts: { timeoutMs?: number } = {}): string {
  let template: Template;
  try {
    template = new Template(source);
  } catch (error) {
    throw new UserError(`cannot parse the chat template: ${(error as Error).message}`, { cause: error });
  }
  limitMs = opts.timeoutMs ?? DEFAULT_TOKENIZER_TIMEOUT_MS;
  deadline = Date.now() + limitMs;
  let text: string;
  try {
    text = template.render(variables);
  } catch (error) {
    if (error instanceof TemplateBoundError) throw new UserError(`the chat template ${error.message}; it is not used`);
    throw new UserError(`cannot render the chat template: ${(error as Error).message}`, { cause: error });
  } finally {
    deadline = Infinity;
  }
  if (text.length > MAX_TEMPLATE_OUTPUT)
    throw new UserError(`the chat template rendered ${text.length} characters (limit ${MAX_TEMPLATE_OUTPUT}); it is not used`);
  return text;
}
