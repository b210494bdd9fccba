/**
 * Prompt-encoding throughput (`npm run bench:tokenize`): what the time bound on tokenization
 * (src/util/time-bound.ts) costs. The trainer encodes a batch of dataset prompts at every
 * iteration (ModelTokenizer.encodeMany); the reference is the library's own encode on each text,
 * unbounded, as the code did before the bound. Countdown and gsm8k prompts, through
 * - the countdown model's character tokenizer (no regex of its own: runs unbounded),
 * - the same with a Qwen2 Split pre-tokenizer (a `Regex`: the bounded path, on the cheapest encoder),
 * - a byte-level tokenizer with Qwen2's Split and ByteLevel pre-tokenizers (bounded; no merges).
 * Interleaved (in alternating order) and repeated; medians. Last, the cost of one bounded call alone. Options: --data <datasets folder> (default INTROSPECT_DATA_DIR
 * or ../shared/datasets), --countdown <prompts>, --gsm8k <prompts>, --repeats <n>.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { packageRoot } from '../../src/config/index.js';
import { ModelTokenizer } from '../../src/model/tokenizer.js';
import { runWithin } from '../../src/util/time-bound.js';
import { getTask } from '../../src/tasks/registry.js';
import { must } from '../../src/util/must.js';
import { median, parseArgs } from './common.js';

// About a second of encoding per measurement for each dataset: shorter ones drown in a busy machine's noise.
const args = parseArgs({ data: process.env.INTROSPECT_DATA_DIR ?? resolve('../shared/datasets'), countdown: 4000, gsm8k: 300, repeats: 9 });

// Qwen2's tokenizer.json pre-tokenizer regex.
const QWEN2_SPLIT = {
  type: 'Split',
  pattern: {
    Regex:
      "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
  },
  behavior: 'Isolated',
  invert: false,
};

/** GPT-2's bytes_to_unicode: every byte a printable character, as byte-level vocabularies spell them. */
function byteLevelVocab(): Record<string, number> {
  const vocab: Record<string, number> = {};
  let shifted = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
    vocab[String.fromCharCode(printable ? b : 256 + shifted++)] = b;
  }
  return vocab;
}

const model = join(packageRoot, 'models', 'countdown-tiny');
const charJson = JSON.parse(readFileSync(join(model, 'tokenizer.json'), 'utf8')) as Record<string, unknown>;
const charConfig = JSON.parse(readFileSync(join(model, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
const byteLevel = {
  ...charJson,
  added_tokens: [],
  pre_tokenizer: {
    type: 'Sequence',
    pretokenizers: [QWEN2_SPLIT, { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false }],
  },
  decoder: { type: 'ByteLevel' },
  model: { ...(charJson.model as object), vocab: byteLevelVocab(), merges: [], unk_token: null },
};
const tokenizers: [string, object, Record<string, unknown>][] = [
  ['countdown-tiny (char, unbounded)', charJson, charConfig],
  ['char + Qwen2 Split (bounded)', { ...charJson, pre_tokenizer: QWEN2_SPLIT }, charConfig],
  ['byte-level + Qwen2 Split (bounded)', byteLevel, {}],
];

const datasets: [string, string[]][] = [];
for (const name of ['countdown', 'gsm8k'] as const) {
  const task = getTask(name);
  const problems = await task.load({ split: 'train', limit: args[name], dataDir: args.data, download: false });
  datasets.push([name, problems.map((p) => task.prompt(p.question))]);
}

const lines: string[] = [];
for (const [label, json, config] of tokenizers) {
  const library = new Tokenizer(json, config);
  const ours = new ModelTokenizer(json, config);
  for (const [dataset, texts] of datasets) {
    const modes: Record<string, () => number[][]> = {
      library: () => texts.map((t) => library.encode(t).ids),
      encodeMany: () => ours.encodeMany(texts),
    };
    const reference = must(modes.library, 'library')();
    for (const [mode, run] of Object.entries(modes)) {
      if (JSON.stringify(run()) !== JSON.stringify(reference))
        throw new Error(`${label}, ${dataset}: ${mode} gives other ids than the library`);
    }
    const seconds: Record<string, number[]> = Object.fromEntries(Object.keys(modes).map((m) => [m, []]));
    for (let r = 0; r < args.repeats; r++) {
      // Alternating order: whichever runs second in a round is not always the same one.
      const order = r % 2 === 0 ? Object.entries(modes) : Object.entries(modes).reverse();
      for (const [mode, run] of order) {
        const t = performance.now();
        run();
        must(seconds[mode], mode).push((performance.now() - t) / 1000);
      }
    }
    const rate = (mode: string) => texts.length / median(must(seconds[mode], mode));
    lines.push(
      `${label}, ${texts.length} ${dataset} prompts: library ${rate('library').toFixed(0)} prompts/s; ` +
        `encodeMany ${rate('encodeMany').toFixed(0)} prompts/s, x${(rate('encodeMany') / rate('library')).toFixed(2)} ` +
        `(medians of ${args.repeats}, interleaved)`,
    );
  }
}
// What one bounded call costs on its own (its watchdog thread): why prompts are encoded as a batch.
const perCall: number[] = [];
for (let r = 0; r < args.repeats; r++) {
  const t = performance.now();
  for (let i = 0; i < 1000; i++) runWithin(5000, () => i);
  perCall.push((performance.now() - t) / 1000);
}
lines.push(`one bounded call with nothing in it: ${median(perCall).toFixed(3)} ms (median of ${args.repeats} rounds of 1000)`);
console.log(lines.join('\n'));
