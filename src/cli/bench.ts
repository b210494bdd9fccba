/** Flags and the text report shared by `introspect bench rollout` and `introspect bench train`. */
import { Flags } from '@oclif/core';
import type { BenchResult } from '../api/bench.js';

export const benchFlags = {
  threads: Flags.integer({
    min: 0,
    default: 0,
    summary: "ONNX Runtime intra-op threads, and bench train's AdamW update's (as model.threads); 0: all cores.",
  }),
  spinning: Flags.boolean({ default: false, allowNo: true, summary: 'Let idle ONNX Runtime threads spin (as model.spinning in a job).' }),
  'memory-arena': Flags.boolean({
    allowNo: true,
    summary:
      "ONNX Runtime's CPU memory arena (as model.memoryArena in a job; unset: auto, off for the training graph of a model of 32M parameters or more; training sessions never use the memory pattern); --no-memory-arena lowers peak RSS.",
  }),
  repeats: Flags.integer({ min: 1, default: 3, summary: 'Timed runs after one warm-up; the median is reported.' }),
};

const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

export function formatBench(r: BenchResult): string {
  const lines = [
    `${r.benchmark} ${r.model} (${(r.parameters / 1e6).toFixed(1)}M parameters) ${JSON.stringify(r.settings)}`,
    `tokens/s           ${r.tokens_per_s.toFixed(1)}  (median of ${r.repeat_seconds.map((s) => s.toFixed(2)).join(', ')} s)`,
  ];
  if (r.time_to_first_token_s !== undefined) lines.push(`time to 1st token  ${r.time_to_first_token_s.toFixed(3)} s`);
  if (r.optimizer_s !== undefined) lines.push(`optimizer          ${r.optimizer_s.toFixed(2)} s a step (clipping + AdamW)`);
  lines.push(
    `graph build        ${r.graph_cached ? 'cached' : `${r.graph_build_s.toFixed(2)} s`}`,
    `session load       ${r.session_load_s.toFixed(2)} s`,
    `peak RSS           ${mb(r.peak_rss_bytes)}`,
  );
  return lines.join('\n');
}
