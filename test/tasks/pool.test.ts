import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gradeRecords, type GradeRecord } from '../../src/tasks/verifier/grade.js';
import { GradingPool } from '../../src/tasks/verifier/pool.js';

test('GradingPool: the same verdicts as grading in this thread, in input order', async () => {
  const records: GradeRecord[] = [];
  for (let i = 0; i < 30; i++) {
    records.push({ response: `so \\boxed{${i}}`, answer: String(i) });
    records.push({ response: `so \\boxed{${i + 1}}`, answer: String(i) });
  }
  records.push({ response: '\\boxed{\\sqrt{12}}', answer: '2\\sqrt{3}' }); // reaches the CAS
  records.push({ response: 'no answer here', answer: '1' });
  const pool = new GradingPool(2);
  try {
    const pooled = await pool.grade(records, { fallback: 'none' });
    assert.deepEqual(pooled, gradeRecords(records, { fallback: 'none' }).verdicts);
    assert.deepEqual(await pool.grade([]), []);
  } finally {
    await pool.close();
  }
});
