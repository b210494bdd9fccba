import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BOXED_INSTRUCTION, buildChatMessages } from '../../src/tasks/prompts.js';
import { getTask } from '../../src/tasks/registry.js';

test('buildChatMessages: system + user with the boxed instruction by default', () => {
  assert.deepEqual(buildChatMessages('What is 1+1?'), [
    { role: 'system', content: 'You are a helpful assistant.' },
    { role: 'user', content: 'What is 1+1?\nPlease reason step by step, and put your final answer within \\boxed{}.' },
  ]);
});

test('buildChatMessages: configurable system prompt and instruction; null leaves them out', () => {
  assert.deepEqual(buildChatMessages('Q', { systemPrompt: 'Be terse.', answerInstruction: 'End with #### N.' }), [
    { role: 'system', content: 'Be terse.' },
    { role: 'user', content: 'Q\nEnd with #### N.' },
  ]);
  assert.deepEqual(buildChatMessages('Q', { systemPrompt: null, answerInstruction: null }), [{ role: 'user', content: 'Q' }]);
});

test('task prompts: competition tasks append the boxed instruction; synthetic-arith is the bare question', () => {
  for (const name of ['gsm8k', 'math500', 'aime24', 'amc23', 'minerva_math', 'olympiadbench']) {
    assert.equal(getTask(name).prompt('Q?'), `Q?\n${BOXED_INSTRUCTION}`, name);
  }
  assert.equal(
    getTask('synthetic-arith').prompt('Tom has 3 apples. How many apples does Tom have?'),
    'Tom has 3 apples. How many apples does Tom have?\n',
  );
});
