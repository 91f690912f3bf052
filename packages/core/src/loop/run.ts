import * as tf from '@tensorflow/tfjs'
import type { Logger } from 'pino'
import type { BackendInfo } from '../backends/use-backend.js'
import type { ProvidedCapabilities } from '../capabilities/index.js'
import type { PhaseInfo, PhaseSpec } from '../context.js'
import { ContractError } from '../errors.js'
import { TrickDriver } from '../hooks/driver.js'
import { createOptimizer, type OptimizerSpec } from '../optimizer.js'
import type { EvalRecord, PhaseRecord, TraceEvent } from '../result.js'
import { SeedStreams } from '../rng.js'
import type { Checkpointer, ResumePoint } from '../checkpoint/run-state.js'
import type { RngState } from '../rng.js'
import type { Batch, LossParts, Target, TaskInstance } from '../task.js'
import type { ResolvedTrainOptions } from '../train-options.js'
import type { Trick } from '../trick.js'
import { BatchStream } from './batches.js'
import { abandonPendingLoss, type PendingLoss } from './deferred-loss.js'
import { checkCapabilities, checkInstance } from './instance-checks.js'
import { LossTermLog } from './loss-terms.js'
import type { MetricsFile } from './metrics-file.js'
import { runSetupPhase } from './phases.js'
import { Progress } from './progress.js'
import { TrickContext } from './trick-context.js'

let runCounter = 0

/** A phase while it runs: what it trains, with which optimizer, on which data stream. */
export interface ActivePhase {
  readonly name: string
  readonly optimizer: tf.Optimizer
  readonly variables: readonly tf.Variable[]
  /** The rate the learning-rate hooks start from each step. */
  readonly baseLearningRate: number
  currentLearningRate: number
  readonly batches: BatchStream
  /** Set for setup phases: replaces the task's forward and loss and every in-tape hook. */
  readonly objective: ((batch: Batch) => LossParts) | null
  /** The trick that runs the phase (null for main). */
  readonly owner: Trick | null
  /** Steps taken before the phase began (restored on resume: a resumed run skips the phases before). */
  startStep: number
  readonly cost: number
  /** Steps taken in this phase. */
  stepsTaken: number
}

/**
 * One run's state, shared by the loop's parts (`step.ts`, `phases.ts`, `evaluation.ts`) and
 * viewed by every trick through its `TrickContext`.
 */
export class Run {
  readonly id = ++runCounter
  readonly streams: SeedStreams
  readonly target: Target
  readonly baseOptimizer: OptimizerSpec
  readonly driver: TrickDriver
  readonly syncReads: boolean
  readonly progress: Progress
  readonly observer: TrickContext
  private readonly contexts = new Map<Trick, TrickContext>()

  private instanceOrNull: TaskInstance | null = null
  capabilities: ProvidedCapabilities = {}
  sourceNames: readonly string[] = ['train']
  batchSlots = 1
  updatesPerBatch = 1

  step = 0
  update = 0
  active: ActivePhase | null = null
  stopReason: string | null = null
  /** The trick whose setup hook is running (it alone may add variables and run phases). */
  setupOwner: Trick | null = null
  readonly trainVariables: tf.Variable[] = []
  private readonly trickVariables: { owner: Trick; variables: readonly tf.Variable[] }[] = []
  private readonly phaseNames = new Set<string>(['main'])
  private readonly phaseOptimizers: tf.Optimizer[] = []

  readonly history: EvalRecord[] = []
  readonly losses: number[] = []
  readonly terms = new LossTermLog()
  readonly phases: PhaseRecord[] = []
  reachedAt: number | null = null
  trainMs = 0
  evalMs = 0
  /** Time spent writing checkpoints (counted in neither trainMs nor evalMs). */
  checkpointMs = 0

  /** The last step's loss while it is read one step late (deferred-loss.ts). */
  pendingLoss: PendingLoss | null = null

  /** The run's metrics file (when `metricsFile` is set). */
  metricsFile: MetricsFile | null = null

  /** Writes this run's checkpoints (when `checkpoint` is set). */
  checkpointer: Checkpointer | null = null
  /** The checkpoint being resumed, until the loop reaches the phase it was written in. */
  resuming: ResumePoint | null = null
  /** The streams' positions when the active phase began (a checkpoint rebuilds its optimizer from them). */
  phaseStartStreams: Record<string, RngState> = {}

  constructor(
    readonly o: ResolvedTrainOptions,
    tricks: readonly Trick[],
    readonly backend: BackendInfo,
    readonly log: Logger,
    trace: ((e: TraceEvent) => void) | null,
  ) {
    this.streams = new SeedStreams(o.seed)
    this.target = { ...o.task.target, ...o.target }
    this.baseOptimizer = o.optimizer ?? o.task.optimizer
    this.syncReads = backend.name !== 'webgpu'
    this.progress = new Progress(log, o.logEvery ?? Math.max(1, Math.round(o.maxSteps / 10)), o.maxSteps, (step, phase) => phase === 'main' && this.evaluatesAfter(step))
    this.observer = new TrickContext(this, null)
    for (const t of tricks) this.contexts.set(t, new TrickContext(this, t))
    this.driver = new TrickDriver(tricks, (t) => this.contextOf(t), () => this.step, trace)
  }

  /** The context a trick's hooks receive. */
  contextOf(trick: Trick): TrickContext {
    return this.contexts.get(trick) as TrickContext
  }

  get instance(): TaskInstance {
    if (!this.instanceOrNull) throw new ContractError('the task instance is not created yet')
    return this.instanceOrNull
  }

  get phase(): PhaseInfo {
    return { name: this.active?.name ?? 'main', step: this.active?.stepsTaken ?? 0 }
  }

