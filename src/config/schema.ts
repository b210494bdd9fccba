/**
 * The one schema for introspect's YAML job files, shared by every command (`train`, `eval`,
 * `pretrain`, `compare baselines`, ...). It is the single source of validation, defaults, the
 * reference in configs/README.md (`npm run docs:config`) and the help of `--set`.
 *
 * Every field says what it is and *why you would change it*. Objects are strict: an unknown key is
 * an error, because a misspelt key that is silently ignored makes an experiment quietly wrong.
 * Cross-field checks live in {@link checkJob}, in one place.
 */
import { z } from 'zod';
import { UserError } from '../util/errors.js';
import {
  ADVANTAGE_ESTIMATOR_NAMES,
  ARCHITECTURE_NAMES,
  ARITHMETIC_OPERATIONS,
  BUDGET_KINDS,
  HEAD_KINDS,
  LOSS_AGGREGATION_NAMES,
  LR_SCHEDULE_NAMES,
  PHASE_NAMES,
  PHASE_SCHEDULE_NAMES,
  POLICY_LOSS_NAMES,
  REWARD_NAMES,
  SPLIT_NAMES,
  TASK_NAMES,
  TEMPERATURE_POLICY_NAMES,
} from './names.js';
import { EXECUTION_PROVIDERS } from '../onnx/execution-providers.js';
import { LOG_LEVELS } from '../util/log.js';
import { METRIC_SINK_NAMES } from '../util/metric-sinks.js';

const positiveInt = () => z.number().int().min(1);
/**
 * Upper bounds on counts that size memory: every sample of an evaluation is kept for the report
 * and every rollout of an iteration is held for the update, so a mistyped `k: 1000000000` is
 * refused at load time instead of filling memory an hour into the run.
 */
export const MAX_SAMPLES_PER_PROMPT = 1024;
export const MAX_COUNT = 65536;
const probability = () => z.number().min(0).max(1);

/** A temperature policy, as `fixed:0.7`, `edt`, `learned` or `{name: edt, T0: 1, N: 0.8, theta: 1}`. */
export const policySpecSchema = z
  .union([z.string().min(1), z.looseObject({ name: z.string().min(1) })])
  .describe(
    `Temperature policy: ${TEMPERATURE_POLICY_NAMES.map((n) => (n === 'fixed' ? 'fixed:<t>' : n)).join(', ')}; as a string or an ` +
      'object {name, ...params}. This is the variable the experiment is about.',
  );

export const runSchema = z
  .strictObject({
    out: z.string().optional().describe('Run directory for outputs. Default: runs/<command>-<timestamp> under the current folder.'),
    seed: z
      .number()
      .int()
      .min(0)
      .default(0)
      .describe('Seed for prompt order, sampling and initialisation. Change it to measure seed spread.'),
    logLevel: z.enum(LOG_LEVELS).default('info').describe('Log verbosity; debug also prints stack traces of errors.'),
    metrics: z
      .array(z.enum(METRIC_SINK_NAMES))
      .default([...METRIC_SINK_NAMES])
      .describe(
        'Where per-iteration figures go: csv (metrics.csv, eval.csv) and tensorboard (an event file in the run ' +
          'folder; `tensorboard --logdir runs/`). Names as TRL logs them (reward, kl, entropy, ...).',
      ),
  })
  .describe('Where results go and how the run is seeded and logged.');

