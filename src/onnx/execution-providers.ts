/**
 * The ONNX Runtime execution providers introspect runs on: the job's `model.executionProvider`,
 * `generate --execution-provider` and what `doctor` checks. A module of its own, without imports, so
 * the job schema can name them without loading onnxruntime.
 */
export const EXECUTION_PROVIDERS = ['cpu', 'cuda', 'webgpu'] as const;
export type ExecutionProviderName = (typeof EXECUTION_PROVIDERS)[number];
