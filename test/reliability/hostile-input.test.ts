// Hostile or mistaken input gets one clear line, within bounded time and memory, and never
// echoes the content of a file it was pointed at.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadJobFile, validateJob } from '../../src/config/index.js';
import { MAX_YAML_ALIASES } from '../../src/config/load.js';
import { buildCharTokenizer, buildCharTokenizerConfig } from '../../src/model/char-tokenizer.js';
import { renderChatTemplate } from '../../src/model/chat-template.js';
import { readModelConfig } from '../../src/model/config.js';
import { resolveModelDir } from '../../src/model/hub.js';
import { ModelTokenizer } from '../../src/model/tokenizer.js';
import { openPolicyModel } from '../../src/rollout/runtime.js';
import { writeTinyCharModel } from '../eval/tiny-char-model.js';
import { at, last } from '../../src/util/must.js';
import { newDir, startCli, tinyJobFile, told, type Finished } from './helpers.js';

test('a YAML alias bomb is refused with one line', () => {
  const dir = newDir();
  const lines = ['a: &a [x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < 9; i++)
    lines.push(
      `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9)
        .fill(`*${String.fromCharCode(96 + i)}`)
        .join(', ')}]`,
    );
  writeFileSync(join(dir, 'bomb.yaml'), `${lines.join('\n')}\n`);
  assert.throws(() => loadJobFile(join(dir, 'bomb.yaml')), {
    name: 'JobConfigError',
    message: new RegExp(`bomb\\.yaml: too many YAML alias expansions \\(limit ${MAX_YAML_ALIASES}\\)`),
  });
});

test('counts that size memory have bounds: k, groupSize', () => {
  const check = (overrides: string[], message: RegExp) =>
    assert.throws(() => validateJob({}, { source: 'flags', baseDir: process.cwd(), overrides }), message);
  check(['eval.k=1000000000'], /eval\.k: .*(<=|at most|too big).*1024/i);
  check(['train.groupSize=100000'], /train\.groupSize: .*1024/);
  check(['rollout.maxNewTokens=1e9'], /rollout\.maxNewTokens: .*65536/);
});

test("a prompt that with maxNewTokens exceeds the model's positions is an error, or cut when truncatePrompts is set", async () => {
  const model = await openPolicyModel({ modelDir: writeTinyCharModel({ seed: 3 }) });
  try {
    const positions = model.config.maxPositionEmbeddings;
    const question = '1+1='.repeat(positions); // 4x the positions in characters
    const options = { plainPrompt: (q: string) => q, maxNewTokens: 16 };
    assert.throws(
      () => model.encodePrompt(question, options),
      new RegExp(`does not fit the model's ${positions} positions .*rollout\\.truncatePrompts: true`),
    );
    const cut = model.encodePrompt(question, { ...options, truncate: true });
    assert.equal(cut.length, positions - 16);
    assert.deepEqual(
      cut,
      model.encodePrompt(question.slice(-(positions - 16)), { ...options, truncate: true }),
      'the end of the prompt is kept',
    );
    // 100 KB of question is refused before it is tokenized
    assert.throws(() => model.encodePrompt('9'.repeat(100_000), options), /a prompt of 100000 characters plus rollout\.maxNewTokens 16/);
    assert.throws(() => model.encodePrompt('1', { ...options, maxNewTokens: positions }), /leaves no room for a prompt/);
  } finally {
    await model.dispose();
  }
});

test('chat templates are bounded in range length and time', () => {
  assert.equal(
    renderChatTemplate('{% for i in range(3) %}{{ i }}{% endfor %}|{% for i in range(1, 7, 2) %}{{ i }}{% endfor %}', {}),
    '012|135',
  );
  let t0 = Date.now();
  assert.throws(
    () => renderChatTemplate('{% for i in range(100000000) %}x{% endfor %}', {}),
    /builds a range of 100000000 numbers \(limit 100000\)/,
  );
  assert.ok(Date.now() - t0 < 1000);
  const nested = '{% for i in range(100000) %}{% for j in range(100000) %}{{ j }}{% endfor %}{% endfor %}';
  t0 = Date.now();
  assert.throws(
    () => renderChatTemplate(nested, {}, { timeoutMs: 500 }),
    /^UserError: the chat template took longer than 500 ms \(model\.tokenizerTimeoutMs\); it is not used$/,
  );
  assert.ok(Date.now() - t0 < 5000, `stopped after ${Date.now() - t0} ms`);
  // The same bound through a model's tokenizer, from the job's setting.
  const tokenizer = new ModelTokenizer(
    buildCharTokenizer(['a']),
    { ...buildCharTokenizerConfig(), chat_template: nested },
    { timeoutMs: 300 },
  );
  assert.throws(() => tokenizer.applyChatTemplate([{ role: 'user', content: 'a' }]), /took longer than 300 ms/);
});

/**
 * A tiny model whose tokenizer.json pre-tokenizer splits on `(.+)+#`: on a line without `#` the
 * regex tries 2^length ways (40 characters: hours), so every real prompt hangs it unbounded.
 */
function redosModel(): string {
  const dir = writeTinyCharModel({ seed: 3 });
  const path = join(dir, 'tokenizer.json');
  const json = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  writeFileSync(
    path,
    JSON.stringify({ ...json, pre_tokenizer: { type: 'Split', pattern: { Regex: '(.+)+#' }, behavior: 'Isolated', invert: false } }),
  );
  return dir;
}

/** The CLI's result, or a failure (the child killed) if it has not exited in `limitMs`: a hang fails the test. */
async function finishesWithin(args: string[], limitMs: number): Promise<Finished & { ms: number }> {
  const t0 = Date.now();
  const started = startCli(args);
  const timer = setTimeout(() => started.child.kill('SIGKILL'), limitMs);
  const result = await started.done;
  clearTimeout(timer);
  assert.equal(result.signal, null, `still running after ${limitMs} ms (killed):\n${result.stderr}`);
  return { ...result, ms: Date.now() - t0 };
}

test(
  'a tokenizer.json regex that backtracks catastrophically: one line naming the file and the limit, not a hang',
  { timeout: 240_000 },
  async () => {
    const model = redosModel();
    // The prompt of `generate`: one text.
    const generated = await finishesWithin(
      ['generate', model, '--prompt', 'What is 12 plus 30? Answer with a number.', '--tokenizer-timeout', '500'],
      60_000,
    );
    assert.equal(generated.code, 1, generated.stderr);
    const expected = new RegExp(
      `^Error: tokenizer ${model}/tokenizer\\.json took longer than 500 ms \\(model\\.tokenizerTimeoutMs\\) to encode a text of \\d+ characters: a regex of its own .* it is not used$`,
    );
    assert.equal(told(generated.stderr).length, 1, generated.stderr);
    assert.match(at(told(generated.stderr), 0, 'told'), expected);
    // A dataset's prompts, encoded as a batch by the trainer, with the limit from the job.
    const out = join(newDir(), 'run');
    const trained = await finishesWithin(
      ['train', tinyJobFile(), '--set', `model.path=${model}`, '--set', 'model.tokenizerTimeoutMs=500', '--out', out],
      180_000,
    );
    assert.equal(trained.code, 1, trained.stderr);
    assert.deepEqual(told(trained.stderr).slice(0, -1), [`run folder: ${out}`], trained.stderr);
    assert.match(last(told(trained.stderr), 'told'), expected);
  },
);

test('errors about unreadable JSON name the file, never its content (a config.json linked to another file)', () => {
  const dir = newDir();
  writeFileSync(join(dir, 'secret.txt'), 'root:SECRET-TOKEN-1234:0:0\n');
  symlinkSync(join(dir, 'secret.txt'), join(dir, 'config.json'));
  assert.throws(
    () => readModelConfig(dir),
    (error: Error) => {
      assert.match(error.message, new RegExp(`cannot read ${dir}/config\\.json: not valid JSON`));
      assert.doesNotMatch(error.message, /SECRET|root/);
      return true;
    },
  );
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
