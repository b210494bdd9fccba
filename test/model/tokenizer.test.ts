import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { modelSchema } from '../../src/config/schema.js';
import { buildCharTokenizer, buildCharTokenizerConfig, writeTokenizerFiles } from '../../src/model/char-tokenizer.js';
import { DEFAULT_TOKENIZER_TIMEOUT_MS } from '../../src/model/chat-template.js';
import { ModelTokenizer } from '../../src/model/tokenizer.js';
import { UserError } from '../../src/util/errors.js';

const tmp = mkdtempSync(join(tmpdir(), 'introspect-tokenizer-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const arithmetic = [...'0123456789+-*/=() \n'];

// The ChatML template of the Qwen2.5 instruct models (system turn omitted).
const chatml =
  "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

test('character tokenizer: ids are the specials then the characters in order, and decode inverts encode', () => {
  const tokenizer = new ModelTokenizer(buildCharTokenizer(arithmetic), buildCharTokenizerConfig());
  assert.equal(tokenizer.vocabSize, 4 + arithmetic.length);
  assert.deepEqual(
    ['<pad>', '<bos>', '<eos>', '<unk>'].map((t) => tokenizer.tokenToId(t)),
    [0, 1, 2, 3],
  );
  // '1' is character 1 -> id 5; '+' is character 10 -> id 14; ' ' -> 4 + 17 = 21; '\n' -> 22.
  assert.deepEqual(tokenizer.encode('12 + 3\n'), [5, 6, 21, 14, 21, 7, 22]);
  for (const text of ['12+34=46', '(7 - 2) * 3 = 15\n', ' 1  2 ', '0', '8 / 2 = 4 ', '\n\n']) {
    assert.equal(tokenizer.decode(tokenizer.encode(text)), text);
  }
  // Special tokens in text are single tokens; skipSpecialTokens drops them on decode.
  // '=' is character 14 -> id 18.
  assert.deepEqual(tokenizer.encode('<bos>1=1<eos>'), [1, 5, 18, 5, 2]);
  assert.equal(tokenizer.decode([1, 5, 18, 5, 2], { skipSpecialTokens: true }), '1=1');
  assert.equal(tokenizer.decode([1, 5, 2]), '<bos>1<eos>');
  // Unknown characters become <unk>; ids beyond the vocabulary decode to nothing.
  assert.deepEqual(tokenizer.encode('1x2'), [5, 3, 6]);
  assert.equal(tokenizer.decode([5, 1000, 6]), '12');
  assert.equal(tokenizer.decode([]), '');
  assert.deepEqual(
    [tokenizer.specialTokenId('bos_token'), tokenizer.specialTokenId('eos_token'), tokenizer.specialTokenId('pad_token')],
    [1, 2, 0],
  );
});

test('character tokenizer rejects multi-character and duplicate entries', () => {
  assert.throws(() => buildCharTokenizer(['1', 'ab']), /not a single character/);
  assert.throws(() => buildCharTokenizer(['1', '1']), /appears twice/);
  assert.throws(() => buildCharTokenizer(['<pad>']), /not a single character/);
  // A character outside the BMP is one code point (two UTF-16 units) and is accepted.
  const emoji = new ModelTokenizer(buildCharTokenizer(['😀', 'a']), buildCharTokenizerConfig());
  assert.deepEqual(emoji.encode('a😀'), [5, 4]);
});

test('tokenizer files written to a folder load again, with the chat template rendered and encoded', () => {
  const dir = join(tmp, 'char');
  const template = "{{ bos_token }}{% for m in messages %}{{ m['content'] }}{% endfor %}{% if add_generation_prompt %}={% endif %}";
  writeTokenizerFiles(dir, buildCharTokenizer([...'0123456789+=']), buildCharTokenizerConfig({ chatTemplate: template }));
  const tokenizer = ModelTokenizer.load(dir);
  const messages = [{ role: 'user', content: '12+3' }];
  assert.equal(tokenizer.applyChatTemplate(messages, { addGenerationPrompt: true }), '<bos>12+3=');
  assert.equal(tokenizer.applyChatTemplate(messages), '<bos>12+3');
  // '<bos>' 1, '1' 5, '2' 6, '+' 14, '3' 7, '=' 15
  assert.deepEqual(tokenizer.encodeChat(messages, { addGenerationPrompt: true }), [1, 5, 6, 14, 7, 15]);
});

test('ChatML template renders as transformers does, and chat_template.jinja takes precedence', () => {
  const specials = ['<|endoftext|>', '<|im_start|>', '<|im_end|>'];
  const tokenizerJson = buildCharTokenizer([...'abcdefghijklmnopqrstuvwxyz \n']);
  tokenizerJson.added_tokens.push(
    ...specials.map((content, i) => ({
      id: 32 + i,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
  );
  specials.forEach((content, i) => (tokenizerJson.model.vocab[content] = 32 + i));
  const dir = join(tmp, 'chatml');
  writeTokenizerFiles(dir, tokenizerJson, { ...buildCharTokenizerConfig({ chatTemplate: 'IGNORED' }), eos_token: '<|im_end|>' });
  writeFileSync(join(dir, 'chat_template.jinja'), chatml);
  const tokenizer = ModelTokenizer.load(dir);
  const messages = [
    { role: 'user', content: 'hi' },
    { role: 'assistant', content: 'yo' },
    { role: 'user', content: 'add' },
  ];
  const expected =
    '<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\nyo<|im_end|>\n<|im_start|>user\nadd<|im_end|>\n<|im_start|>assistant\n';
  assert.equal(tokenizer.applyChatTemplate(messages, { addGenerationPrompt: true }), expected);
  assert.equal(tokenizer.specialTokenId('eos_token'), 34);
  const ids = tokenizer.encodeChat(messages.slice(0, 1));
  assert.deepEqual(ids, [33, ...'user\nhi'.split('').map((c) => tokenizer.tokenToId(c)!), 34, tokenizer.tokenToId('\n')!]);
  assert.equal(tokenizer.decode(ids), '<|im_start|>user\nhi<|im_end|>\n');
});

test('templates can read extra variables and raise_exception becomes an error', () => {
  const template =
    "{% if messages[0]['role'] != 'user' %}{{ raise_exception('first message must be from the user') }}{% endif %}" +
    "{{ messages[0]['content'] }}{% if enable_thinking is defined and enable_thinking is false %}<no-think>{% endif %}";
  const tokenizer = new ModelTokenizer(buildCharTokenizer([...'ab']), { ...buildCharTokenizerConfig(), chat_template: template });
  assert.equal(tokenizer.applyChatTemplate([{ role: 'user', content: 'ab' }], { extra: { enable_thinking: false } }), 'ab<no-think>');
  assert.equal(tokenizer.applyChatTemplate([{ role: 'user', content: 'ab' }]), 'ab');
  assert.throws(() => tokenizer.applyChatTemplate([{ role: 'system', content: 'x' }]), /first message must be from the user/);
});

test('addSpecialTokens runs the post-processor; encodeChat does not add BOS twice', () => {
  const tokenizerJson = {
    ...buildCharTokenizer([...'ab']),
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '<bos>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [{ Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }],
      special_tokens: { '<bos>': { id: '<bos>', ids: [1], tokens: ['<bos>'] } },
    },
  };
  const tokenizer = new ModelTokenizer(tokenizerJson, {
    ...buildCharTokenizerConfig(),
    chat_template: '{{ bos_token }}{{ messages[0].content }}',
  });
  assert.deepEqual(tokenizer.encode('ab'), [1, 4, 5]);
  assert.deepEqual(tokenizer.encode('ab', { addSpecialTokens: false }), [4, 5]);
  assert.deepEqual(tokenizer.encodeChat([{ role: 'user', content: 'ba' }]), [1, 5, 4]);
});

test('missing files and templates fail with one-line user errors', () => {
  assert.throws(
    () => ModelTokenizer.load(join(tmp, 'nowhere')),
    (e: unknown) => e instanceof UserError && /has no tokenizer\.json/.test(e.message),
  );
  const tokenizer = new ModelTokenizer(buildCharTokenizer(['a']), buildCharTokenizerConfig());
  assert.throws(
    () => tokenizer.applyChatTemplate([{ role: 'user', content: 'a' }]),
    (e: unknown) => e instanceof UserError && /no chat template/.test(e.message),
  );
  assert.throws(
    () => new ModelTokenizer({ ...buildCharTokenizer(['a']), model: { type: 'Nope' } }, {}),
    (e: unknown) => e instanceof UserError && /cannot load tokenizer/.test(e.message),
  );
});

test('a tokenizer with a Regex pattern of its own encodes and decodes as without one, bounded, one text or a batch', () => {
  // Split on runs of digits and isolate them: the char tokenizer's ids do not change (every
  // character is its own token either way), but encoding now runs under the time bound.
  const base = buildCharTokenizer(arithmetic);
  const split = { type: 'Split', pattern: { Regex: '\\d+' }, behavior: 'Isolated', invert: false };
  const replace = { type: 'Replace', pattern: { Regex: 'x+' }, content: '' };
  const plain = new ModelTokenizer(base, buildCharTokenizerConfig());
  const bounded = new ModelTokenizer(
    { ...base, pre_tokenizer: split, decoder: { type: 'Sequence', decoders: [replace, { type: 'Fuse' }] } },
    buildCharTokenizerConfig(),
    { timeoutMs: 1000 },
  );
  const texts = ['12 + 3\n', '(7 - 2) * 3 = 15\n', ' 1  2 ', '', '<bos>1=1<eos>', '9'.repeat(5000)];
  assert.deepEqual(bounded.encode('12 + 3\n'), [5, 6, 21, 14, 21, 7, 22]);
  assert.deepEqual(
    bounded.encodeMany(texts),
    texts.map((t) => plain.encode(t)),
  );
  assert.deepEqual(
    bounded.encodeMany(texts, { addSpecialTokens: false }),
    texts.map((t) => plain.encode(t, { addSpecialTokens: false })),
  );
  for (const t of texts) assert.equal(bounded.decode(bounded.encode(t)), plain.decode(plain.encode(t)));
});

test('a decoder regex that backtracks catastrophically is stopped at the limit with one line', () => {
  // The Replace decoder runs within each token, so the long text is one token: an added token.
  const base = buildCharTokenizer([...'abc#']);
  const added = (id: number, content: string) => ({
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: false,
  });
  const json = {
    ...base,
    added_tokens: [...base.added_tokens, added(8, 'ab#'), added(9, 'a'.repeat(40))],
    decoder: { type: 'Sequence', decoders: [{ type: 'Replace', pattern: { Regex: '(.+)+#' }, content: '' }, { type: 'Fuse' }] },
  };
  const tokenizer = new ModelTokenizer(json, buildCharTokenizerConfig(), { source: 'model/tokenizer.json', timeoutMs: 300 });
  assert.equal(tokenizer.decode([8, 6]), 'c', 'the Replace decoder runs (on ab#, a match)');
  const t0 = Date.now();
  // On 40 characters without '#' the pattern tries 2^40 ways.
  assert.throws(
    () => tokenizer.decode([9]),
    (e: unknown) =>
      e instanceof UserError &&
      /^tokenizer model\/tokenizer\.json took longer than 300 ms \(model\.tokenizerTimeoutMs\) to decode 1 tokens: /.test(e.message),
  );
  assert.ok(Date.now() - t0 < 5000, `stopped after ${Date.now() - t0} ms`);
});

test('model.tokenizerTimeoutMs is optional (jobs that leave it out keep their fingerprint) and its text names the default used', () => {
  const field = modelSchema.shape.tokenizerTimeoutMs;
  assert.equal(field.parse(undefined), undefined);
  assert.match(field.description ?? '', new RegExp(`Default ${DEFAULT_TOKENIZER_TIMEOUT_MS}:`));
});
