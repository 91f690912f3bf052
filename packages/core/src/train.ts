import * as tf from '@tensorflow/tfjs'
import type { Logger } from 'pino'
import { useBackend, type BackendInfo } from './backend.js'
import { TrickEngine } from './engine.js'
import { ContractError, NonFiniteLossError } from './errors.js'
import { createLogger, silentLogger } from './logging.js'
import { createOptimizer, setLearningRate, type OptimizerSpec } from './optimizer.js'
import { parseOptions } from './options.js'
import type { AppliedTrick, EvalRecord, RunResult, TraceEvent } from './result.js'
import { SeedStreams, type Rng } from './rng.js'
import type { Batch, Metrics, Target, TaskDefinition, TaskInstance } from './task.js'
import { meetsTarget } from './task.js'
import { trainOptionsSchema, type ResolvedTrainOptions, type TrainOptions } from './train-options.js'
import type { PhaseSpec, StepContext, StepReport, Trick } from './trick.js'

let runCounter = 0

/**
 * Trains `options.task` with `options.tricks` and reports steps-to-target.
 *
 * Our own loop over `tf.variableGrads` + `optimizer.applyGradients`, each step inside `tf.tidy`,
 * so tricks can act between forward, loss, gradients and the optimizer step. Every option is
 * validated before any work; a requested backend that cannot start is an error.
 */
export async function train(options: TrainOptions): Promise<RunResult> {
  const o = parseOptions(trainOptionsSchema, options, 'train options')
  const traceEvents: TraceEvent[] | null = o.trace === true ? [] : null
  const sink = traceEvents ? (e: TraceEvent) => traceEvents.push(e) : typeof o.trace === 'function' ? o.trace : null
  const engine = new TrickEngine(o.tricks, o.task, sink) // contract errors before any work
  const log = typeof o.log === 'string' ? createLogger({ level: o.log, readable: true }) : (o.log ?? silentLogger)
  const backend = await useBackend(o.backend, { tunedWasm: o.tunedWasm })
  const run = new TrainingRun(o, engine, backend, log, traceEvents)
  try {
    return await run.execute()
  } finally {
    run.dispose()
  }
}

/** One run's mutable state; also the context object handed to every hook. */
class TrainingRun implements StepContext {
  readonly seed: number
  readonly maxSteps: number
  readonly task: TaskDefinition
  readonly target: Target
  readonly baseOptimizer: OptimizerSpec
  step = 0
  batch: Batch = { sources: [] }
  update = 0
  private batchLive = false
  private updatesLeft = 0
  private updatesPerBatch = 1
  private instanceOrNull: TaskInstance | null = null
  private optimizer: tf.Optimizer | null = null
  private readonly streams: SeedStreams
  private readonly extraVariables: tf.Variable[] = []
  private inSetup = false
  private stopReason: string | null = null
  private readonly history: EvalRecord[] = []
  private readonly losses: number[] = []
  private reachedAt: number | null = null
  private trainMs = 0
  private evalMs = 0
  private readonly logEvery: number
  /** Whether the backend can read tensors synchronously (all but WebGPU in Node): cheaper than awaiting. */
  private readonly syncReads: boolean
  private lastProgressAt = 0

  constructor(
    private readonly o: ResolvedTrainOptions,
    private readonly engine: TrickEngine,
    readonly backend: BackendInfo,
    readonly log: Logger,
    private readonly traceEvents: TraceEvent[] | null,
  ) {
    this.seed = o.seed
    this.maxSteps = o.maxSteps
    this.task = o.task
    this.target = { ...o.task.target, ...o.target }
    this.baseOptimizer = o.optimizer ?? o.task.optimizer
    this.streams = new SeedStreams(o.seed)
    this.logEvery = o.logEvery ?? Math.max(1, Math.round(o.maxSteps / 10))
    this.syncReads = backend.name !== 'webgpu'
  }

  get instance(): TaskInstance {
    if (!this.instanceOrNull) throw new ContractError('the task instance is not created yet')
    return this.instanceOrNull
  }

  rng(purpose: string): Rng {
    return this.streams.stream(`user:${purpose}`)
  }

  stop(reason: string): void {
    this.stopReason ??= reason
  }