export const modelSchema = z
  .strictObject({
    path: z
      .string()
      .optional()
      .describe(
        'Hugging Face model folder (config.json, model.safetensors, tokenizer.json) or a Hub id (org/name) to ' +
          'download. Relative paths resolve against the job file. Default: the embedded model in models/.',
      ),
    executionProvider: z
      .enum(EXECUTION_PROVIDERS)
      .default('cpu')
      .describe('ONNX Runtime execution provider. cuda needs `npm run install-cuda`; run `introspect doctor` to see what works.'),
    trainable: z
      .union([z.literal('all'), z.literal('none'), z.strictObject({ include: z.array(z.string()).min(1) })])
      .default('all')
      .describe(
        'Which LLM parameters the token policy updates: all, none, or {include: [regex, ...]} on checkpoint ' +
          'names (e.g. "layers\\.(22|23)\\."). Frozen parameters are baked into the graphs, which saves memory.',
      ),
    threads: z
      .number()
      .int()
      .min(0)
      .default(0)
      .describe(
        'ONNX Runtime intra-op threads of every session (LLM and temperature head), and the threads of the host ' +
          'AdamW update of 1M parameters or more (same bits on any number); 0 lets ONNX Runtime choose (all cores).',
      ),
    weightUpdates: z
      .enum(['bake', 'inputs'])
      .default('bake')
      .describe(
        "How rollouts get the token policy's updated weights. bake: the decode session is rebuilt with the weights " +
          'stored, which ONNX Runtime prepacks (fastest decoding; one graph build and load per token phase). inputs: ' +
          'trainable weights are graph inputs, fed without a rebuild (slower decoding: weights fed as inputs cost 10-31% ' +
          'of rollout throughput).',
      ),
    spinning: z
      .boolean()
      .default(false)
      .describe(
        'Let idle ONNX Runtime threads spin waiting for work. Off by default: on a machine other processes share, ' +
          'spinning threads took cores from each other and from the neighbours (benchmarks under load ran 1.7x faster ' +
          'without); on an otherwise idle machine spinning can be 5-30% faster.',
      ),
    memoryArena: z
      .union([z.boolean(), z.literal('auto')])
      .default('auto')
      .describe(
        "Keep freed buffers in ONNX Runtime's CPU memory arena for reuse (true), return them (false), or auto: on, " +
          'except for the training graph of a model of 32M parameters or more. Without the arena an update step of ' +
          'the bench model (3M parameters) ran 25-30% slower; at 41.6M parameters it ran as fast and peaked at 2.1 ' +
          'instead of 3.0 GB, and at the Qwen2.5-0.5B shape the arena holds gigabytes of freed activations. ' +
          "Training sessions never use ONNX Runtime's memory pattern (a block for a run's planned peak, held until " +
          'the run ends), with or without the arena.',
      ),
    lowMemoryBackward: z
      .union([z.boolean(), z.literal('auto')])
      .default('auto')
      .describe(
        "The training graph's backward pass holds less: normalisations and the MLP activation are " +
          "recomputed instead of kept, and a tied embedding's rows are added onto the output projection's " +
          'gradient in place (the same gradients up to rounding). auto: on for models of 32M parameters or ' +
          "more. At the Qwen2.5-0.5B shape (B=4, T=256) it lowered the update's peak RSS by about 0.5 GB " +
          'with the memory pattern already off (npm run bench:memory).',
      ),
    tokenizerTimeoutMs: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe(
        'Longest time in ms one text may take to tokenize (encode or decode) and one chat template to render; over it ' +
          'the model is refused with an error. Default 5000: a prompt takes milliseconds; this stops a tokenizer.json ' +
          'regex that backtracks catastrophically, or a looping template, from hanging the run.',
      ),
    deviceMemoryGiB: z
      .number()
      .positive()
      .optional()
      .describe(
        "The GPU's memory in GiB. train prints its memory estimate (weights, gradients, AdamW state, KV cache, " +
          'activations) before it starts and, with this set, refuses a job whose device estimate exceeds it. ' +
          "Host memory is always checked against the machine's.",
      ),
  })
  .describe('The LLM (the token policy) and how it runs.');

