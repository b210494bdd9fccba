/** The temperature head a job describes: the one place a run config's `head` section becomes a head. */
import type { JobConfig } from '../../config/index.js';
import type { SessionOptions } from '../../onnx/index.js';
import { UserError } from '../../util/errors.js';
import { TemperatureHead } from './head.js';

/**
 * The head's sessions run where the LLM's do (`model.executionProvider`), so on a device its
 * inference reads the decode step's hidden states in place; threads, spinning and the arena come
 * from the one process-wide session policy (api/sessions.ts, `configureSessions`).
 */
export function headSessionOptions(job: { model: Pick<JobConfig['model'], 'executionProvider'> }): SessionOptions {
  const ep = job.model.executionProvider;
  return { executionProviders: ep === 'cpu' ? ['cpu'] : [ep, 'cpu'] };
}

/**
 * The temperature head of a job: the trained one at `job.head.path`, else a fresh head from the
 * `head` section seeded with `job.run.seed`.
 * @param hiddenSize the model's hidden size (the head's input width)
 */
export function openTemperatureHead(job: Pick<JobConfig, 'head' | 'run' | 'model'>, hiddenSize: number): TemperatureHead {
  const options = headSessionOptions(job);
  if (job.head.path !== undefined) {
    const head = TemperatureHead.load(job.head.path, options);
    if (head.config.inputSize !== hiddenSize) {
      throw new UserError(
        `temperature head ${job.head.path} reads hidden states of width ${head.config.inputSize}, but the model's are ${hiddenSize}`,
      );
    }
    return head;
  }
  return TemperatureHead.create(
    {
      kind: job.head.kind,
      grid: job.head.grid,
      hiddenSize: job.head.hiddenSize,
      initTemperature: job.head.initTemperature,
      initSpread: job.head.initSpread,
      inputSize: hiddenSize,
      seed: job.run.seed,
    },
    options,
  );
}