  addTrainableVariables(variables: readonly tf.Variable[]): void {
    if (!this.inSetup) throw new ContractError('addTrainableVariables may only be called from a setup hook')
    this.extraVariables.push(...variables)
  }

  async execute(): Promise<RunResult> {
    const id = ++runCounter
    this.instanceOrNull = await this.task.create({
      seed: this.seed,
      streams: this.streams,
      log: this.log,
      variableName: (local) => `run${id}/${local}`,
    })
    this.log.info({ task: this.task.name, seed: this.seed, backend: this.backend.name, tricks: this.engine.tricks.map((t) => t.name).join(',') || 'none' }, 'run start')

    this.updatesPerBatch = this.instance.updatesPerBatch ?? 1
    if (!Number.isInteger(this.updatesPerBatch) || this.updatesPerBatch < 1) {
      throw new ContractError(`task "${this.task.name}": updatesPerBatch must be a positive integer, got ${this.updatesPerBatch}`)
    }
    this.inSetup = true
    for (const t of this.engine.having('setup')) {
      this.engine.traced(t, 'setup', this.step)
      await t.setup!(this)
    }
    this.inSetup = false

    const variables = [...this.instance.variables, ...this.extraVariables]
    const supplier = this.engine.exclusive('optimizer')
    if (supplier) this.engine.traced(supplier, 'optimizer', this.step)
    this.optimizer = supplier ? supplier.optimizer!(this, variables, this.baseOptimizer) : createOptimizer(this.baseOptimizer)

    await this.evaluate()
    let currentLr = Number.NaN
    while (this.step < this.maxSteps && this.stopReason === null) {
      const started = performance.now()
      let lr = this.baseOptimizer.learningRate
      for (const t of this.engine.having('learningRate')) {
        this.engine.traced(t, 'learningRate', this.step)
        lr = t.learningRate!(this, lr)
      }
      if (!(lr >= 0) || !Number.isFinite(lr)) throw new ContractError(`learning rate hooks produced ${lr} at step ${this.step}`)
      if (lr !== currentLr) setLearningRate(this.optimizer, (currentLr = lr))

      if (this.updatesLeft === 0) {
        if (this.batchLive) disposeBatchTensors(this.batch)
        this.batchLive = false
        this.batch = await this.instance.batch({ step: this.step, sources: this.chooseSources(), rng: this.streams.stream('data') })
        this.batchLive = true
        this.prepareRollouts()
        this.updatesLeft = this.updatesPerBatch
      }
      this.update = this.updatesPerBatch - this.updatesLeft
      const { loss, lossParts } = await this.takeStep(variables, this.optimizer)
      this.updatesLeft--
      this.step++

      const report: StepReport = {
        step: this.step,
        loss,
        lossParts,
        learningRate: lr,
        sources: this.batch.sources,
        ...(this.batch.rollouts ? { rollouts: this.batch.rollouts } : {}),
      }
      for (const t of this.engine.having('afterStep')) {
        this.engine.traced(t, 'afterStep', this.step)
        await t.afterStep!(this, report)
      }
      this.trainMs += performance.now() - started // tricks' after-step work counts; observers do not
      this.o.onStep?.(report, this)
      this.progress(loss, lr)
      if (this.step % this.o.evalEvery === 0 || this.step === this.maxSteps || this.stopReason !== null) await this.evaluate()
    }

    const result: RunResult = {
      task: { name: this.task.name, options: this.task.options },
      seed: this.seed,
      backend: this.backend,
      tricks: this.engine.tricks.map((t): AppliedTrick => ({ name: t.name, options: t.options ?? {} })),
      target: this.target,
      stepsToTarget: this.reachedAt,
      reached: this.reachedAt !== null,
      steps: this.step,
      maxSteps: this.maxSteps,
      evalEvery: this.o.evalEvery,
      history: this.history,
      losses: this.losses,
      trainMs: this.trainMs,
      evalMs: this.evalMs,
      stopReason: this.stopReason,
      ...(this.traceEvents ? { trace: this.traceEvents } : {}),
    }
    for (const t of this.engine.having('end')) {
      this.engine.traced(t, 'end', this.step)
      await t.end!(this, result)
    }
    this.log.info({ steps: this.step, stepsToTarget: this.reachedAt ?? 'not reached', trainMs: Math.round(this.trainMs) }, 'run end')
    return result
  }

