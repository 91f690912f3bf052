/**
 * `@converge/core`: what a training script and a trick author need. Backend internals are in
 * `@converge/core/backends`, GRPO primitives in `@converge/core/rl`, bench suite types in
 * `@converge/core/suite`, the trick contract test kit in `@converge/core/testing`.
 */

// Training
export { train } from './loop/train.js'
export { trainOptionsSchema, type TrainOptions } from './train-options.js'
export {
  stepsToTarget,
  bestMetric,
  costWeightedSteps,
  type RunResult,
  type EvalRecord,
  type AppliedTrick,
  type TraceEvent,
  type PhaseRecord,
  type ResumeInfo,
} from './result.js'
export type { StepReport } from './step-report.js'
export { useBackend, BACKEND_NAMES, type BackendName, type BackendInfo } from './backends/use-backend.js'
export { releaseWebgpu } from './backends/webgpu.js'
export { createOptimizer, setLearningRate, getLearningRate, optimizerSpecSchema, type OptimizerSpec } from './optimizer.js'
export { createLogger, silentLogger, type Logger, type LogLevel } from './logging.js'
export {
  routeParameters,
  isMatrixRoute,
  DEFAULT_ALWAYS_ADAM,
  type ParamInfo,
  type ParamRoute,
  type MatrixRoute,
  type RoutingOptions,
  type AdamReason,
} from './param-routing.js'
export { makeDir, makeWritableDir } from './files/make-dir.js'
export { checkTaskDefinition, targetSchema } from './task-checks.js'
export { taskCapabilities, checkRequiredCapabilities } from './task-capabilities.js'
export { validateTricks } from './hooks/validate-tricks.js'
export { ConvergeError, ConfigError, ContractError, BackendError, NonFiniteLossError } from './errors.js'

// Checkpoints
export { CheckpointError } from './checkpoint/errors.js'
export { listCheckpoints, readCheckpoint, CHECKPOINT_FORMAT, CHECKPOINT_VERSION, type CheckpointManifest, type LoadedCheckpoint } from './checkpoint/format.js'
export { loadCheckpointWeights } from './checkpoint/weights.js'
export { checkpointHistory } from './checkpoint/history.js'
export { DEFAULT_CHECKPOINT_EVERY } from './train-options.js'

// Export: trained weights in formats tfjs loads in any program
export { exportWeights, loadWeights, exportModel, exportedName } from './export/weights.js'
export { fileHandler, ExportError } from './export/file-handler.js'

// Tricks: the contract, the hook table, contexts and capabilities
export { defineTrick, type Trick, type TrickBase, type TrickState } from './trick.js'
export { HOOKS, HOOK_NAMES, type HookName, type HookKind, type HookSpec, type TrickHooks, type Objective } from './hooks/table.js'
export type { RunContext, SetupContext, StepContext, PhaseSpec, PhaseInfo, RunInfo, StepInfo } from './context.js'
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
export type { RolloutBatch } from './rl/rollouts.js'
export { parseOptions, closest as nearestName } from './parse-options.js'
export { createRng, SeedStreams, type Rng, type RngState } from './rng.js'

// Tasks
export { softmaxCrossEntropy } from './losses.js'
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
  type TaskState,
} from './task.js'
export {
  syntheticClassification,
  syntheticClassificationOptionsSchema,
  type SyntheticClassificationOptions,
  type ClassificationBatch,
  type ClassificationOutput,
} from './tasks/synthetic-classification.js'

// General tricks
export { lrWarmup, warmupFactor, lrWarmupOptionsSchema, type LrWarmupOptions } from './tricks/lr-warmup.js'
export {
  cosineSchedule,
  linearSchedule,
  wsdSchedule,
  stepSchedule,
  scheduleFactor,
  cosineScheduleOptionsSchema,
  linearScheduleOptionsSchema,
  wsdScheduleOptionsSchema,
  stepScheduleOptionsSchema,
  type CosineScheduleOptions,
  type LinearScheduleOptions,
  type WsdScheduleOptions,
  type StepScheduleOptions,
  type ScheduleSpec,
} from './tricks/lr-schedule.js'
export { earlyStopping, improves, earlyStoppingOptionsSchema, type EarlyStoppingOptions, type BestEvaluation } from './tricks/early-stopping.js'
export { ema, emaOptionsSchema, type EmaOptions } from './tricks/ema.js'
export { gradClip, clipByGlobalNorm, globalNorm, gradClipOptionsSchema, type GradClipOptions } from './tricks/grad-clip.js'
