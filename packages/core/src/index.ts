export { train } from './loop/train.js'
export { trainOptionsSchema, type TrainOptions } from './train-options.js'
export { defineTrick, type Trick, type TrickBase, type TrickState } from './trick.js'
export {
  HOOKS,
  HOOK_NAMES,
  type HookName,
  type HookKind,
  type HookSpec,
  type TrickHooks,
  type Objective,
  type ExclusiveHook,
  type ChainedHook,
  type NotifyHook,
} from './hooks/table.js'
export type { RunContext, SetupContext, StepContext, PhaseSpec, PhaseInfo, RunInfo, StepInfo } from './context.js'
export type { StepReport } from './step-report.js'
export {
  BUILT_IN_CAPABILITIES,
  type Capabilities,
  type Capability,
  type ProvidedCapabilities,
  type HiddenStates,
  type Generative,
  type QuerySets,
  type Rewards,
  type Sources,
  type TokenShape,
  type Match,
  type QueryForwardOptions,
  type SelfAttentionWrapper,
} from './capabilities/index.js'
export {
  meetsTarget,
  reportOnly,
  isReported,
  type Batch,
  type BatchRequest,
  type ForwardOutput,
  type LossParts,
  type LossTerm,
  type ReportedTerm,
  type Metrics,
  type Target,
  type TaskDefinition,
  type TaskInit,
  type TaskInstance,
} from './task.js'
export {
  stepsToTarget,
  bestMetric,
  costWeightedSteps,
  type RunResult,
  type EvalRecord,
  type AppliedTrick,
  type TraceEvent,
  type PhaseRecord,
} from './result.js'
export { describeValue } from './describe-value.js'
export {
  useBackend,
  activeBackend,
  useBackendOptionsSchema,
  BACKEND_NAMES,
  type BackendName,
  type BackendInfo,
  type UseBackendOptions,
} from './backend.js'
export {
  installWasmKernelFixes,
  uninstallWasmKernelFixes,
  wasmKernelFixesInstalled,
  CPU_FALLBACK_KERNELS,
  CPU_FALLBACK_REASONS,
  TRANSPOSE_FREE_KERNELS,
} from './backends/wasm-tuning.js'
export { installComparisonGradients, ZERO_GRADIENT_KERNELS } from './backends/comparison-gradients.js'
export { runOnCpu } from './backends/cpu-fallback.js'
export { releaseWebgpu, webgpuRunning, type WebgpuAdapterInfo } from './backends/webgpu.js'
export {
  resolveDawnSettings,
  webgpuOptionsSchema,
  DEFAULT_DAWN_FLAGS,
  WEBGPU_FEATURE_LEVELS,
  type DawnSettings,
  type WebgpuOptions,
  type WebgpuFeatureLevel,
} from './backends/dawn-settings.js'
export { createOptimizer, setLearningRate, getLearningRate, optimizerSpecSchema, type OptimizerSpec } from './optimizer.js'
export { createRng, SeedStreams, type Rng } from './rng.js'
export { parseOptions } from './options.js'
export { createLogger, readableDestination, silentLogger, type Logger, type LogLevel } from './logging.js'
export { ConvergeError, ConfigError, ContractError, BackendError, NonFiniteLossError } from './errors.js'
export { lrWarmup, warmupFactor, lrWarmupOptionsSchema, type LrWarmupOptions } from './tricks/lr-warmup.js'
export { gradClip, clipByGlobalNorm, globalNorm, gradClipOptionsSchema, type GradClipOptions } from './tricks/grad-clip.js'
export {
  syntheticClassification,
  syntheticClassificationOptionsSchema,
  type SyntheticClassificationOptions,
  type ClassificationBatch,
  type ClassificationOutput,
} from './tasks/synthetic-classification.js'
export type { RolloutBatch } from './rl/rollouts.js'
export {
  ADVANTAGE_NORMALIZATIONS,
  advantageOptionsSchema,
  createAdvantageEstimator,
  EmaScale,
  groupCentred,
  groupMeans,
  groupStds,
  groupZScores,
  type AdvantageEstimator,
  type AdvantageNormalization,
  type AdvantageOptions,
  type ResolvedAdvantageOptions,
} from './rl/advantages.js'
export {
  aggregateTokens,
  clipFraction,
  policyLoss,
  policyLossOptionsSchema,
  POLICY_LOSS_AGGREGATIONS,
  type PolicyLossAggregation,
  type PolicyLossInputs,
  type PolicyLossOptions,
} from './rl/policy-loss.js'
export { k3, k3Tensor, klPenalty, K3_CLAMP } from './rl/kl.js'
export {
  applyRewardChannel,
  AppealVerifier,
  appealVerifierSchema,
  isCleanChannel,
  parseRewardChannel,
  rewardChannelSchema,
  type AppealVerifierOptions,
  type RewardChannel,
  type RewardChannelOptions,
} from './rl/verifier.js'