  /** One source per batch slot: from the sampleSource trick, else the only source, else uniform draws. */
  private chooseSources(): readonly string[] {
    const { sources, batchSlots } = this.instance
    const sampler = this.engine.exclusive('sampleSource')
    if (sampler) {
      this.engine.traced(sampler, 'sampleSource', this.step)
      const chosen = sampler.sampleSource!(this, sources, batchSlots)
      if (chosen.length !== batchSlots || chosen.some((s) => !sources.includes(s))) {
        throw new ContractError(
          `trick "${sampler.name}" returned sources [${chosen.join(', ')}] from sampleSource; expected ${batchSlots} names from [${sources.join(', ')}]`,
        )
      }
      return chosen
    }
    if (sources.length === 1) return Array.from({ length: batchSlots }, () => sources[0] as string)
    const rng = this.streams.stream('sampling')
    return Array.from({ length: batchSlots }, () => sources[rng.int(sources.length)] as string)
  }

  /** RL: lets `rewards` hooks rewrite the observed rewards, then fills in advantages. */
  private prepareRollouts(): void {
    const rollouts = this.batch.rollouts
    if (!rollouts) return
    let current = rollouts
    for (const t of this.engine.having('rewards')) {
      this.engine.traced(t, 'rewards', this.step)
      current = t.rewards!(this, current) ?? current
    }
    if (!current.advantages) {
      if (!this.instance.advantages) {
        throw new ContractError(`task "${this.task.name}" produced rollouts but defines no advantages() and no trick set them`)
      }
      current.advantages = this.instance.advantages(current)
    }
    this.batch.rollouts = current
  }

  /** Forward, loss and gradients in the tape, after-backward hooks, then the optimizer step. */
  /**
   * Forward, loss and gradients in the tape; the loss parts are read back (asynchronously: WebGPU
   * in Node cannot read synchronously); then after-backward hooks and the optimizer step. A
   * non-finite loss stops the run before the weights change.
   */
  /**
   * Forward, loss and gradients in the tape; the loss parts are read back (synchronously where
   * the backend can, asynchronously on WebGPU in Node); then after-backward hooks and the optimizer
   * step. A non-finite loss stops the run before the weights change.
   */
  private async takeStep(variables: readonly tf.Variable[], optimizer: tf.Optimizer): Promise<StepOutcome> {
    const inst = this.instance
    let names: string[] = []
    const { readout, grads } = tf.tidy(() => {
      let stacked: tf.Tensor | null = null
      const { value, grads } = tf.variableGrads(() => {
        for (const t of this.engine.having('beforeForward')) {
          this.engine.traced(t, 'beforeForward', this.step)
          t.beforeForward!(this, this.batch)
        }
        const out = inst.forward(this.batch, this)
        for (const t of this.engine.having('afterForward')) {
          this.engine.traced(t, 'afterForward', this.step)
          t.afterForward!(this, out)
        }
        let parts = inst.loss(out, this.batch, this)
        for (const t of this.engine.having('loss')) {
          this.engine.traced(t, 'loss', this.step)
          parts = t.loss!(this, parts)
        }
        names = Object.keys(parts)
        if (names.length === 0) throw new ContractError(`task "${this.task.name}" and its tricks returned no loss terms`)
        const terms = Object.values(parts)
        if (terms.length === 1) return terms[0] as tf.Scalar
        const total = tf.addN(terms) as tf.Scalar
        // One read-back for the total and every part (a device sync costs more than the stack).
        stacked = tf.keep(tf.stack([total, ...terms]))
        return total
      }, variables as tf.Variable[])
      return { readout: stacked ?? value, grads }
    })
    try {
      let read: ArrayLike<number>
      try {
        read = this.syncReads ? readout.dataSync() : await readout.data()
      } finally {
        readout.dispose()
      }
      const values = read.length === 1 ? [read[0] as number, read[0] as number] : Array.from(read)
      const lossParts: Record<string, number> = {}
      names.forEach((n, i) => (lossParts[n] = values[i + 1] as number))
      const loss = values[0] as number
      if (!Number.isFinite(loss)) throw new NonFiniteLossError(this.step + 1, lossParts, this.engine.tricks.map((t) => t.name))
      const hooks = this.engine.having('afterBackward')
      if (hooks.length === 0) optimizer.applyGradients(grads)
      else {
        tf.tidy(() => {
          let g = grads
          for (const t of hooks) {
            this.engine.traced(t, 'afterBackward', this.step)
            g = t.afterBackward!(this, g) ?? g
          }
          optimizer.applyGradients(g)
        })
      }
      this.losses.push(loss)
      return { loss, lossParts }
    } finally {
      tf.dispose(Object.values(grads))
    }
  }

