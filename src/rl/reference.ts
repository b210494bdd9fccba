/**
 * The frozen reference model of the KL penalty: the initial LLM, scored once per batch with the
 * `score` graph (forward only, weights stored in the graph) at the temperatures the tokens were
 * sampled at, so the penalty compares like with like.
 */
import type * as ort from 'onnxruntime-node';
import type { JobConfig } from '../config/index.js';
import { loadCheckpoint } from '../model/checkpoint.js';
import type { Rollout } from '../rollout/types.js';
import { tokenBatch } from './batch.js';
import { batchFeeds, openTrainSession } from './token-update.js';
import { floatOutput } from '../onnx/index.js';

export class ReferenceScorer {
  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly batchSize: number,
  ) {}

  static async open(modelDir: string, job: JobConfig): Promise<ReferenceScorer> {
    const reference = loadCheckpoint(modelDir);
    const session = await openTrainSession(
      { config: reference.config, params: reference.params, dir: modelDir },
      'score',
      { trainable: 'none' },
      { executionProvider: job.model.executionProvider, threads: job.model.threads },
    );
    return new ReferenceScorer(session, job.train.miniBatchSize);
  }

  /** Per rollout: the reference log-probs of its completion tokens, log softmax(logits_ref / T)[token]. */
  async completionLogprobs(rollouts: readonly Rollout[]): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (let start = 0; start < rollouts.length; start += this.batchSize) {
      const chunk = rollouts.slice(start, start + this.batchSize);
      const batch = tokenBatch(chunk, new Float32Array(chunk.length), 'token-mean');
      const result = await this.session.run(batchFeeds(batch));
      const logprobs = floatOutput(result, 'logprobs');
      chunk.forEach((r, b) => {
        const from = b * batch.length + r.promptIds.length;
        out.push(logprobs.slice(from, from + r.tokens.length));
      });
    }
    return out;
  }
}