export const taskSchema = z
  .strictObject({
    name: z
      .string()
      .default('synthetic-arith')
      .describe(`Task: ${TASK_NAMES.join(', ')}.`),
    dataDir: z.string().optional().describe('Folder with the datasets; default INTROSPECT_DATA_DIR, else the user cache folder.'),
    split: z.enum(SPLIT_NAMES).default('train').describe('Split that training prompts come from.'),
    synthetic: z
      .strictObject({
        seed: z
          .number()
          .int()
          .min(0)
          .default(0)
          .describe('Seed of the generated problem set; fixed apart from run.seed so that every run and seed sees the same problems.'),
        steps: z
          .tuple([positiveInt(), positiveInt()])
          .default([1, 3])
          .describe('Min and max arithmetic steps per problem: the difficulty knob.'),
        maxNumber: positiveInt().default(20).describe('Largest operand and intermediate result; smaller is easier.'),
        operations: z.array(z.enum(ARITHMETIC_OPERATIONS)).min(1).default(['+', '-']).describe('Operations used.'),
        trainSize: positiveInt().default(20000).describe('Problems in the train split.'),
        testSize: positiveInt().default(500).describe('Problems in the held-out test split (disjoint from train).'),
      })
      .prefault({})
      .describe('Knobs of the synthetic-arith generator (ignored by the other tasks).'),
    countdown: z
      .strictObject({
        seed: z
          .number()
          .int()
          .min(0)
          .default(0)
          .describe('Seed of the generated problem set (not run.seed): every run and seed sees the same problems.'),
        numbers: z
          .number()
          .int()
          .min(2)
          .max(5)
          .default(4)
          .describe('Numbers given per problem: the depth of the search fork, the main difficulty knob.'),
        maxNumber: positiveInt().default(9).describe('Given numbers lie in [1, maxNumber].'),
        maxValue: positiveInt()
          .default(100)
          .describe('Every intermediate result and the target lie in [1, maxValue]: it bounds the digits to compute.'),
        operations: z
          .array(z.enum(ARITHMETIC_OPERATIONS))
          .min(1)
          .default([...ARITHMETIC_OPERATIONS])
          .describe('Operations used.'),
        trainSize: positiveInt()
          .default(10000)
          .describe('Problems in the train split (about 14,000 distinct instances exist with the default knobs).'),
        validationSize: positiveInt()
          .default(500)
          .describe('Problems in the validation split (for tuning, e.g. the best fixed temperature); disjoint from train and test.'),
        testSize: positiveInt().default(500).describe('Problems in the held-out test split; disjoint from train and validation.'),
      })
      .prefault({})
      .describe('Knobs of the countdown generator (ignored by the other tasks).'),
    systemPrompt: z.string().optional().describe('System prompt for chat-template models; default: none.'),
    instruction: z
      .string()
      .optional()
      .describe('Answer-format instruction appended for chat models, e.g. "put your final answer within \\boxed{}".'),
    formatPenalty: z
      .number()
      .min(0)
      .default(0)
      .describe(
        'Subtracted from the reward (reward = -formatPenalty) when no final answer can be extracted; positive values teach the answer format faster.',
      ),
    answerFallback: z
      .enum(['last', 'none'])
      .default('last')
      .describe(
        'What the verifier grades when a response has no answer marker (\\boxed{}, ####, "the answer is"): `last` takes the last math span or number ' +
          '(bare answers and models that skip the marker still get credit, but an intermediate value that happens to come last can be rewarded); ' +
          '`none` grades it as no answer (reward -formatPenalty), which trains the answer format strictly.',
      ),
  })
  .describe('The task: prompts and the verifier that rewards answers.');

export const rolloutSchema = z
  .strictObject({
    maxNewTokens: positiveInt().max(MAX_COUNT).default(64).describe('Generation length cap; long enough for a full solution.'),
    batchSize: positiveInt()
      .max(MAX_COUNT)
      .default(64)
      .describe('Sequences decoded together; larger is faster per token until memory runs out.'),
    stop: z.array(z.string()).default([]).describe("Extra stop strings besides the model's EOS tokens."),
    truncatePrompts: z
      .boolean()
      .default(false)
      .describe(
        "Keep the last tokens of a prompt that with maxNewTokens exceeds the model's positions, instead of stopping with an error; a cut prompt may lose the question's start.",
      ),
    topP: probability()
      .default(1)
      .describe('Nucleus sampling for evaluation; 1 disables. Training keeps 1 so log-probabilities match the loss.'),
    topK: z.number().int().min(0).default(0).describe('Top-k sampling for evaluation; 0 disables.'),
    sampler: z
      .enum(['auto', 'host', 'graph'])
      .default('auto')
      .describe(
        'Where each token is drawn. host: the last logits [B, V] come to JavaScript, which draws in float64. graph: a ' +
          'small ONNX graph on the execution provider draws from them where they are, with the same random numbers ' +
          '(see samplerPrecision), and only token ids, log-probabilities and entropies come back (on a GPU the ' +
          'logits never leave it). auto: graph on webgpu and cuda, host on cpu. topK/topP always draw on the host.',
      ),
    samplerPrecision: z
      .enum(['auto', 'float32', 'float64'])
      .default('auto')
      .describe(
        "The sampler graph's float type. float64 repeats the host sampler's arithmetic in its order (the same " +
          "tokens); float32 sums the weights in blocks and is faster (1.78x the host sampler's rollout tokens/s on " +
          'CPU at a 152k vocabulary, against 1.06x for float64: `npm run bench:sampling`), but near-flat ' +
          'distributions over a large vocabulary then draw a neighbouring token more often. auto: float64 on cpu, ' +
          'float32 on webgpu and cuda.',
      ),
  })
  .describe('How completions are sampled.');

