// Every gradient rule against central finite differences (float64, ONNX Runtime CPU), table-driven:
// see gradcheck-rows.ts for the rows and the reasons where a row deviates from float64 / 1e-6.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gradientRules } from '../../src/onnx/index.js';
import { checkInferredShapes, gradCheck } from './helpers.js';
import { gradRows } from './gradcheck-rows.js';

for (const row of gradRows) {
  test(`gradient of ${row.op}: ${row.case}`, async () => {
    const { errors, gradGraph, feeds } = await gradCheck(row);
    const tol = row.tol ?? 1e-6;
    for (const [name, err] of Object.entries(errors)) {
      assert.ok(err <= tol, `d loss / d ${name}: relative error ${err.toExponential(2)} > ${tol}${row.reason ? ` (${row.reason})` : ''}`);
    }
    // The builder's inferred shapes of every forward and backward value match ORT's.
    await checkInferredShapes(gradGraph, feeds);
  });
}

test('every op with a gradient rule has a finite-difference row', () => {
  const covered = new Set(gradRows.flatMap((r) => r.op.split('/')));
  // Ops whose rule says "no gradient" are covered by rows that route a value through them.
  const missing = Object.keys(gradientRules).filter(
    (op) =>
      !covered.has(op) &&
      !['Size', 'NonZero', 'ArgMax', 'ArgMin', 'Ceil', 'Round', 'Or', 'Xor', 'Greater', 'LessOrEqual', 'GreaterOrEqual'].includes(op),
  );
  assert.deepEqual(missing, []);
});
