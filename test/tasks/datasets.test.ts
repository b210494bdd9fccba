import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { datasetsDir } from '../helpers/paths.js';
import { getTask, tasks } from '../../src/tasks/registry.js';
import { resolveDataDir } from '../../src/tasks/data/data-dir.js';
import { TASK_NAMES } from '../../src/tasks/task.js';
import { UserError } from '../../src/util/errors.js';

const local = { dataDir: datasetsDir, download: false } as const;

function firstRawRow(file: string): Record<string, unknown> {
  const [first = ''] = readFileSync(join(datasetsDir, file), 'utf8').split('\n', 1);
  return JSON.parse(first) as Record<string, unknown>;
}

test('registry: every task name is registered, unknown names list the valid ones', () => {
  assert.deepEqual(tasks.names().sort(), [...TASK_NAMES].sort());
  assert.throws(() => getTask('gsm9k'), /unknown task "gsm9k"; valid: .*gsm8k/);
});

test('loaders: counts, unique ids, non-empty fields for every real dataset', async () => {
  const expected: Array<[string, 'train' | 'test', number, boolean]> = [
    ['gsm8k', 'train', 7473, true],
    ['gsm8k', 'test', 1319, true],
    ['math500', 'test', 500, true],
    ['aime24', 'test', 30, true],
    ['amc23', 'test', 40, false],
    ['minerva_math', 'test', 272, true],
    ['olympiadbench', 'test', 675, true],
  ];
  for (const [name, split, count, hasSolution] of expected) {
    const problems = await getTask(name).load({ ...local, split });
    assert.equal(problems.length, count, `${name}/${split}`);
    assert.equal(new Set(problems.map((p) => p.id)).size, count, `${name}: ids unique`);
    for (const p of problems) {
      assert.equal(p.task, name);
      assert.ok(p.question.trim() !== '' && p.answer.trim() !== '', `${name} ${p.id}`);
      assert.equal(p.solution !== undefined, hasSolution, `${name} ${p.id} solution`);
    }
  }
});

test('gsm8k: answer after ####, solution without calculator annotations', async () => {
  const [first] = await getTask('gsm8k').load({ ...local, limit: 1 });
  assert.ok(first);
  assert.equal(first.answer, '18');
  assert.match(first.question, /^Janet’s ducks lay 16 eggs per day/);
  assert.equal(
    first.solution,
    'Janet sells 16 - 3 - 4 = 9 duck eggs a day.\nShe makes 9 * 2 = $18 every day at the farmer’s market.\n#### 18',
  );
});

test('math500: the shipped instruction prefix is stripped from every question', async () => {
  const problems = await getTask('math500').load(local);
  const raw = firstRawRow('math500/test.jsonl');
  assert.ok(String(raw.problem).startsWith('Return your final response within \\boxed{}. '));
  assert.ok(problems.every((p) => !p.question.includes('Return your final response')));
  const [first] = problems;
  assert.ok(first);
  assert.ok(first.question.startsWith('Convert the point $(0,3)$'));
  assert.equal(first.answer, '\\left( 3, \\frac{\\pi}{2} \\right)');
  assert.equal(first.id, 'test/precalculus/807.json');
});

test('amc23 and aime24: numeric answers as text', async () => {
  const amc = await getTask('amc23').load(local);
  assert.equal(amc[0]?.answer, '27'); // 27.0 in the file
  const aime = await getTask('aime24').load(local);
  assert.equal(aime[0]?.answer, '204');
});

test('minerva_math: answer is the last \\boxed{} of the solution', async () => {
  const [first, second] = await getTask('minerva_math').load({ ...local, limit: 2 });
  assert.equal(first?.answer, '1.6');
  assert.equal(second?.answer, '4.5e33');
});

test('olympiadbench: final_answer list joined, $ removed, several answers a set; solutions joined', async () => {
  const problems = await getTask('olympiadbench').load(local);
  const byId = new Map(problems.map((p) => [p.id, p]));
  const raw = readFileSync(join(datasetsDir, 'olympiadbench/test.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as { id: number; final_answer: string[]; solution: string[] });
  const multi = raw.find((r) => r.final_answer[0] === '$\\sqrt{2}-1$,$\\frac{3-\\sqrt{2}}{7}$');
  assert.ok(multi !== undefined);
  // A multiple-answer problem: its answers may come in any order, so the gold is a set.
  assert.equal(byId.get(`olympiadbench-${multi.id}`)?.answer, '\\{\\sqrt{2}-1,\\frac{3-\\sqrt{2}}{7}\\}');
  const twoSolutions = raw.find((r) => r.solution.length === 2);
  assert.ok(twoSolutions !== undefined);
  assert.equal(byId.get(`olympiadbench-${twoSolutions.id}`)?.solution, twoSolutions.solution.join('\n\n'));
});

test('loaders: limit, missing split, malformed file', async () => {
  assert.equal((await getTask('math500').load({ ...local, limit: 3 })).length, 3);
  await assert.rejects(getTask('math500').load({ ...local, split: 'train' }), /task math500 has no train split \(it has: test\)/);
  await assert.rejects(getTask('aime24').load({ dataDir: '/nonexistent-introspect-data', download: false }), (e: unknown) => {
    return (
      e instanceof UserError &&
      e.message.includes('aime24/test.jsonl') &&
      e.message.includes('/nonexistent-introspect-data/aime24/test.jsonl') &&
      e.message.includes('https://raw.githubusercontent.com/QwenLM/Qwen2.5-Math/main/evaluation/data/aime24/test.jsonl')
    );
  });
});

test('resolveDataDir: explicit folder, then INTROSPECT_DATA_DIR, then the user cache', async () => {
  const saved = process.env.INTROSPECT_DATA_DIR;
  try {
    process.env.INTROSPECT_DATA_DIR = datasetsDir;
    assert.equal((await getTask('aime24').load({ download: false })).length, 30, 'loads from the env folder');
    process.env.INTROSPECT_DATA_DIR = '/from/env';
    assert.equal(resolveDataDir('rel/dir'), resolve('rel/dir'));
    assert.equal(resolveDataDir(), '/from/env');
    delete process.env.INTROSPECT_DATA_DIR;
    assert.equal(resolveDataDir(), join(homedir(), '.cache', 'introspect', 'datasets'));
  } finally {
    if (saved === undefined) delete process.env.INTROSPECT_DATA_DIR;
    else process.env.INTROSPECT_DATA_DIR = saved;
  }
});
