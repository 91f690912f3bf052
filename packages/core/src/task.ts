import type * as tf from '@tensorflow/tfjs'
import type { Logger } from 'pino'
import type { OptimizerSpec } from './optimizer.js'
import type { Rng, SeedStreams } from './rng.js'
import type { RolloutBatch } from './rl/rollouts.js'
import type { StepContext } from './trick.js'

/**
 * What a task offers tricks. A trick lists the ones it needs in `requires`; a mismatch fails
 * before step 0. Known names: 'hiddenStates' (forward output carries named hidden states),
 * 'querySets' (set-prediction outputs with object queries), 'rewards' (RL rollouts with verifier
 * rewards), 'sources' (several named data sources), 'generative' (a denoising/generative objective).
 */
export type Capability = 'hiddenStates' | 'querySets' | 'rewards' | 'sources' | 'generative' | (string & {})

/** The quality a run must reach: `metric` (from `evaluate`) at or past `value` in `direction`. */
export interface Target {
  readonly metric: string
  readonly direction: 'min' | 'max'
  readonly value: number
}

/** Named loss terms; the loop sums them last. */
export type LossParts = Record<string, tf.Scalar>

/** Evaluation results, numbers only (already read back from tensors). */
export type Metrics = Record<string, number>

/** A training batch. `sources` has one entry per batch slot: where that slot's data came from. */
export interface Batch {
  readonly sources: readonly string[]
  /** Present on RL tasks: the sampled completions with observed and clean rewards. */
  rollouts?: RolloutBatch
}

/** Whatever a task's forward pass returns; tricks that need more ask for a capability. */
export type ForwardOutput = object

export interface BatchRequest {
  /** Optimizer steps taken so far. */
  readonly step: number
  /** One source name per batch slot, chosen by the loop (or a sampleSource trick). */
  readonly sources: readonly string[]
  /** The run's data stream: same seed, same draws. */
  readonly rng: Rng
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
  /** Named data sources; a single-source task has one. */
  readonly sources: readonly string[]
  /** Batch slots per step: prompts for RL tasks; 1 for tasks that draw a whole batch from one source. */
  readonly batchSlots: number
  /**
   * Optimizer updates per batch (default 1). RL tasks with several inner epochs (PPO-style) reuse
   * one batch of rollouts for this many steps; sources are chosen, and `rewards` hooks run, once
   * per batch. Every update counts as a step.
   */
  readonly updatesPerBatch?: number
  /** Draws the next batch. Tensors in its top-level fields belong to the loop, which frees them after the step. */
  batch(request: BatchRequest): B | Promise<B>
  /** Runs inside the gradient tape: synchronous, tensors only. */
  forward(batch: B, ctx: StepContext): O
  /** Runs inside the gradient tape: synchronous. */
  loss(out: O, batch: B, ctx: StepContext): LossParts
  /** Evaluates on the fixed held-out set. Not counted in wall time. */
  evaluate(): Metrics | Promise<Metrics>
  /** RL tasks: per-response advantages from the rollouts after `rewards` hooks (unless a hook set them). */
  advantages?(rollouts: RolloutBatch): Float32Array
  /** Releases the task's tensors and variables. */
  dispose(): void
}

/**
 * A task description: what to build and how it is judged. `create` is called once per run with
 * the run's seed streams, so one definition serves many seeds and arms.
 */
export interface TaskDefinition<B extends Batch = Batch, O extends ForwardOutput = ForwardOutput> {
  readonly name: string
  /** The options it was made with, recorded in results. */
  readonly options: Readonly<Record<string, unknown>>
  readonly capabilities: readonly Capability[]
  readonly target: Target
  /** The optimizer a run uses when no trick supplies one. */
  readonly optimizer: OptimizerSpec
  create(init: TaskInit): TaskInstance<B, O> | Promise<TaskInstance<B, O>>
}

/** True when `value` meets `target`. */
export function meetsTarget(value: number, target: Target): boolean {
  return target.direction === 'max' ? value >= target.value : value <= target.value
}
