export { train } from './train.js'
export { trainOptionsSchema, type TrainOptions } from './train-options.js'
export {
  defineTrick,
  HOOK_ORDER,
  EXCLUSIVE_HOOKS,
  REVERSED_HOOKS,
  type Trick,
  type TrickState,
  type HookName,
  type RunContext,
  type StepContext,
  type StepReport,
  type PhaseSpec,
} from './trick.js'
export {
  meetsTarget,
  type Batch,
  type BatchRequest,
  type Capability,
  type ForwardOutput,
  type LossParts,
  type Metrics,
  type Target,
  type TaskDefinition,
  type TaskInit,
  type TaskInstance,
} from './task.js'
export { stepsToTarget, bestMetric, type RunResult, type EvalRecord, type AppliedTrick, type TraceEvent } from './result.js'
export { useBackend, activeBackend, BACKEND_NAMES, type BackendName, type BackendInfo, type UseBackendOptions } from './backend.js'
export {
  installWasmKernelFixes,
  uninstallWasmKernelFixes,
  wasmKernelFixesInstalled,
  installComparisonGradients,
  CPU_FALLBACK_KERNELS,
} from './backends/wasm-tuning.js'
export { releaseWebgpu, type WebgpuAdapterInfo } from './backends/webgpu.js'
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
