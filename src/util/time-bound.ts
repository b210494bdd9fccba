/**
 * Synchronous work bounded in wall time. JavaScript cannot stop a function that does not return
 * (a regular expression backtracking catastrophically, `(a+)+$` against a long input, never
 * yields), but V8 can: node:vm's `timeout` terminates the execution from a watchdog thread, and
 * that interrupts a regular expression in the middle of its backtracking too. The work runs in
 * this thread with no copies, so results and errors are the caller's own objects.
 *
 * Each bounded call starts and joins a watchdog thread, which costs more than encoding a short
 * prompt (milliseconds on a loaded machine: `npm run bench:tokenize`), so {@link mapWithin} runs
 * many items per call.
 */
import vm from 'node:vm';
import { at } from './must.js';

/** Thrown when bounded work ran out of time. */
export class TimeLimitExceeded extends Error {
  constructor(readonly limitMs: number) {
    super(`took longer than ${limitMs} ms`);
  }
}

const context = vm.createContext({});
const script = new vm.Script('run()');
let work: () => void = () => {};
(context as { run: () => void }).run = () => work();

/** `fn()`, or {@link TimeLimitExceeded} once it has run `limitMs` ms (its effects so far remain). */
export function runWithin<T>(limitMs: number, fn: () => T): T {
  let result: T | undefined;
  const outer = work;
  work = () => {
    result = fn();
  };
  try {
    script.runInContext(context, { timeout: limitMs });
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') throw new TimeLimitExceeded(limitMs);
    throw error;
  } finally {
    work = outer;
  }
  return result as T;
}

/**
 * `items.map(fn)` with every item given up to `limitMs` ms. Items run many to a bounded call; a
 * call stops taking new items after half its time, and an item a call ran out of time on is
 * retried at the start of a fresh call, so only an item that alone takes `limitMs` fails:
 * `tooSlow(item, index)` is thrown then. `fn` must tolerate being stopped part way (a cache
 * entry half written is fine; state that would be wrong afterwards is not).
 */
export function mapWithin<T, R>(items: readonly T[], limitMs: number, fn: (item: T) => R, tooSlow: (item: T, index: number) => Error): R[] {
  const results: R[] = [];
  while (results.length < items.length) {
    const first = results.length;
    try {
      runWithin(limitMs, () => {
        const started = performance.now();
        do results.push(fn(at(items, results.length, 'items')));
        while (results.length < items.length && performance.now() - started < limitMs / 2);
      });
    } catch (error) {
      if (!(error instanceof TimeLimitExceeded)) throw error;
      if (results.length === first) throw tooSlow(at(items, first, 'items'), first);
    }
  }
  return results;
}
