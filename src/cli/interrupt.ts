/**
 * Signals for long jobs. SIGINT (Ctrl-C), SIGTERM (kill, job schedulers) and SIGHUP (the terminal
 * closed) all abort the job's signal, with the signal's name as its reason, so the job finishes
 * its current step and saves what it has completed; the command then exits with 128 + the
 * signal's number (130, 143, 129), as a shell reports a process killed by it. A second signal of
 * any of these exits at once with the same code.
 */
export const INTERRUPT_SIGNALS = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;
export type InterruptSignal = keyof typeof INTERRUPT_SIGNALS;

export interface InterruptOptions<T> {
  /** what the job does on the first signal, for the message (default "finishing the current step") */
  onFirst?: string;
  /** called once the job has returned after a signal, e.g. to print how to resume */
  onInterrupted?: (signal: InterruptSignal, result: T) => void;
}

export async function withInterrupt<T>(job: (signal: AbortSignal) => Promise<T>, options: InterruptOptions<T> = {}): Promise<T> {
  const controller = new AbortController();
  const handlers = new Map<InterruptSignal, () => void>();
  for (const name of Object.keys(INTERRUPT_SIGNALS) as InterruptSignal[]) {
    const handler = () => {
      if (controller.signal.aborted) process.exit(INTERRUPT_SIGNALS[name]);
      say(`\n${name}: ${options.onFirst ?? 'finishing the current step'} (${name === 'SIGINT' ? 'Ctrl-C' : name} again to quit now)\n`);
      controller.abort(name);
    };
    handlers.set(name, handler);
    process.on(name, handler);
  }
  try {
    const result = await job(controller.signal);
    if (controller.signal.aborted) {
      const name = controller.signal.reason as InterruptSignal;
      process.exitCode = INTERRUPT_SIGNALS[name];
      options.onInterrupted?.(name, result);
    }
    return result;
  } finally {
    for (const [name, handler] of handlers) process.off(name, handler);
  }
}

/** stderr may be gone (SIGHUP after the terminal closed): a failed write must not end the job. */
function say(text: string): void {
  try {
    process.stderr.write(text);
  } catch {
    // nowhere to say it
  }
}

/** `text` as one shell word. */
export function shellQuote(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, "'\\''")}'`;
}
