import type * as tf from '@tensorflow/tfjs'
import type { Logger } from 'pino'
import type { ProvidedCapabilities } from './capabilities/index.js'
import type { RunInfo, StepInfo } from './context.js'
import type { OptimizerSpec } from './optimizer.js'
import type { Rng, SeedStreams } from './rng.js'
import type { RolloutBatch } from './rl/rollouts.js'

/** The quality a run must reach: `metric` (from `evaluate`) at or past `value` in `direction`. */
export interface Target {
  readonly metric: string
  readonly direction: 'min' | 'max'
  readonly value: number
}

/** A loss term that is logged and recorded but not added to the loss (a diagnostic). */
export interface ReportedTerm {
  readonly reported: tf.Scalar
}

/** A named loss term: a scalar the loop adds to the loss, or a reported-only diagnostic. */
export type LossTerm = tf.Scalar | ReportedTerm

/** Named loss terms; the loop sums the scalars last and records every term. */
export type LossParts = Record<string, LossTerm>

/** Marks a scalar as a diagnostic: recorded with the loss parts, never summed into the loss. */
export function reportOnly(value: tf.Scalar): ReportedTerm {
  return { reported: value }
}

/** True for a reported-only term. */
export function isReported(term: LossTerm): term is ReportedTerm {
  return 'reported' in term
}

/** Evaluation results, numbers only (already read back from tensors). */
export type Metrics = Record<string, number>

/**
 * A training batch. `sources` has one entry per batch slot: where that slot's data came from.
 * Tensors the task puts in its top-level fields (or arrays there) belong to the loop, which frees
 * them once the batch is used up; variables are never freed by the loop.
 */
export interface Batch {
  readonly sources: readonly string[]
  /** Present on RL tasks: the sampled completions with observed and clean rewards. */
  rollouts?: RolloutBatch
}

/** Whatever a task's forward pass returns. Tricks read it only through the task's capabilities. */
export type ForwardOutput = object

export interface BatchRequest {
  /** Optimizer steps taken so far (all phases). */
  readonly step: number
  /** One source name per batch slot, chosen by the loop (or a sampleSource trick). */
  readonly sources: readonly string[]
  /** The stream's random numbers: same seed, same draws. */
  readonly rng: Rng
  /**
   * Which data stream asks: `main`, or `phase:<name>` for a setup phase. A task that keeps a
   * cursor between calls (e.g. an epoch order) keeps one per stream, so a warm-up phase never
   * shifts the main phase's data order.
   */
  readonly stream: string
}

export interface TaskInit {
  readonly seed: number
  readonly streams: SeedStreams
  readonly log: Logger
  /** Prefix a variable name so two live task instances never collide in tfjs's variable registry. */
  variableName(local: string): string
}

/** A live task: the model's variables and the data for one run. Made by `TaskDefinition.create`. */
export interface TaskInstance<B extends Batch = Batch, O extends ForwardOutput = ForwardOutput> {
  /** Trainable variables in a fixed order (optimizers index their slots by position). */
  readonly variables: readonly tf.Variable[]
  /** The typed APIs this instance offers tricks (see `Capabilities`). */
  readonly capabilities?: ProvidedCapabilities
  /**
   * Optimizer updates per batch (default 1). RL tasks with several inner epochs (PPO-style) reuse
   * one batch of rollouts for this many steps; sources are chosen, and `rewards` hooks run, once
   * per batch. Every update counts as a step.
   */
  readonly updatesPerBatch?: number
  /** Draws the next batch (see `Batch` for who frees its tensors). */
  batch(request: BatchRequest): B | Promise<B>
  /** Runs inside the gradient tape: synchronous, tensors only. */
  forward(batch: B, info: StepInfo): O
  /** Runs inside the gradient tape: synchronous. Every term must be a scalar. */
  loss(out: O, batch: B, info: StepInfo): LossParts
  /** Evaluates on the fixed held-out set. Not counted in training wall time. `info` is absent when called outside a run. */
  evaluate(info?: RunInfo): Metrics | Promise<Metrics>
  /** RL tasks: per-response advantages from the rollouts after `rewards` hooks (unless a hook set them). */
  advantages?(rollouts: RolloutBatch): Float32Array
  /**
   * What the instance keeps between calls beyond its variables and the run's seeded streams (a
   * data cursor, counters, estimator state), for checkpoints: JSON values, typed arrays and
   * tensors (copies the caller owns). A task that keeps nothing of the kind may omit it.
   */
  state?(): TaskState
  /** Restores what `state()` returned, in a freshly created instance. Copies tensors; never takes ownership. */
  loadState?(state: TaskState): void
  /** Releases the task's tensors and variables. */
  dispose(): void
}

/** A snapshot of a task instance's state between batches (see `TaskInstance.state`). */
export type TaskState = Record<string, unknown>

/**
 * A task description: what to build and how it is judged. `create` is called once per run with
 * the run's seed streams, so one definition serves many seeds and arms.
 */
export interface TaskDefinition<B extends Batch = Batch, O extends ForwardOutput = ForwardOutput> {
  readonly name: string
  /** The options it was made with, recorded in results. */
  readonly options: Readonly<Record<string, unknown>>
  readonly target: Target
  /** The optimizer a run uses when no trick supplies one. */
  readonly optimizer: OptimizerSpec
  create(init: TaskInit): TaskInstance<B, O> | Promise<TaskInstance<B, O>>
}

/** True when `value` meets `target`. */
export function meetsTarget(value: number, target: Target): boolean {
  return target.direction === 'max' ? value >= target.value : value <= target.value
}
