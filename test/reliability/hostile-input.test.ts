// Hostile or mistaken input gets one clear line, within bounded time and memory, and never
// echoes the content of a file it was pointed at.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadJobFile, validateJob } from '../../src/config/index.js';
import { MAX_YAML_ALIASES } from '../../src/config/load.js';
import { renderChatTemplate } from '../../src/model/chat-template.js';
import { readModelConfig } from '../../src/model/config.js';
import { resolveModelDir } from '../../src/model/hub.js';
import { openPolicyModel } from '../../src/rollout/runtime.js';
import { writeTinyCharModel } from '../eval/tiny-char-model.js';
import { newDir } from './helpers.js';

test('a YAML alias bomb is refused with one line', () => {
  const dir = newDir();
  const lines = ['a: &a [x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < 9; i++) lines.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(', ')}]`);
  writeFileSync(join(dir, 'bomb.yaml'), `${lines.join('\n')}\n`);
  assert.throws(() => loadJobFile(join(dir, 'bomb.yaml')), { name: 'JobConfigError', message: new RegExp(`bomb\\.yaml: too many YAML alias expansions \\(limit ${MAX_YAML_ALIASES}\\)`) });
});

test('counts that size memory have bounds: k, groupSize', () => {
  const check = (overrides: string[], message: RegExp) => assert.throws(() => validateJob({}, { source: 'flags', baseDir: process.cwd(), overrides }), message);
  check(['eval.k=1000000000'], /eval\.k: .*(<=|at most|too big).*1024/i);
  check(['train.groupSize=100000'], /train\.groupSize: .*1024/);
  check(['rollout.maxNewTokens=1e9'], /rollout\.maxNewTokens: .*65536/);
});

test('a prompt that with maxNewTokens exceeds the model\'s positions is an error, or cut when truncatePrompts is set', async () => {
  const model = await openPolicyModel({ modelDir: writeTinyCharModel({ seed: 3 }) });
  try {
    const positions = model.config.maxPositionEmbeddings;
    const question = '1+1='.repeat(positions); // 4x the positions in characters
    const options = { plainPrompt: (q: string) => q, maxNewTokens: 16 };
    assert.throws(() => model.encodePrompt(question, options), new RegExp(`does not fit the model's ${positions} positions .*rollout\\.truncatePrompts: true`));
    const cut = model.encodePrompt(question, { ...options, truncate: true });
    assert.equal(cut.length, positions - 16);
    assert.deepEqual(cut, model.encodePrompt(question.slice(-(positions - 16)), { ...options, truncate: true }), 'the end of the prompt is kept');
    // 100 KB of question is refused before it is tokenized
    assert.throws(() => model.encodePrompt('9'.repeat(100_000), options), /a prompt of 100000 characters plus rollout\.maxNewTokens 16/);
    assert.throws(() => model.encodePrompt('1', { ...options, maxNewTokens: positions }), /leaves no room for a prompt/);
  } finally {
    await model.dispose();
  }
});

test('chat templates are bounded in range length and time', () => {
  assert.equal(renderChatTemplate('{% for i in range(3) %}{{ i }}{% endfor %}|{% for i in range(1, 7, 2) %}{{ i }}{% endfor %}', {}), '012|135');
  let t0 = Date.now();
  assert.throws(() => renderChatTemplate('{% for i in range(100000000) %}x{% endfor %}', {}), /builds a range of 100000000 numbers \(limit 100000\)/);
  assert.ok(Date.now() - t0 < 1000);
  t0 = Date.now();
  assert.throws(() => renderChatTemplate('{% for i in range(100000) %}{% for j in range(100000) %}{{ j }}{% endfor %}{% endfor %}', {}), /took longer than 2000 ms/);
  assert.ok(Date.now() - t0 < 10_000, `stopped after ${Date.now() - t0} ms`);
});

test('errors about unreadable JSON name the file, never its content (a config.json linked to another file)', () => {
  const dir = newDir();
  writeFileSync(join(dir, 'secret.txt'), 'root:SECRET-TOKEN-1234:0:0\n');
  symlinkSync(join(dir, 'secret.txt'), join(dir, 'config.json'));
  assert.throws(() => readModelConfig(dir), (error: Error) => {
    assert.match(error.message, new RegExp(`cannot read ${dir}/config\\.json: not valid JSON`));
    assert.doesNotMatch(error.message, /SECRET|root/);
    return true;
  });
});

test('only org/name-shaped strings are Hub ids: a missing local folder is an error, not a download', async () => {
  const base = newDir();
  mkdirSync(join(base, 'models'));
  const job = validateJob({ model: { path: 'models/qwen-typo' } }, { source: 'job.yaml', baseDir: base });
  assert.equal(job.model.path, join(base, 'models', 'qwen-typo'), 'resolved as a path beside the job file');
  const noDownload = (() => {
    throw new Error('no download expected');
  }) as unknown as typeof fetch;
  await assert.rejects(resolveModelDir(job.model.path!, { fetch: noDownload }), /model folder .*qwen-typo does not exist/);
  const hub = validateJob({ model: { path: 'Qwen/Qwen2.5-0.5B' } }, { source: 'job.yaml', baseDir: base });
  assert.equal(hub.model.path, 'Qwen/Qwen2.5-0.5B', 'an id with no such folder beside the job stays an id');
});
