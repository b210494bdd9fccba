/**
 * Memory a training job needs, estimated from the model config and the job before anything is
 * loaded, so a run that cannot fit stops with one line instead of failing an hour in. Everything
 * is float32 (4 bytes per value), as the graphs are.
 *
 * What is counted, where P is every parameter and P_t the trainable ones:
 * - weights: P. The decode graph takes trainable weights as inputs and bakes the frozen ones in,
 *   and so does the policy graph, so frozen weights exist twice; the KL reference bakes all of P
 *   once more. On the GPU path all of that is device memory, and the host keeps one copy of P
 *   (the checkpoint's arrays, written back for checkpoints).
 * - gradients: P_t on the device; 2 P_t on the host, where onnxruntime-node copies the graph's
 *   outputs into JavaScript buffers before it frees its own; AdamW moments: 2 P_t (on the device
 *   on the GPU path, else on the host).
 * - KV cache: 2 (key, value) x layers x kvHeads x headDim per token, for rollout.batchSize rows of
 *   (longest prompt + maxNewTokens) tokens; the device cache holds the old and the concatenated
 *   new cache during a step (x2).
 * - training activations of one mini-batch of miniBatchSize x T tokens: per layer and token about
 *   16 H + 6 I values kept for the backward pass plus the attention probabilities (heads x T), and
 *   three [T, V] tensors (logits, log-softmax, their gradient) per sequence.
 * The activation term is an estimate (ONNX Runtime's planner reuses buffers); the rest is exact
 * up to allocator overhead.
 */
import type { ModelConfig } from '../model/config.js';
import { expectedParameters } from '../model/parameters.js';

const F32 = 4;
const GiB = 2 ** 30;

export interface MemoryPlanInput {
  config: ModelConfig;
  /** names of the trainable parameters */
  trainable: readonly string[];
  /** true when the weights and optimiser state live on the device (the GPU path) */
  onDevice: boolean;
  /** rows decoded together */
  rolloutBatch: number;
  /** tokens per sequence: the longest prompt plus maxNewTokens */
  sequenceLength: number;
  miniBatchSize: number;
  /** the KL penalty's frozen reference model is loaded */
  klReference: boolean;
}

export interface MemoryPlan {
  /** bytes per item */
  items: { name: string; bytes: number; where: 'device' | 'host' }[];
  deviceBytes: number;
  hostBytes: number;
}

export function planMemory(input: MemoryPlanInput): MemoryPlan {
  const { config: c } = input;
  const params = expectedParameters(c);
  const total = params.reduce((s, p) => s + p.dims.reduce((a, b) => a * b, 1), 0);
  const trainableSet = new Set(input.trainable);
  const trained = params.filter((p) => trainableSet.has(p.name)).reduce((s, p) => s + p.dims.reduce((a, b) => a * b, 1), 0);
  const frozen = total - trained;
  const compute: 'device' | 'host' = input.onDevice ? 'device' : 'host';
  const T = input.sequenceLength;
  const kvPerToken = 2 * c.numLayers * c.numKvHeads * c.headDim;
  const perLayerToken = 16 * c.hiddenSize + 6 * c.intermediateSize + c.numHeads * T;
  const items: MemoryPlan['items'] = [
    { name: 'weights (graphs and fed inputs)', bytes: F32 * (total + (trained > 0 ? frozen : 0)), where: compute },
    { name: 'gradients', bytes: F32 * trained * (input.onDevice ? 1 : 2), where: compute },
    { name: 'AdamW moments', bytes: 2 * F32 * trained, where: compute },
    { name: 'KV cache', bytes: F32 * kvPerToken * input.rolloutBatch * T * (input.onDevice ? 2 : 1), where: compute },
    {
      name: 'training activations',
      bytes: trained > 0 ? F32 * input.miniBatchSize * T * (c.numLayers * perLayerToken + 3 * c.vocabSize) : 0,
      where: compute,
    },
  ];
  if (input.klReference) items.push({ name: 'KL reference weights', bytes: F32 * total, where: compute });
  if (input.onDevice) items.push({ name: 'host copy of the weights (checkpoints)', bytes: F32 * total, where: 'host' });
  const sum = (where: 'device' | 'host') => items.filter((i) => i.where === where).reduce((s, i) => s + i.bytes, 0);
  return { items, deviceBytes: sum('device'), hostBytes: sum('host') };
}

export const formatGiB = (bytes: number): string => `${(bytes / GiB).toFixed(bytes < GiB ? 2 : 1)} GiB`;

/** The plan as a few lines of text. */
export function describePlan(plan: MemoryPlan): string {
  const lines = plan.items.filter((i) => i.bytes > 0).map((i) => `  ${i.name.padEnd(40)} ${formatGiB(i.bytes).padStart(10)}  ${i.where}`);
  const totals = [`host ${formatGiB(plan.hostBytes)}`, ...(plan.deviceBytes > 0 ? [`device ${formatGiB(plan.deviceBytes)}`] : [])];
  return [`memory estimate: ${totals.join(', ')}`, ...lines].join('\n');
}

/**
 * Why the plan does not fit, in one line, or null when it does. `deviceBytes` is the GPU's memory
 * when known (the job's model.deviceMemoryGiB); host memory is the machine's.
 */
export function planDoesNotFit(plan: MemoryPlan, limits: { hostBytes: number; deviceBytes?: number }): string | null {
  if (limits.deviceBytes !== undefined && plan.deviceBytes > limits.deviceBytes) {
    return `the job needs about ${formatGiB(plan.deviceBytes)} of device memory but model.deviceMemoryGiB is ${formatGiB(limits.deviceBytes)}: train fewer layers (model.trainable), or lower rollout.batchSize, rollout.maxNewTokens or train.miniBatchSize`;
  }
  if (plan.hostBytes > limits.hostBytes) {
    return `the job needs about ${formatGiB(plan.hostBytes)} of host memory but this machine has ${formatGiB(limits.hostBytes)}: train fewer layers (model.trainable), or lower rollout.batchSize, rollout.maxNewTokens or train.miniBatchSize`;
  }
  return null;
}
