/** The ONNX AdamW graph (the optimiser of the GPU path) against the TypeScript AdamW, on CPU. */
import { test } from 'node:test';
import { checkAdamWGraph } from './adamw-parity.js';

test('AdamW graph on CPU matches the TypeScript AdamW step for step (clipping, decay filter, lr schedule, skipped NaN step)', () =>
  checkAdamWGraph('cpu'));
