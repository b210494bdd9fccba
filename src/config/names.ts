/**
 * The names a job file may choose from, one `as const` tuple per registry (or fixed set): the one list
 * of each. The job schema builds its enums from them (`z.enum(POLICY_LOSS_NAMES)`), and each registry
 * is typed by its tuple and declared complete (util/registry.ts), so a name added here and not
 * registered, or registered and not added here, fails `tsc`. The few registries that are filled by a
 * loop or by imports (tasks, temperature policies, architectures) check their names when loaded.
 *
 * config/ sits below every layer that holds a registry (model, tasks, policy, rl), so the names live
 * here; the registries import them. Names of lower layers stay there: metric sinks in
 * util/metric-sinks.ts, log levels in util/log.ts, execution providers in onnx/session.ts.
 */

/** model/graphs/policy-losses.ts: the loss table. */
export const POLICY_LOSS_NAMES = ['clipped', 'dual-clip'] as const;
/** rl/loss-aggregation.ts */
export const LOSS_AGGREGATION_NAMES = ['token-mean', 'seq-mean-token-mean', 'seq-mean-token-sum', 'seq-mean-token-sum-norm'] as const;
/** rl/advantages.ts */
export const ADVANTAGE_ESTIMATOR_NAMES = ['grpo', 'grpo-no-std'] as const;
/** rl/phase-schedule.ts: which policy updates when. */
export const PHASE_SCHEDULE_NAMES = ['coordinate-ascent', 'joint', 'token-only', 'temperature-only'] as const;
/** The phases of coordinate ascent (rl/phase-schedule.ts). */
export const PHASE_NAMES = ['temperature', 'token'] as const;
/** rl/lr-schedule.ts: the learning-rate shape after warm-up. */
export const LR_SCHEDULE_NAMES = ['constant', 'cosine'] as const;
/** rl/rewards.ts */
export const REWARD_NAMES = ['verifier', 'format', 'overlong'] as const;
/** policy/head: a grid of temperatures (categorical) or a continuous log-normal. */
export const HEAD_KINDS = ['grid', 'lognormal'] as const;
/** policy/registry.ts: the temperature policies. */
export const TEMPERATURE_POLICY_NAMES = ['greedy', 'fixed', 'edt', 'entropy-threshold', 'schedule', 'learned'] as const;
/** tasks/registry.ts */
export const TASK_NAMES = ['gsm8k', 'math500', 'aime24', 'amc23', 'minerva_math', 'olympiadbench', 'synthetic-arith', 'countdown'] as const;
/** validation: for choosing settings (e.g. the best fixed temperature) without looking at test. */
export const SPLIT_NAMES = ['train', 'test', 'validation'] as const;
/** model/arch: the Hugging Face `model_type`s the graphs implement. */
export const ARCHITECTURE_NAMES = ['qwen2', 'qwen3', 'llama', 'gpt2'] as const;
/** rl/budget.ts: what `compare` holds equal across methods. */
export const BUDGET_KINDS = ['llm-steps', 'llm-steps-exact', 'iterations', 'tokens'] as const;
/** The operations of the synthetic arithmetic and countdown tasks. */
export const ARITHMETIC_OPERATIONS = ['+', '-', '*'] as const;

export type PolicyLossName = (typeof POLICY_LOSS_NAMES)[number];
export type AggregationMode = (typeof LOSS_AGGREGATION_NAMES)[number];
export type AdvantageEstimatorName = (typeof ADVANTAGE_ESTIMATOR_NAMES)[number];
export type PhaseScheduleName = (typeof PHASE_SCHEDULE_NAMES)[number];
export type PhaseName = (typeof PHASE_NAMES)[number];
export type LrScheduleName = (typeof LR_SCHEDULE_NAMES)[number];
export type RewardName = (typeof REWARD_NAMES)[number];
export type HeadKind = (typeof HEAD_KINDS)[number];
export type PolicyName = (typeof TEMPERATURE_POLICY_NAMES)[number];
export type TaskName = (typeof TASK_NAMES)[number];
export type Split = (typeof SPLIT_NAMES)[number];
export type ArchName = (typeof ARCHITECTURE_NAMES)[number];
export type ArithmeticOperation = (typeof ARITHMETIC_OPERATIONS)[number];
export type BudgetKind = (typeof BUDGET_KINDS)[number];