export const headSchema = z
  .strictObject({
    path: z
      .string()
      .optional()
      .describe('A trained head (temperature_head.json + .safetensors folder) to start from; default: a fresh head.'),
    kind: z.enum(HEAD_KINDS).default('grid').describe('Discrete temperature grid (categorical) or a continuous log-normal.'),
    grid: z
      .array(z.number())
      .default([0.2, 0.4, 0.6, 0.8, 1.0, 1.2, 1.4, 1.6])
      .describe(
        'Temperatures the grid head chooses from: at least 2, finite, > 0, strictly increasing, with initTemperature inside. A trained head (path) brings its own.',
      ),
    hiddenSize: positiveInt().default(64).describe("Width of the head's hidden layer."),
    initTemperature: z
      .number()
      .positive()
      .default(0.8)
      .describe('Temperature the untrained head is centred on (compare can set it to the best fixed temperature).'),
    initSpread: z
      .number()
      .positive()
      .default(0.5)
      .describe(
        'Spread of the untrained head around initTemperature (std in temperature units); wider explores more. The defaults (0.8, 0.5) give the low temperatures (<= 0.4) real probability from the start, which centre 1.0 with spread 0.3 (about 4%) did not.',
      ),
  })
  .describe('The learned temperature head (policy `learned`).');

const optimizerSchema = z
  .strictObject({
    lr: z.number().positive().describe('Peak learning rate.'),
    betas: z.tuple([probability(), probability()]).default([0.9, 0.999]).describe('Adam betas.'),
    eps: z.number().positive().default(1e-8).describe('Adam epsilon.'),
    weightDecay: z.number().min(0).default(0).describe('Decoupled weight decay (AdamW).'),
    warmupSteps: z.number().int().min(0).default(0).describe('Linear warm-up steps.'),
    decay: z.enum(LR_SCHEDULE_NAMES).default('constant').describe('Learning-rate shape after warm-up.'),
    maxGradNorm: z.number().positive().default(1.0).describe('Global gradient-norm clip.'),
  })
  .describe('AdamW settings for one policy.');

export const phaseSchema = z.strictObject({
  phase: z.enum(PHASE_NAMES).describe('Which policy updates during this phase.'),
  iterations: positiveInt().describe('Iterations the phase lasts.'),
});

