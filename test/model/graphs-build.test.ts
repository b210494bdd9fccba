/**
 * Building graphs must stay cheap for deep models: the backward graph of a 24-layer model is
 * built (forward, losses and autodiff) in well under the time a training run can spare at start.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildDecodeGraph } from '../../src/model/graphs/decode-graph.js';
import { buildTrainGraph } from '../../src/model/graphs/train-graphs.js';
import { syntheticQwen2 } from './graphs-reference.js';
import { type Graph, type Value, isStatic, numel } from '../../src/onnx/index.js';

test('differentiating a 24-layer qwen2-like model builds in under 2 s', () => {
  const model = syntheticQwen2({ num_hidden_layers: 24 });
  // CPU time of this process (the build is synchronous JS), so other processes on a busy machine do
  // not decide the result.
  const start = process.cpuUsage();
  const graph = buildTrainGraph(model, 'policy', { klPenalty: true, entropyBonus: true });
  const used = process.cpuUsage(start);
  const ms = (used.user + used.system) / 1000;
  assert.ok(ms < 2000, `built in ${ms.toFixed(0)} ms of CPU time`);
  const grads = graph.outputs.filter((o) => o.name.startsWith('grad.'));
  // embeddings + 12 tensors per layer + final norm (tied lm_head)
  assert.equal(grads.length, 1 + 24 * 12 + 1);
});

test('the decode graph of a 24-layer model has one cache input and output pair per layer', () => {
  const graph = buildDecodeGraph(syntheticQwen2({ num_hidden_layers: 24 }));
  assert.equal(graph.inputs.filter((v) => v.name.startsWith('past_key_values.')).length, 48);
  assert.equal(graph.outputs.filter((v) => v.name.startsWith('present.')).length, 48);
  assert.deepEqual(
    graph.outputs.slice(0, 2).map((v) => v.name),
    ['logits', 'last_hidden'],
  );
});

/**
 * Values that ONNX Runtime's constant folding turns into initializers, which a session keeps for
 * its whole life: initializers and Constant outputs, the Shape of a value whose shape is static,
 * and the outputs of any node whose inputs all fold.
 */
function foldedValues(graph: Graph): Value[] {
  const folded = new Set<Value>(graph.initializers.map((i) => i.value));
  for (const node of graph.nodes) {
    const inputs = node.inputs.filter((v): v is Value => v !== null);
    const folds =
      node.op === 'Constant' ||
      (node.op === 'Shape' && isStatic(inputs[0]!.shape)) ||
      (inputs.length > 0 && inputs.every((v) => folded.has(v)));
    if (folds) for (const o of node.outputs) folded.add(o);
  }
  return [...folded];
}

test('no training graph holds a constant of the embedding table size for ONNX Runtime to fold (tied and untied, every vocab formulation)', () => {
  for (const tie_word_embeddings of [true, false]) {
    const model = syntheticQwen2({ tie_word_embeddings });
    const table = model.config.vocabSize * model.config.hiddenSize;
    for (const options of [
      { vocabChunks: 0 },
      { vocabChunks: 1 },
      { vocabChunks: 4, recomputeLogits: true, entropyBonus: true, klPenalty: true },
    ]) {
      const graph = buildTrainGraph(model, 'policy', options);
      const large = foldedValues(graph).filter((v) => isStatic(v.shape) && numel(v.shape) >= table / 4);
      assert.deepEqual(
        large.map((v) => `${v.producer?.op ?? 'initializer'} ${v.name} [${v.shape.join(', ')}]`),
        [],
        `tied ${tie_word_embeddings}, ${JSON.stringify(options)}`,
      );
      // and the zeros the embedding gradient is scattered into still have the table's static shape
      const zeros = graph.nodes.filter((n) => n.op === 'ConstantOfShape').map((n) => n.outputs[0]!.shape);
      assert.ok(
        zeros.some((s) => isStatic(s) && numel(s) === table),
        `zeros of the table's size: ${JSON.stringify(zeros)}`,
      );
    }
  }
});
