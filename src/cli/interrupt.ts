/**
 * Ctrl-C handling for long jobs: the first SIGINT aborts the job's signal so its loop can finish the
 * current step and write a checkpoint; a second SIGINT exits at once.
 */
export async function withInterrupt<T>(job: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write('\ninterrupted: finishing the current step and writing a checkpoint (Ctrl-C again to quit now)\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  try {
    return await job(controller.signal);
  } finally {
    process.off('SIGINT', onSigint);
  }
}