  get batch(): Batch {
    if (!this.active) throw new ContractError('no batch outside a training step')
    return this.active.batches.batch
  }

  /** Whether the main loop evaluates after the step that brought the run to `step`. */
  evaluatesAfter(step: number): boolean {
    return step % this.o.evalEvery === 0 || step === this.o.maxSteps || this.stopReason !== null
  }

  stop(reason: string): void {
    this.stopReason ??= reason
  }

  /** Creates the task instance and checks it and the tricks' capabilities against it. */
  async createTask(): Promise<void> {
    const task = this.o.task
    const made: unknown = await task.create({
      seed: this.o.seed,
      streams: this.streams,
      log: this.log,
      variableName: (local) => `run${this.id}/${local}`,
    })
    checkInstance(made, task.name)
    this.instanceOrNull = made
    this.capabilities = made.capabilities ?? {}
    checkCapabilities(this.driver.tricks, task.name, this.capabilities)
    const sources = this.capabilities.sources
    if (sources) [this.sourceNames, this.batchSlots] = [sources.names, sources.slots]
    this.updatesPerBatch = made.updatesPerBatch ?? 1
    this.trainVariables.push(...made.variables)
  }

  /** Runs every setup hook in trick order; each may add variables and run phases. */
  async setup(): Promise<void> {
    await this.driver.callEach(
      'setup',
      (t) => (this.setupOwner = t),
      () => (this.setupOwner = null),
    )
  }

  addTrainableVariables(variables: readonly tf.Variable[], owner: Trick): void {
    if (!Array.isArray(variables) || variables.some((v) => !(v instanceof tf.Variable))) {
      throw new ContractError(`trick "${owner.name}": addTrainableVariables expects an array of tf.Variable`)
    }
    this.trainVariables.push(...variables)
    this.trickVariables.push({ owner, variables })
  }

  runPhase(spec: PhaseSpec, owner: Trick) {
    if (this.phaseNames.has(spec?.name)) throw new ContractError(`trick "${owner.name}": phase name "${spec.name}" is ${spec.name === 'main' ? 'reserved' : 'already used in this run'}`)
    this.phaseNames.add(spec?.name)
    return runSetupPhase(this, spec, owner)
  }

  /** A phase's data stream: its own data and sampling streams, so no phase shifts another's order. */
  batchStream(name: string): BatchStream {
    const key = name === 'main' ? '' : `:phase:${name}`
    return new BatchStream(name === 'main' ? 'main' : `phase:${name}`, this.streams.stream(`data${key}`), this.streams.stream(`sampling${key}`))
  }

  /** Builds a phase's optimizer: a trick's factory or a spec. The run frees it. */
  buildOptimizer(spec: OptimizerSpec | ((variables: readonly tf.Variable[]) => tf.Optimizer), variables: readonly tf.Variable[]): tf.Optimizer {
    const optimizer = typeof spec === 'function' ? spec(variables) : createOptimizer(spec)
    this.phaseOptimizers.push(optimizer)
    return optimizer
  }

  /** The main phase's optimizer: the `optimizer` trick's, else the run's spec. */
  mainOptimizer(): tf.Optimizer {
    const supply = this.driver.exclusive('optimizer')
    if (!supply) return this.buildOptimizer(this.baseOptimizer, this.trainVariables)
    const optimizer = supply(this.trainVariables, this.baseOptimizer)
    if (!(optimizer instanceof tf.Optimizer)) {
      throw new ContractError(`trick "${this.driver.owner('optimizer')?.name}": the optimizer hook must return a tf.Optimizer`)
    }
    this.phaseOptimizers.push(optimizer)
    return optimizer
  }

  beginPhase(phase: ActivePhase): void {
    this.active = phase
  }

  /**
   * At the start of a phase, before its optimizer is built: when resuming into this phase, the
   * streams go back to where they stood when it first began, so the optimizer is rebuilt the same.
   * Then records those positions for this run's own checkpoints.
   */
  markPhaseStart(): void {
    if (this.resuming) this.streams.loadState(this.resuming.phaseStartStreams)
    this.phaseStartStreams = this.streams.state()
  }

  /** When resuming into the phase that has just begun: restores the checkpoint. Returns whether it did. */
  async resumeHere(): Promise<boolean> {
    const point = this.resuming
    if (!point) return false
    this.resuming = null
    await point.restore(this)
    this.checkpointer?.resumedAt(this.step)
    this.log.info({ step: this.step, phase: this.active?.name, checkpoint: point.info.path }, 'resumed from checkpoint')
    return true
  }

  /** Ends the active phase: frees its batch (and a setup phase's optimizer) and records it. */
  endPhase(): PhaseRecord {
    const p = this.active as ActivePhase
    p.batches.release()
    if (p.owner) {
      p.optimizer.dispose()
      this.phaseOptimizers.splice(this.phaseOptimizers.indexOf(p.optimizer), 1)
    }
    const record: PhaseRecord = { name: p.name, startStep: p.startStep, endStep: this.step, cost: p.cost }
    this.phases.push(record)
    this.active = null
    return record
  }

  /** Frees what the run owns, whatever happened: batch, optimizers, tricks (reverse order), their variables, the task. */
  dispose(): void {
    abandonPendingLoss(this)
    this.resuming?.dispose()
    this.active?.batches.release()
    for (const o of this.phaseOptimizers) o.dispose()
    for (const t of [...this.driver.tricks].reverse()) t.dispose?.()
    for (const { variables } of this.trickVariables) for (const v of variables) if (!v.isDisposed) v.dispose()
    this.instanceOrNull?.dispose()
  }
}
