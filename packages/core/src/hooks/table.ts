import type * as tf from '@tensorflow/tfjs'
import type { RunContext, SetupContext, StepContext } from '../context.js'
import type { OptimizerSpec } from '../optimizer.js'
import type { RunResult } from '../result.js'
import type { RolloutBatch } from '../rl/rollouts.js'
import type { StepReport } from '../step-report.js'
import type { Batch, ForwardOutput, LossParts, Metrics } from '../task.js'

/** What an `objective` hook returns: the forward output (for later hooks) and the loss terms. */
export interface Objective {
  readonly output: ForwardOutput
  readonly parts: LossParts
}

/**
 * Every hook a trick may implement, with its signature. The loop calls them where the comments in
 * `HOOKS` say; a run, as the loop reads (`packages/core/src/loop/train.ts`):
 *
 * ```
 * setup                                           once; may add variables and run phases
 *   (per phase step: learningRate, beforeStep, phase objective, afterBackward, afterStep)
 * optimizer                                       exclusive; else the run's optimizer spec
 * beforeEvaluate, task.evaluate, afterEvaluate, evaluate       at step 0
 * every step until maxSteps or stop():
 *   learningRate                                  chained from the base rate
 *   new batch: sampleSource, task.batch, rewards  once per batch (RL: then advantages)
 *   beforeStep                                    outside the tape; may await
 *   tape: beforeForward, objective ?? (task.forward, task.loss), afterForward, loss
 *   afterBackward, optimizer.applyGradients
 *   afterStep
 *   every evalEvery steps and at the end: beforeEvaluate … evaluate, then the target check
 * end                                             once, in trick order
 * ```
 */
export interface TrickHooks {
  setup(ctx: SetupContext): void | Promise<unknown>
  optimizer(ctx: RunContext, variables: readonly tf.Variable[], base: OptimizerSpec): tf.Optimizer
  learningRate(ctx: RunContext, lr: number): number
  sampleSource(ctx: RunContext, sources: readonly string[], slots: number): readonly string[]
  rewards(ctx: StepContext, rollouts: RolloutBatch): RolloutBatch | void
  beforeStep(ctx: StepContext): void | Promise<unknown>
  beforeForward(ctx: StepContext, batch: Batch): void
  objective(ctx: StepContext, batch: Batch): Objective
  afterForward(ctx: StepContext, out: ForwardOutput): void
  loss(ctx: StepContext, parts: LossParts, out: ForwardOutput): LossParts
  afterBackward(ctx: StepContext, grads: tf.NamedTensorMap): tf.NamedTensorMap | void
  afterStep(ctx: RunContext, report: StepReport): void | Promise<unknown>
  beforeEvaluate(ctx: RunContext): void | Promise<unknown>
  afterEvaluate(ctx: RunContext, metrics: Metrics): Metrics | void | Promise<Metrics | void>
  evaluate(ctx: RunContext, metrics: Metrics): void | Promise<unknown>
  end(ctx: RunContext, result: RunResult): void | Promise<unknown>
}

export type HookName = keyof TrickHooks

/**
 * - `exclusive`: at most one trick in a run may implement it (two is a ContractError).
 * - `chained`: each trick gets the value the previous one returned (returning nothing keeps it).
 * - `notify`: each trick is called; the return value is ignored.
 */
export type HookKind = 'exclusive' | 'chained' | 'notify'

export interface HookSpec {
  readonly kind: HookKind
  /** How often: once per run, per batch drawn, per optimizer step, per evaluation. */
  readonly when: 'run' | 'batch' | 'step' | 'evaluation'
  /** Runs inside the gradient tape: synchronous, tensors only. */
  readonly tape: boolean
  /** May return a Promise, which the loop awaits. */
  readonly async: boolean
  /** Runs in reverse trick order (the closing half of a before/after pair). */
  readonly reversed: boolean
  /** Also runs on the steps of setup phases. */
  readonly phases: boolean
  /** One line for the docs. */
  readonly summary: string
}

/** The hook table: order (the order the loop reaches them), kind and calling rules of every hook. */
export const HOOKS = {
  setup: { kind: 'notify', when: 'run', tape: false, async: true, reversed: false, phases: false, summary: 'once, before the optimizer is built; may add trainable variables and run phases' },
  optimizer: { kind: 'exclusive', when: 'run', tape: false, async: false, reversed: false, phases: false, summary: 'builds the optimizer for the trainable variables' },
  learningRate: { kind: 'chained', when: 'step', tape: false, async: false, reversed: false, phases: true, summary: 'the learning rate of the coming step, from the previous value' },
  sampleSource: { kind: 'exclusive', when: 'batch', tape: false, async: false, reversed: false, phases: false, summary: 'one source per batch slot for the next batch' },
  rewards: { kind: 'chained', when: 'batch', tape: false, async: false, reversed: false, phases: false, summary: 'RL: rewrite observed rewards, or set advantages' },
  beforeStep: { kind: 'notify', when: 'step', tape: false, async: true, reversed: false, phases: true, summary: 'before the tape; may read tensors asynchronously (e.g. matching costs)' },
  beforeForward: { kind: 'notify', when: 'step', tape: true, async: false, reversed: false, phases: false, summary: 'in the tape, before the forward pass' },
  objective: { kind: 'exclusive', when: 'step', tape: true, async: false, reversed: false, phases: false, summary: "replaces the task's forward and loss for a step" },
  afterForward: { kind: 'notify', when: 'step', tape: true, async: false, reversed: true, phases: false, summary: 'in the tape, sees the forward output' },
  loss: { kind: 'chained', when: 'step', tape: true, async: false, reversed: false, phases: false, summary: 'add or recombine named loss terms; sees the forward output' },
  afterBackward: { kind: 'chained', when: 'step', tape: false, async: false, reversed: true, phases: true, summary: 'gradients by variable name, before the optimizer step' },
  afterStep: { kind: 'notify', when: 'step', tape: false, async: true, reversed: true, phases: true, summary: 'the step report: loss terms, learning rate, sources, rollouts' },
  beforeEvaluate: { kind: 'notify', when: 'evaluation', tape: false, async: true, reversed: false, phases: false, summary: 'before each evaluation (e.g. swap in averaged weights)' },
  afterEvaluate: { kind: 'chained', when: 'evaluation', tape: false, async: true, reversed: true, phases: false, summary: 'after each evaluation, before the target check; may add metrics' },
  evaluate: { kind: 'notify', when: 'evaluation', tape: false, async: true, reversed: false, phases: false, summary: 'the recorded metrics of each evaluation' },
  end: { kind: 'notify', when: 'run', tape: false, async: true, reversed: false, phases: false, summary: 'once, with the run result' },
} as const satisfies { readonly [K in HookName]: HookSpec }

/** Every hook, in the order the loop reaches them. */
export const HOOK_NAMES = Object.keys(HOOKS) as readonly HookName[]

type HooksOfKind<Kind extends HookKind> = { [K in HookName]: (typeof HOOKS)[K]['kind'] extends Kind ? K : never }[HookName]
export type ExclusiveHook = HooksOfKind<'exclusive'>
export type ChainedHook = HooksOfKind<'chained'>
export type NotifyHook = HooksOfKind<'notify'>
