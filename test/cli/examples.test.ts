/**
 * Every `examples` entry of every command, pasted into bash as a user would (with `introspect`
 * meaning this checkout's bin/run.js), in a scratch folder laid out like the repository
 * (configs/, models/, ../shared). Each runs with small limits appended (later --set wins), so the
 * whole set stays quick; examples that download a Hub model run offline and must stop at the
 * download with the one-line "not in the Hub cache" error, which shows that everything before it
 * (flags, job, paths) is right.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Config } from '@oclif/core';
import { packageRoot } from '../../src/config/index.js';
import { sharedDir } from '../helpers/paths.js';

const root = mkdtempSync(join(tmpdir(), 'introspect-examples-'));
const work = join(root, 'work');
mkdirSync(work);
for (const dir of ['configs', 'models']) symlinkSync(resolve(packageRoot, dir), join(work, dir));
symlinkSync(sharedDir, join(root, 'shared'));
// Files the grade examples name: what a user would bring.
writeFileSync(
  join(work, 'outputs.jsonl'),
  [JSON.stringify({ response: 'so #### 12', answer: '12' }), JSON.stringify({ response: '#### 3', answer: '4' })].join('\n') + '\n',
);
writeFileSync(join(work, 'gsm8k-outputs.jsonl'), JSON.stringify({ response: 'She has #### 18', answer: 'So 18.\n#### 18' }) + '\n');
after(() => rmSync(root, { recursive: true, force: true }));

/** Small limits per command, appended to its examples. */
const TRAIN = [
  'train.promptsPerIteration=2',
  'train.groupSize=2',
  'train.miniBatchSize=4',
  'train.evalEvery=5',
  'train.evalProblems=2',
  'train.evalK=1',
  'rollout.maxNewTokens=24',
];
const limits = (command: string, example: string): string[] => {
  const set = (keys: string[]) => keys.flatMap((k) => ['--set', k]);
  switch (command) {
    case 'train':
      // Example 2 trains runs/quick for 5 iterations; resuming it goes one further.
      return set([
        ...TRAIN,
        ...(example.includes('--resume') ? ['train.iterations=6'] : example.includes('train.iterations') ? [] : ['train.iterations=1']),
      ]);
    case 'pretrain':
      return set([
        'pretrain.steps=2',
        'pretrain.batchSize=4',
        'pretrain.evalEvery=0',
        'pretrain.checkpointEvery=0',
        'pretrain.warmupSteps=0',
      ]);
    case 'eval':
      return set(['eval.limit=2', 'eval.k=1', 'rollout.maxNewTokens=16']);
    case 'compare:baselines':
      // one fixed temperature: 4 cells (fixed, edt, two learned) instead of 7
      return set([
        ...TRAIN,
        'train.iterations=1',
        'train.evalProblems=2',
        'compare.seeds=[0]',
        'compare.fixedTemperatures=[1.0]',
        'eval.limit=2',
      ]);
    case 'bench:rollout':
    case 'bench:train':
      return ['--repeats', '1'];
    default:
      return [];
  }
};

/** Examples that name a Hub model: run offline, they must stop at the download. */
const needsHub = (example: string): boolean => /\bQwen\//.test(example);

const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

test('every command example runs as pasted (with small limits)', async () => {
  const config = await Config.load({ root: packageRoot });
  // Order matters: train writes runs/quick, which eval and analyze use.
  const order = [
    'train',
    'analyze',
    'eval',
    'pretrain',
    'export',
    'generate',
    'grade',
    'doctor',
    'bench:rollout',
    'bench:train',
    'compare:baselines',
  ];
  const commands = [...config.commands].sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id));
  assert.deepEqual(
    commands.map((c) => c.id).filter((id) => !order.includes(id)),
    [],
    'a new command: add it to the order above',
  );
  const env = {
    ...process.env,
    CI: '1',
    HF_HUB_OFFLINE: '1',
    HF_HOME: join(root, 'hf'),
    INTROSPECT_CACHE_DIR: process.env.INTROSPECT_CACHE_DIR ?? join(root, 'cache'),
  };
  let count = 0;
  for (const command of commands) {
    const examples = (command.examples ?? []).map((e) =>
      (typeof e === 'string' ? e : e.command).replaceAll('<%= config.bin %>', 'introspect'),
    );
    assert.ok(examples.length > 0, `${command.id} has examples`);
    for (const example of examples) {
      const extra = limits(command.id, example).map(shellQuote).join(' ');
      const line = `introspect() { ${shellQuote(process.execPath)} ${shellQuote(resolve(packageRoot, 'bin', 'run.js'))} "$@"; }\n${example} ${extra}`;
      const r = spawnSync('bash', ['-c', line], { cwd: work, env, encoding: 'utf8', timeout: 300_000 });
      const shown = `${example}\n${r.stderr}`;
      if (needsHub(example)) {
        assert.notEqual(r.status, 0, shown);
        // One line on stderr, or the {"error"} object on stdout under --json.
        assert.match(`${r.stderr}${r.stdout}`, /model Qwen\/[\w.-]+@main is not in the Hub cache .* \(offline\)/, shown);
      } else {
        assert.equal(r.status, 0, shown);
      }
      count++;
    }
  }
  assert.ok(count >= 15);
  assert.ok(existsSync(join(work, 'runs', 'quick', 'checkpoints')));
});