export const trainSchema = z
  .strictObject({
    iterations: positiveInt().default(40).describe('RL iterations (rollout + update rounds).'),
    promptsPerIteration: positiveInt().max(MAX_COUNT).default(16).describe('Prompts sampled per iteration.'),
    groupSize: z
      .number()
      .int()
      .min(2)
      .max(MAX_SAMPLES_PER_PROMPT)
      .default(8)
      .describe('Rollouts per prompt (G); GRPO advantages compare within a group.'),
    epochs: positiveInt().default(1).describe('Optimisation passes over each batch of rollouts.'),
    miniBatchSize: positiveInt().default(32).describe('Sequences per gradient step.'),
    schedule: z
      .strictObject({
        name: z
          .enum(PHASE_SCHEDULE_NAMES)
          .default('coordinate-ascent')
          .describe(
            'coordinate-ascent alternates the phases below; joint updates both policies every iteration; token-only is plain GRPO (how baselines train); temperature-only freezes the LLM.',
          ),
        phases: z
          .array(phaseSchema)
          .min(1)
          .default([
            { phase: 'temperature', iterations: 2 },
            { phase: 'token', iterations: 2 },
          ])
          .describe('Phases of coordinate ascent, cycled.'),
      })
      .prefault({})
      .describe('Which policy is updated when.'),
    advantage: z
      .strictObject({
        estimator: z
          .enum(ADVANTAGE_ESTIMATOR_NAMES)
          .default('grpo')
          .describe('grpo divides by the group std; grpo-no-std does not (less bias toward easy/hard prompts).'),
        dropUniformGroups: z.boolean().default(true).describe('Skip groups whose rewards are all equal: they carry no signal.'),
      })
      .prefault({})
      .describe('How rewards become advantages (rl/advantages.ts).'),
    loss: z
      .strictObject({
        type: z
          .enum(POLICY_LOSS_NAMES)
          .default('clipped')
          .describe(
            'Policy loss of both updates (the loss table, model/graphs/policy-losses.ts). clipped: the PPO/GRPO surrogate with clipLow/clipHigh, the usual choice. ' +
              'dual-clip: also caps the loss of negative-advantage tokens at -3 A, which bounds the step when samples are stale (epochs > 1, many mini-batches); identical to clipped on-policy.',
          ),
        clipLow: z.number().min(0).max(1).default(0.2).describe('PPO ratio clip below 1.'),
        clipHigh: z.number().min(0).default(0.28).describe('PPO ratio clip above 1 (clip-higher keeps exploration alive).'),
        aggregation: z
          .enum(LOSS_AGGREGATION_NAMES)
          .default('token-mean')
          .describe(
            "How per-token losses become one number (rl/loss-aggregation.ts). token-mean: every token of the batch weighs the same (DAPO); the scale follows the batch's token count. " +
              'seq-mean-token-mean: every sequence weighs the same (original GRPO), so a token of a short answer weighs more than one of a long answer (the length bias Dr. GRPO points out). ' +
              "seq-mean-token-sum: sum over a sequence's tokens, mean over sequences; long answers weigh more and the scale grows with length. " +
              'seq-mean-token-sum-norm: Dr. GRPO, the token sum divided by the constant rollout.maxNewTokens and averaged over sequences; unbiased in length and with a fixed scale.',
          ),
        klCoef: z
          .number()
          .min(0)
          .default(0)
          .describe('KL penalty to the initial model (k3 estimator); 0 disables and saves a forward pass.'),
        entropyCoef: z.number().min(0).default(0).describe('Entropy bonus on the token policy.'),
        headEntropyCoef: z
          .number()
          .min(0)
          .default(0.02)
          .describe(
            'Entropy bonus on the temperature head. Its entropy is at most log(grid size) = 2.1 nats, while its policy-gradient term is about |advantage| x (share of tokens in the loss); at 0.001 the head collapsed within 40 iterations at lr 0.03, 0.02 keeps it exploring.',
          ),
        headTopEntropyQuantile: z
          .number()
          .gt(0)
          .max(1)
          .default(1)
          .describe(
            "Only the top share of tokens by LLM entropy enter the head's loss (TRL top_entropy_quantile); 0.2 trains it on decision tokens, where the temperature matters. 1 = all tokens.",
          ),
      })
      .prefault({})
      .describe('The policy loss of both updates (the loss table), its aggregation over tokens, and its KL and entropy terms.'),
    tokenOptimizer: optimizerSchema.prefault({ lr: 1e-5 }).describe('AdamW for the LLM.'),
    temperatureOptimizer: optimizerSchema.prefault({ lr: 1e-3 }).describe('AdamW for the temperature head.'),
    checkpointEvery: z.number().int().min(0).default(10).describe('Iterations between checkpoints; 0 = only at the end.'),
    keepCheckpoints: z
      .number()
      .int()
      .min(0)
      .default(3)
      .describe(
        'Checkpoints kept on disk: the newest N plus the best by held-out avg@k; older ones are deleted once a newer one is complete. 0 keeps all (a full model each).',
      ),
    evalEvery: z.number().int().min(0).default(10).describe('Iterations between held-out evaluations; 0 disables.'),
    evalProblems: positiveInt().default(100).describe('Held-out problems per periodic evaluation.'),
    evalK: positiveInt().max(MAX_SAMPLES_PER_PROMPT).default(1).describe('Samples per held-out problem in periodic evaluation.'),
    rewards: z
      .array(
        z.strictObject({
          name: z
            .enum(REWARD_NAMES)
            .describe(
              'verifier: 1 right / 0 wrong / -formatPenalty without an answer; format: 1 when an answer is stated; overlong: DAPO soft length penalty, 0 to -1 over the last `cache` tokens before the cap.',
            ),
          weight: z.number().describe('Weight of the term in the summed reward.'),
          cache: positiveInt()
            .optional()
            .describe('overlong only: the penalty band in tokens below rollout.maxNewTokens (default a quarter of it).'),
        }),
      )
      .min(1)
      .default([{ name: 'verifier', weight: 1 }])
      .describe('The training reward: a weighted sum of reward functions (TRL reward_funcs / reward_weights).'),
    maskTruncated: z
      .boolean()
      .default(false)
      .describe(
        'Leave completions cut off at rollout.maxNewTokens out of the loss (DAPO overlong filtering): a truncated answer is not evidence that the reasoning was wrong.',
      ),
    dynamicSampling: z
      .strictObject({
        maxRounds: z
          .number()
          .int()
          .min(0)
          .default(0)
          .describe(
            'Extra rounds of prompts drawn when fewer than promptsPerIteration groups carry signal (DAPO dynamic sampling); 0 = off.',
          ),
      })
      .prefault({})
      .describe(
        'Refill the batch with informative groups (rewards not all equal) up to promptsPerIteration, at most maxRounds extra rounds.',
      ),
    tokenBudget: z
      .number()
      .int()
      .min(0)
      .default(0)
      .describe('Stop once the rollouts have generated this many tokens (0 = off; iterations stays a cap): equal-compute comparisons.'),
    llmStepBudget: positiveInt()
      .optional()
      .describe(
        'Stop once the LLM has taken this many optimiser steps, mid-iteration if need be (iterations stays a cap; unset = off): ' +
          'an exact equal-steps budget when dynamic sampling or dropped groups leave some batches short.',
      ),
    maxNonFiniteSteps: positiveInt().default(5).describe('Consecutive skipped non-finite steps before training stops with an error.'),
  })
  .describe('Hierarchical RL training (`introspect train`).');

