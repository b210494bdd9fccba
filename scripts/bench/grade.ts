/**
 * Grading throughput (`npm run bench:grade`): the verifier on the gold solutions of math500 and
 * gsm8k (every reference solution against its own answer), in this thread (gradeRecords) and on
 * the grading pool (gradeBatch), interleaved and repeated so the ratio survives a noisy machine.
 * Options: --data <datasets folder> (default INTROSPECT_DATA_DIR or ../shared/datasets),
 * --workers <pool threads> (default: cores - 1), --repeats <n>.
 */
import { resolve } from 'node:path';
import { getTask } from '../../src/tasks/registry.js';
import { defaultPoolSize, GradingPool } from '../../src/tasks/verifier/pool.js';
import { gradeRecords, type GradeRecord } from '../../src/tasks/verifier/grade.js';
import { parseArgs } from './common.js';

const args = parseArgs({ data: process.env.INTROSPECT_DATA_DIR ?? resolve('../shared/datasets'), workers: defaultPoolSize(), repeats: 3 });

async function records(task: 'math500' | 'gsm8k'): Promise<GradeRecord[]> {
  const problems = await getTask(task).load({ split: 'test', dataDir: args.data, download: false });
  return problems.map((p) => ({ response: p.solution ?? '', answer: p.answer }));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const pool = new GradingPool(args.workers);
const lines: string[] = [];
for (const task of ['math500', 'gsm8k'] as const) {
  const batch = await records(task);
  const options = getTask(task).verifier;
  gradeRecords(batch.slice(0, 20), options); // start this thread's CAS worker outside the timing
  await pool.grade(batch.slice(0, 4 * args.workers), options); // and the pool's threads
  const serial: number[] = [];
  const pooled: number[] = [];
  let correct = 0;
  for (let r = 0; r < args.repeats; r++) {
    let t = performance.now();
    const verdicts = gradeRecords(batch, options).verdicts;
    serial.push(batch.length / ((performance.now() - t) / 1000));
    t = performance.now();
    const fromPool = await pool.grade(batch, options);
    pooled.push(batch.length / ((performance.now() - t) / 1000));
    correct = verdicts.filter((v) => v.correct).length;
    if (fromPool.some((v, i) => v.correct !== verdicts[i]!.correct)) throw new Error(`${task}: the pool disagrees with serial grading`);
  }
  lines.push(
    `${task}: ${batch.length} gold solutions, ${correct} graded correct; ` +
      `1 thread ${median(serial).toFixed(0)} responses/s, pool of ${args.workers} ${median(pooled).toFixed(0)} responses/s ` +
      `(x${(median(pooled) / median(serial)).toFixed(2)}; medians of ${args.repeats}, interleaved)`,
  );
}
await pool.close();
console.log(lines.join('\n'));
