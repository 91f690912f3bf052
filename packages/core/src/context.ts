import type * as tf from '@tensorflow/tfjs'
import type { Logger } from 'pino'
import type { BackendInfo } from './backends/use-backend.js'
import type { Capabilities, Capability } from './capabilities/index.js'
import type { OptimizerSpec } from './optimizer.js'
import type { PhaseRecord } from './result.js'
import type { Rng } from './rng.js'
import type { Batch, LossParts, Metrics, TaskDefinition, Target } from './task.js'

/** The phase a step belongs to: `main`, or a setup phase a trick runs (e.g. a warm-up). */
export interface PhaseInfo {
  readonly name: string
  /**
   * Steps taken in this phase so far. Schedules count from here: each phase starts its own
   * optimizer, so a learning-rate warmup restarts with it (see docs/architecture.md).
   */
  readonly step: number
}

/** What the loop tells a task about the run (read-only). */
export interface RunInfo {
  readonly seed: number
  /** Optimizer steps taken so far, all phases included. */
  readonly step: number
  readonly maxSteps: number
  readonly phase: PhaseInfo
  readonly backend: BackendInfo
  readonly log: Logger
}

/** What the loop tells a task inside a training step. */
export interface StepInfo extends RunInfo {
  /** Which optimizer update on this batch (0-based; tasks with `updatesPerBatch` > 1 reuse a batch). */
  readonly update: number
  /**
   * Whether the backend reads tensors synchronously (every backend but WebGPU in Node). When
   * false, code in the tape must not call `dataSync`/`arraySync`; read in `beforeStep` instead.
   */
  readonly syncReads: boolean
}

/** Handed to a trick's hooks outside a training step. Each trick gets its own. */
export interface RunContext extends RunInfo {
  readonly task: TaskDefinition
  /** The target this run checks (the task's, with the run's overrides). */
  readonly target: Target
  /** The optimizer spec of the run before any schedule (the task's, or the run's override). */
  readonly baseOptimizer: OptimizerSpec
  /** The task's trainable variables, in order. */
  readonly variables: readonly tf.Variable[]
  /**
   * The task's API for a capability this trick lists in `requires` (checked before setup).
   * Asking for one it does not list is a ContractError.
   */
  capability<K extends Capability>(name: K): Capabilities[K]
  /** A seeded stream, independent of the data and init streams. Default purpose: the trick's name. */
  rng(purpose?: string): Rng
  /** A unique tfjs variable name for a variable this trick owns (`run<N>/trick/<trick>/<local>`). */
  variableName(local: string): string
  /**
   * Runs the task's evaluation on the variables as they are now and returns its metrics; nothing is
   * recorded and no hook runs. For tricks that evaluate other weights beside the run's own
   * evaluation (e.g. EMA: the live weights as well as the averaged ones).
   */
  evaluateModel(): Promise<Metrics>
  /** Ends the run after the current step (or phase step); the reason is recorded. */
  stop(reason: string): void
}

/** Handed to `setup` only: the one hook that may add variables and run phases. */
export interface SetupContext extends RunContext {
  /** Adds trainable variables (e.g. a projection head) that the main optimizer updates too; the run frees them at its end. */
  addTrainableVariables(variables: readonly tf.Variable[]): void
  /** Runs a training phase through the loop; its steps count towards maxSteps and steps-to-target. */
  runPhase(phase: PhaseSpec): Promise<PhaseRecord>
}

/** Handed to hooks inside a training step (and to phase objectives). */
export interface StepContext extends RunContext, StepInfo {
  readonly batch: Batch
}

/**
 * A training phase a trick runs from `setup` (e.g. ERW's representation warm-up). The loop draws
 * its batches from the task on the phase's own seeded stream, runs the learning-rate and
 * after-backward hooks, reports every step (tagged with the phase) and honours `stop()`.
 */
export interface PhaseSpec {
  /** Unique within the run; not `main`. */
  readonly name: string
  readonly steps: number
  /** What the phase trains. */
  readonly variables: readonly tf.Variable[]
  /**
   * The phase's optimizer: a spec (default: the run's base spec) or a factory. A fresh one is
   * built for the phase and freed when it ends.
   */
  readonly optimizer?: OptimizerSpec | ((variables: readonly tf.Variable[]) => tf.Optimizer)
  /** Cost of one step relative to a main-phase step (e.g. 2 of 6 blocks, no head: about 0.33). Default 1. */
  readonly cost?: number
  /** In the tape, synchronous: the phase's loss terms for a batch (other tricks' in-tape hooks do not run). */
  objective(ctx: StepContext, batch: Batch): LossParts
}