export const evalSchema = z
  .strictObject({
    tasks: z.array(z.string()).min(1).default(['synthetic-arith']).describe('Benchmarks, one column each in the summary.'),
    k: positiveInt()
      .max(MAX_SAMPLES_PER_PROMPT)
      .default(4)
      .describe('Samples per problem for avg@k, pass@k and maj@k (at most 1024: every sample is kept in memory for the report).'),
    limit: z.number().int().min(0).default(0).describe('Evaluate only the first N problems; 0 = all.'),
    greedy: z.boolean().default(false).describe('Also report greedy accuracy.'),
    split: z.enum(SPLIT_NAMES).default('test').describe('Split to evaluate on.'),
    force: z
      .boolean()
      .default(false)
      .describe(
        'Evaluate even when the numbers would mean nothing: a model whose tokenizer cannot encode the prompts ' +
          '(most characters unknown), or policy learned with an untrained head (no head.path).',
      ),
  })
  .describe('Benchmark evaluation (`introspect eval`).');

export const pretrainSchema = z
  .strictObject({
    architecture: z.enum(ARCHITECTURE_NAMES).default('qwen2').describe('Hugging Face architecture of the new model.'),
    hiddenSize: positiveInt()
      .default(128)
      .describe('Width of the new model; larger learns more per step but runs slower (a multiple of heads).'),
    layers: positiveInt().default(2).describe('Decoder layers of the new model.'),
    heads: positiveInt().default(4).describe('Attention heads (a multiple of kvHeads).'),
    kvHeads: positiveInt().default(2).describe('Key/value heads; fewer than heads is grouped-query attention (a smaller cache).'),
    intermediateSize: positiveInt().default(384).describe("Width of the MLP's inner layer (about 3x hiddenSize is usual)."),
    steps: positiveInt().default(2000).describe('Optimiser steps.'),
    batchSize: positiveInt().default(32).describe('Sequences per step.'),
    lr: z.number().positive().default(3e-3).describe('Peak learning rate of the cosine schedule; small models tolerate large rates.'),
    warmupSteps: z.number().int().min(0).default(100).describe('Linear warm-up steps before the cosine decay (capped below steps).'),
    checkpointEvery: z.number().int().min(0).default(500).describe('Steps between resumable checkpoints; 0 = only at the end.'),
    evalEvery: z
      .number()
      .int()
      .min(0)
      .default(500)
      .describe('Steps between greedy and sampled accuracy checks on held-out problems; 0 = only at the end.'),
    evalK: positiveInt()
      .default(1)
      .describe('Samples per held-out problem at temperature 1 in the periodic evaluation (pass@k beside avg@k).'),
  })
  .describe('Supervised pretraining of a small model from scratch (`introspect pretrain`).');