  async runPhase(phase: PhaseSpec): Promise<void> {
    if (!this.inSetup) throw new ContractError(`runPhase("${phase.name}") may only be called from a setup hook`)
    if (!Number.isInteger(phase.steps) || phase.steps < 0) throw new ContractError(`phase "${phase.name}": steps must be a non-negative integer, got ${phase.steps}`)
    if (this.step + phase.steps > this.maxSteps) {
      throw new ContractError(`phase "${phase.name}" needs ${phase.steps} steps but only ${this.maxSteps - this.step} of maxSteps ${this.maxSteps} remain`)
    }
    this.log.info({ phase: phase.name, steps: phase.steps }, 'phase start')
    for (let i = 0; i < phase.steps; i++) {
      const started = performance.now()
      const { value, grads } = tf.variableGrads(() => phase.loss(i), phase.variables as tf.Variable[])
      let loss: number
      try {
        loss = (await value.data())[0] as number
        if (!Number.isFinite(loss)) throw new NonFiniteLossError(this.step + 1, { [phase.name]: loss }, this.engine.tricks.map((t) => t.name))
        phase.optimizer.applyGradients(grads)
      } finally {
        tf.dispose([value, ...Object.values(grads)])
      }
      this.step++
      this.losses.push(loss)
      this.trainMs += performance.now() - started
      this.progress(loss, Number.NaN, phase.name)
    }
  }

  private progress(loss: number, lr: number, phase?: string): void {
    if (this.step - this.lastProgressAt < this.logEvery && this.step !== this.maxSteps) return
    this.lastProgressAt = this.step
    const msPerStep = this.trainMs / Math.max(1, this.step)
    this.log.info(
      { ...(phase ? { phase } : {}), loss, ...(Number.isNaN(lr) ? {} : { lr }), msPerStep, etaS: Math.round(((this.maxSteps - this.step) * msPerStep) / 1000) },
      `step ${this.step}/${this.maxSteps}`,
    )
  }

  private async evaluate(): Promise<void> {
    const started = performance.now()
    const metrics: Metrics = await this.instance.evaluate()
    const value = metrics[this.target.metric]
    if (value === undefined) {
      throw new ContractError(
        `target metric "${this.target.metric}" is not among task "${this.task.name}"'s metrics (${Object.keys(metrics).join(', ')})`,
      )
    }
    const record: EvalRecord = { step: this.step, metrics, trainMs: this.trainMs }
    this.history.push(record)
    if (this.reachedAt === null && meetsTarget(value, this.target)) {
      this.reachedAt = this.step
      this.log.info({ step: this.step, [this.target.metric]: value }, 'target reached')
      if (this.o.stopAtTarget) this.stop('target reached')
    }
    for (const t of this.engine.having('evaluate')) {
      this.engine.traced(t, 'evaluate', this.step)
      await t.evaluate!(this, metrics)
    }
    this.o.onEval?.(record, this)
    this.log.debug({ step: this.step, ...metrics }, 'eval')
    this.evalMs += performance.now() - started
  }

  dispose(): void {
    if (this.batchLive) disposeBatchTensors(this.batch)
    this.optimizer?.dispose()
    for (const t of this.engine.tricks) t.dispose?.()
    for (const v of this.extraVariables) v.dispose()
    this.instanceOrNull?.dispose()
  }
}

interface StepOutcome {
  readonly loss: number
  readonly lossParts: Record<string, number>
}

/** The loop owns a batch once `batch()` returns it: its tensors (top-level fields) are freed after the step. */
function disposeBatchTensors(batch: Batch): void {
  for (const value of Object.values(batch)) {
    if (value instanceof tf.Tensor) value.dispose()
    else if (Array.isArray(value)) for (const v of value) if (v instanceof tf.Tensor) v.dispose()
  }
}

export type { Trick }
