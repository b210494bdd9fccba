/** The ONNX AdamW graph on WebGPU, state on the device, against the TypeScript AdamW. */
import { test } from 'node:test';
import { webgpuSkipReason } from '../helpers/webgpu.js';
import { checkAdamWGraph } from '../rl/adamw-parity.js';

const skip = await webgpuSkipReason();

test('AdamW graph on WebGPU, parameters and moments on the device, matches the TypeScript AdamW', { skip }, () =>
  checkAdamWGraph('webgpu'),
);