export const methodSchema = z.strictObject({
  name: z.string().min(1).describe('Label in the results table (and the cell folder).'),
  policy: policySpecSchema,
  schedule: z
    .enum(PHASE_SCHEDULE_NAMES)
    .default('token-only')
    .describe(
      'How this method trains (see train.schedule.name): token-only for fixed and heuristic temperatures, coordinate-ascent or joint for the learned head.',
    ),
  evalPolicies: z
    .array(policySpecSchema)
    .optional()
    .describe('Own policies to evaluate the trained model with (besides compare.evalPolicies); default: its training policy.'),
  initTemperature: z
    .union([z.number().positive(), z.literal('best-fixed')])
    .optional()
    .describe(
      'Learned head only: the temperature its untrained head is centred on; best-fixed = the fixed baseline chosen on the validation split.',
    ),
});

export const compareSchema = z
  .strictObject({
    seeds: z
      .array(z.number().int().min(0))
      .min(1)
      .default([0, 1, 2, 3, 4])
      .describe('Training seeds; each method trains once per seed. The evaluation of seed s uses seed s for every method (paired).'),
    methods: z
      .array(methodSchema)
      .default([])
      .describe(
        'Methods to compare; empty = the built-in set: fixedTemperatures, edt, and learned from the best fixed temperature and from 1.0.',
      ),
    fixedTemperatures: z
      .array(z.number().positive())
      .min(1)
      .default([0.4, 0.7, 1.0, 1.3])
      .describe(
        'The fixed-temperature baselines of the built-in set: the grid the best fixed temperature is tuned over (on the validation split).',
      ),
    evalPolicies: z
      .array(policySpecSchema)
      .default(['greedy', 'fixed:0.6', 'fixed:1.0'])
      .describe(
        'Common decoding: every trained model is also evaluated under each of these, so methods are compared at equal evaluation temperature.',
      ),
    passK: z
      .array(positiveInt())
      .min(1)
      .default([1, 8, 32])
      .describe('k of the unbiased pass@k estimates from eval.k samples; k > eval.k are left out.'),
    budget: z
      .enum(BUDGET_KINDS)
      .default('llm-steps')
      .describe(
        'What is held equal across methods: LLM optimiser steps (coordinate ascent runs more iterations; equal when every batch is full), ' +
          'exactly equal LLM optimiser steps (every method stops at the steps token-only takes with full batches: train.llmStepBudget), iterations, or generated tokens (compare.tokenBudget).',
      ),
    tokenBudget: z
      .number()
      .int()
      .min(0)
      .default(0)
      .describe('With budget tokens: rollout tokens every method generates (train.iterations is then a cap).'),
    validation: z
      .boolean()
      .default(true)
      .describe('Tune on the validation split (for tasks that have one; else the test split, said in results.md).'),
    bootstrapResamples: positiveInt().default(2000).describe('Resamples of the paired bootstrap over seeds and problems.'),
  })
  .describe('`introspect compare baselines`.');

export const jobSchema = z
  .strictObject({
    run: runSchema.prefault({}),
    model: modelSchema.prefault({}),
    task: taskSchema.prefault({}),
    rollout: rolloutSchema.prefault({}),
    policy: policySpecSchema.default('learned'),
    head: headSchema.prefault({}),
    train: trainSchema.prefault({}),
    eval: evalSchema.prefault({}),
    pretrain: pretrainSchema.prefault({}),
    compare: compareSchema.prefault({}),
  })
  .describe('An introspect job file.');

export type JobConfig = z.infer<typeof jobSchema>;
export type PolicySpec = z.infer<typeof policySpecSchema>;

/** Key paths whose values are file-system paths: resolved against the job file's folder. */
export const PATH_KEYS: readonly (readonly [section: string, key: string])[] = [
  ['run', 'out'],
  ['model', 'path'],
  ['task', 'dataDir'],
  ['head', 'path'],
];

/** A problem found by a cross-field check: the key path it concerns and what is wrong. */
export interface JobIssue {
  path: (string | number)[];
  message: string;
}

