import type * as tf from '@tensorflow/tfjs'
import type { Logger } from 'pino'
import type { BackendInfo } from './backend.js'
import type { OptimizerSpec } from './optimizer.js'
import type { Rng } from './rng.js'
import type { RolloutBatch } from './rl/rollouts.js'
import type { Batch, Capability, ForwardOutput, LossParts, Metrics, TaskDefinition, TaskInstance } from './task.js'
import type { RunResult } from './result.js'

/** JSON-serialisable trick state, for checkpoints. */
export type TrickState = Record<string, unknown>

/** What `setup` may run: its own training phase, whose optimizer steps count towards the run's steps. */
export interface PhaseSpec {
  readonly name: string
  readonly steps: number
  readonly variables: readonly tf.Variable[]
  readonly optimizer: tf.Optimizer
  /** Synchronous loss for phase step `i` (runs inside the tape). */
  loss(i: number): tf.Scalar
}

/** Handed to every hook outside the tape. */
export interface RunContext {
  readonly seed: number
  /** Optimizer steps taken so far, setup phases included. */
  readonly step: number
  readonly maxSteps: number
  readonly task: TaskDefinition
  readonly instance: TaskInstance
  readonly backend: BackendInfo
  readonly log: Logger
  /** The learning rate of the task's (or trick's) optimizer before any schedule. */
  readonly baseOptimizer: OptimizerSpec
  /** A seeded stream for `purpose`, independent of the data and init streams. */
  rng(purpose: string): Rng
  /** Ends the run after the current step; the reason is recorded. */
  stop(reason: string): void
  /** Setup only: adds trainable variables (e.g. a projection head) that the main optimizer updates too. */
  addTrainableVariables(variables: readonly tf.Variable[]): void
  /** Setup only: runs a training phase; its steps count. */
  runPhase(phase: PhaseSpec): Promise<void>
}

/** Handed to hooks inside a training step. */
export interface StepContext extends RunContext {
  readonly batch: Batch
  /** Which optimizer update on this batch (0-based; tasks with `updatesPerBatch` > 1 reuse a batch). */
  readonly update: number
}

/** What `afterStep` sees once the optimizer step is done. */
export interface StepReport {
  /** The step just taken (1-based: after this report, `step` optimizer steps have run). */
  readonly step: number
  readonly loss: number
  readonly lossParts: Readonly<Record<string, number>>
  readonly learningRate: number
  readonly sources: readonly string[]
  readonly rollouts?: RolloutBatch
}

/**
 * A trick: a plain object with a name and the hooks it needs (like a Rollup plugin).
 * Hooks run in the order the tricks are given; hooks whose name starts with `after`, and `end`, run
 * in reverse order so each trick can undo its own change (Composer's FILO rule). Hooks inside the
 * gradient tape (`beforeForward`, `afterForward`, `loss`) must be synchronous.
 */
export interface Trick {
  readonly name: string
  /** The options it was made with, recorded in results. */
  readonly options?: Readonly<Record<string, unknown>>
  readonly requires?: readonly Capability[]
  setup?(ctx: RunContext): void | Promise<void>
  /** Exclusive: supplies the optimizer for `variables`. `base` is the task's optimizer spec. */
  optimizer?(ctx: RunContext, variables: readonly tf.Variable[], base: OptimizerSpec): tf.Optimizer
  /** Chained: the learning rate for the coming step, from the one the previous trick returned. */
  learningRate?(ctx: RunContext, lr: number): number
  /** Exclusive: one source per batch slot for the coming step. */
  sampleSource?(ctx: RunContext, sources: readonly string[], slots: number): readonly string[]
  /** RL: rewrite observed rewards (or set advantages) before the loss. */
  rewards?(ctx: StepContext, rollouts: RolloutBatch): RolloutBatch | void
  beforeForward?(ctx: StepContext, batch: Batch): void
  afterForward?(ctx: StepContext, out: ForwardOutput): void
  /** Chained: add or recombine named loss terms. */
  loss?(ctx: StepContext, parts: LossParts): LossParts
  /** Chained: gradients by variable name, before the optimizer step. Return new tensors or nothing. */
  afterBackward?(ctx: StepContext, grads: tf.NamedTensorMap): tf.NamedTensorMap | void
  afterStep?(ctx: RunContext, report: StepReport): void | Promise<void>
  evaluate?(ctx: RunContext, metrics: Metrics): void | Promise<void>
  end?(ctx: RunContext, result: RunResult): void | Promise<void>
  state?(): TrickState
  loadState?(state: TrickState): void
  /** Frees tensors the trick owns; called once when the run ends. */
  dispose?(): void
}

export type HookName =
  | 'setup'
  | 'optimizer'
  | 'learningRate'
  | 'sampleSource'
  | 'rewards'
  | 'beforeForward'
  | 'afterForward'
  | 'loss'
  | 'afterBackward'
  | 'afterStep'
  | 'evaluate'
  | 'end'

/** Every hook in the order the loop calls them within a run/step. */
export const HOOK_ORDER: readonly HookName[] = [
  'setup',
  'optimizer',
  'learningRate',
  'sampleSource',
  'rewards',
  'beforeForward',
  'afterForward',
  'loss',
  'afterBackward',
  'afterStep',
  'evaluate',
  'end',
]

/** At most one trick may implement these. */
export const EXCLUSIVE_HOOKS: readonly HookName[] = ['optimizer', 'sampleSource']

/** These run in reverse trick order. */
export const REVERSED_HOOKS: readonly HookName[] = ['afterForward', 'afterBackward', 'afterStep', 'end']

/** Helper for authors: gives a trick factory's result the right type without widening. */
export function defineTrick<T extends Trick>(trick: T): T {
  return trick
}

export type { ForwardOutput }
