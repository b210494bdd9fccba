/**
 * A tiny character-level Qwen2 model folder for the rollout and evaluation tests: random weights
 * (seeded), a character tokenizer over printable ASCII and newline with `<bos>`/`<eos>`, 2 layers,
 * hidden 64. It is untrained, but its output layer is tilted towards digits, spaces, `#` and EOS
 * (through one hidden dimension that every embedding sets to 1, which the final RMSNorm keeps
 * nearly constant), so its completions contain numbers and some end early: some samples of
 * synthetic-arith come out right by chance, and the metrics are not all zero.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCharTokenizer, buildCharTokenizerConfig, writeTokenizerFiles } from '../../src/model/char-tokenizer.js';
import { saveCheckpoint, type ParamMap } from '../../src/model/checkpoint.js';
import { parseModelConfig, type ModelConfig } from '../../src/model/config.js';
import { expectedParameters } from '../../src/model/parameters.js';

/** Printable ASCII and newline: every character of synthetic-arith problems and solutions. */
export const CHARS = ['\n', ...Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i))];
const SPECIALS = 4; // <pad> <bos> <eos> <unk>
export const BOS_ID = 1;
export const EOS_ID = 2;

export interface TinyModelOptions {
  seed?: number;
  /** a chat template for tokenizer_config.json (default none: plain prompts) */
  chatTemplate?: string;
}

/** Writes the model folder into a new temporary folder and returns its path. */
export function writeTinyCharModel(options: TinyModelOptions = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'introspect-tiny-char-'));
  const config = tinyConfig();
  saveCheckpoint(dir, config, tinyParams(config, options.seed ?? 1));
  writeTokenizerFiles(
    dir,
    buildCharTokenizer(CHARS),
    buildCharTokenizerConfig(options.chatTemplate !== undefined ? { chatTemplate: options.chatTemplate } : {}),
  );
  return dir;
}

function tinyConfig(): ModelConfig {
  return parseModelConfig({
    architectures: ['Qwen2ForCausalLM'],
    model_type: 'qwen2',
    vocab_size: SPECIALS + CHARS.length,
    hidden_size: 64,
    intermediate_size: 128,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    hidden_act: 'silu',
    max_position_embeddings: 512,
    rms_norm_eps: 1e-6,
    rope_theta: 10000,
    tie_word_embeddings: false,
    use_sliding_window: false,
    bos_token_id: BOS_ID,
    eos_token_id: EOS_ID,
  });
}

/** Seeded normal deviates (mulberry32 + Box-Muller). */
function normals(seed: number): () => number {
  let state = seed >>> 0;
  const uniform = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
}

/** Logit tilt per token (added through hidden dimension 0): favours what an answer is made of. */
function tilt(id: number): number {
  if (id === EOS_ID) return 0.2;
  if (id < SPECIALS) return -6;
  const c = CHARS[id - SPECIALS]!;
  if (/[0-9]/.test(c)) return 2.0;
  if (c === ' ' || c === '#') return 1.2;
  if (c === '\n') return 0.3;
  return -1.5;
}

function tinyParams(config: ModelConfig, seed: number): ParamMap {
  const randn = normals(seed);
  const params: ParamMap = new Map();
  for (const { name, dims } of expectedParameters(config)) {
    const size = dims.reduce((a, b) => a * b, 1);
    const data = new Float32Array(size);
    if (name.endsWith('norm.weight')) data.fill(1);
    else if (name.endsWith('.bias')) data.forEach((_, i) => (data[i] = 0.02 * randn()));
    else if (name === 'model.embed_tokens.weight') {
      for (let i = 0; i < size; i++) data[i] = i % config.hiddenSize === 0 ? 1 : 0.05 * randn();
    } else if (name === 'lm_head.weight') {
      // After the final norm, hidden dimension 0 is a few units (the residual branches add the rest): column 0 carries the tilt.
      for (let v = 0; v < config.vocabSize; v++) {
        for (let j = 0; j < config.hiddenSize; j++) data[v * config.hiddenSize + j] = j === 0 ? tilt(v) / 3 : 0.2 * randn();
      }
    } else data.forEach((_, i) => (data[i] = 0.08 * randn()));
    params.set(name, { data, dims: [...dims] });
  }
  return params;
}