/** Cross-field checks, all in one place. */
export function checkJob(job: JobConfig): JobIssue[] {
  const issues: JobIssue[] = [];
  if (job.train.miniBatchSize > job.train.promptsPerIteration * job.train.groupSize) {
    issues.push({
      path: ['train', 'miniBatchSize'],
      message: `must be at most promptsPerIteration x groupSize = ${job.train.promptsPerIteration * job.train.groupSize}`,
    });
  }
  if (job.task.synthetic.steps[0] > job.task.synthetic.steps[1]) {
    issues.push({ path: ['task', 'synthetic', 'steps'], message: 'min steps must not exceed max steps' });
  }
  if (job.pretrain.heads % job.pretrain.kvHeads !== 0) {
    issues.push({ path: ['pretrain', 'kvHeads'], message: 'heads must be a multiple of kvHeads' });
  }
  if (job.pretrain.hiddenSize % job.pretrain.heads !== 0) {
    issues.push({ path: ['pretrain', 'hiddenSize'], message: 'must be a multiple of heads' });
  }
  if (job.compare.budget === 'tokens' && job.compare.tokenBudget === 0) {
    issues.push({ path: ['compare', 'tokenBudget'], message: 'must be positive with compare.budget tokens' });
  }
  const head = headGridProblem(job.head);
  if (head !== undefined) issues.push({ path: ['head', head.field], message: head.message });
  return issues;
}

/**
 * The cross-field checks of what training needs, beside {@link checkJob}: only training reads
 * `train.schedule` (an `eval` job with `policy: fixed:0.6` keeps the default schedule), so the
 * trainer and `compare baselines` run these before they start.
 */
export function checkTrainJob(job: Pick<JobConfig, 'policy' | 'train'>): JobIssue[] {
  return scheduleIssues(job.policy, job.train.schedule.name, ['train', 'schedule', 'name']);
}

/** Throws a one-line UserError for the first {@link checkTrainJob} issue. */
export function assertTrainJob(job: Pick<JobConfig, 'policy' | 'train'>): void {
  const issue = checkTrainJob(job)[0];
  if (issue !== undefined) throw new UserError(`${issue.path.join('.')}: ${issue.message}`);
}

/**
 * The one check of a head's temperature grid, for the `head` section here and for every head
 * created or loaded (policy/head/config.ts): a `grid` head needs at least 2 finite temperatures > 0
 * in strictly increasing order, and its initial temperature inside them. `lognormal` ignores the grid.
 */
export function headGridProblem(head: {
  kind: string;
  grid: readonly number[];
  initTemperature: number;
}): { field: 'grid' | 'initTemperature'; message: string } | undefined {
  if (head.kind !== 'grid') return undefined;
  const g = head.grid;
  if (g.length < 2) return { field: 'grid', message: `needs at least 2 temperatures, got ${g.length}` };
  if (!g.every((t, i) => t > 0 && t < Infinity && (i === 0 || t > (g[i - 1] as number)))) {
    return { field: 'grid', message: `must be finite temperatures > 0 in strictly increasing order, got [${g.join(', ')}]` };
  }
  const [lo, hi] = [g[0] as number, g[g.length - 1] as number];
  if (!(head.initTemperature >= lo && head.initTemperature <= hi)) {
    return { field: 'initTemperature', message: `(${head.initTemperature}) must lie within the grid [${lo}, ${hi}]` };
  }
  return undefined;
}

/**
 * The temperature policy that has a head to update. `learned` is the only policy of kind `head`
 * (test/policy/registry.test.ts keeps that true); config sits below policy/, so it names it here.
 */
export const HEAD_POLICY_NAME = 'learned';

/** The name of a policy spec: `fixed` of `fixed:0.6`, `edt` of `{name: edt, N: 0.8}`. */
export function policyNameOf(spec: PolicySpec): string {
  return typeof spec === 'string' ? (spec.split(':')[0] ?? '').trim() : spec.name;
}

/** Every schedule but token-only updates the temperature head, so it needs a policy that has one. */
function scheduleIssues(policy: PolicySpec, schedule: JobConfig['train']['schedule']['name'], path: (string | number)[]): JobIssue[] {
  if (schedule === 'token-only' || policyNameOf(policy) === HEAD_POLICY_NAME) return [];
  return [
    {
      path,
      message: `${schedule} updates the temperature head, but policy "${policyNameOf(policy)}" has none; use token-only or policy: ${HEAD_POLICY_NAME}`,
    },
  ];
}
