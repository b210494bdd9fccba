/**
 * introspect's ONNX layer: a graph IR, a numpy-like builder, reverse-mode autodiff that emits
 * standard ONNX operators, serialisation to ONNX ModelProto, and onnxruntime-node sessions.
 * See README.md in this folder.
 */
export * from './ir.js';
export * from './opset.js';
export * from './builder.js';
export { eliminateDeadNodes } from './passes.js';
export { grad, type GradOptions } from './autodiff.js';
export { gradientRules, type GradientRule, type GradientContext } from './gradients.js';
export { toModelBytes, fromModelBytes, saveModel, loadModel, type ModelOptions, type SaveOptions } from './serialize.js';
export { unbroadcast } from './grad-utils.js';
export {
  configureSessions,
  createSession,
  floatOutput,
  outputTensor,
  scalarOutput,
  sessionDefaults,
  toOrtTensor,
  fromOrtTensor,
  type SessionDefaults,
  type SessionOptions,
  type SessionOutputs,
} from './session.js';
export { DeviceTransfer, onDevice, reshapeDevice, tensorBytes, type TransferCounters } from './device.js';
export { EXECUTION_PROVIDERS, type ExecutionProviderName } from './execution-providers.js';
