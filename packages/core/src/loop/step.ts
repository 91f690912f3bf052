import * as tf from '@tensorflow/tfjs'
import { ContractError, NonFiniteLossError } from '../errors.js'
import { setLearningRate } from '../optimizer.js'
import type { StepReport } from '../step-report.js'
import type { Batch } from '../task.js'
import type { ActivePhase, Run } from './run.js'
import { deferrableOptimizer, settleLoss, splitLoss } from './deferred-loss.js'
import { gradChecker } from './grad-checks.js'
import { recordTape } from './tape.js'

/** A step's gradients and loss-term values, read back, ready for the after-backward hooks and the optimizer. */
interface StepGradients {
  readonly grads: tf.NamedTensorMap
  readonly values: ArrayLike<number>
  readonly names: readonly string[]
  readonly reported: ReadonlySet<string>
  readonly sources: readonly string[]
}

/**
 * One optimizer step of `phase`, as a training script would write it: set the learning rate,
 * draw a batch when the last one is used up, forward/loss/gradients in the tape, read the loss
 * (a non-finite loss stops the run before the weights change), after-backward hooks, the
 * optimizer step, then report. On webgpu with an optimizer that can guard its step on the GPU (the
 * fused Adam, FRUGAL's fused kernels) the loss is read one step late instead (deferred-loss.ts).
 * With `accumulate: k` (main phase), k micro-batches make one step (accumulateMicroBatches).
 */
export async function takeStep(run: Run, phase: ActivePhase): Promise<void> {
  const { driver } = run
  const started = performance.now()

  // -- learning rate: chained from the phase's base rate ------------------------------------
  const lr = driver.chain('learningRate', phase.baseLearningRate, [], (value, t) => {
    if (!(typeof value === 'number' && value >= 0 && Number.isFinite(value))) {
      throw new ContractError(`trick "${t.name}"'s learningRate hook returned ${value} at step ${run.step}; expected a finite rate >= 0`)
    }
  })
  if (lr !== phase.currentLearningRate) setLearningRate(phase.optimizer, (phase.currentLearningRate = lr))

  const k = phase.objective ? 1 : run.o.accumulate
  const step = k > 1 ? await accumulateMicroBatches(run, phase, k) : await oneBatch(run, phase, lr, started)
  if (!step) return // the loss is read one step late (deferred-loss.ts); the step is done
  let grads = step.grads
  try {
    const { loss, lossParts, reported, termValues } = splitLoss(step.values, step.names, step.reported)
    if (!Number.isFinite(loss)) throw new NonFiniteLossError(run.step + 1, { ...lossParts, ...reported }, driver.tricks.map((t) => t.name))

    // -- after-backward hooks, then the optimizer step ---------------------------------------
    if (!driver.has('afterBackward')) phase.optimizer.applyGradients(grads)
    else {
      tf.tidy(() => {
        const g = driver.chain('afterBackward', grads, [], gradChecker(grads))
        phase.optimizer.applyGradients(g)
      })
    }

    // -- report ---------------------------------------------------------------------------
    run.step++
    phase.stepsTaken++
    run.losses.push(loss)
    run.terms.record(step.names, termValues, step.reported)
    const batch: Batch = run.batch
    const report: StepReport = {
      step: run.step,
      phase: { name: phase.name, step: phase.stepsTaken },
      loss,
      lossParts,
      reported,
      learningRate: lr,
      sources: step.sources,
      ...(batch.rollouts ? { rollouts: batch.rollouts } : {}),
    }
    const after = driver.notifyAsync('afterStep', report)
    if (after) await after
    const ms = performance.now() - started
    run.trainMs += ms // tricks' after-step work counts; observers do not
    run.o.onStep?.(report, run.observer)
    run.metricsFile?.step(report, ms)
    run.progress.step(run.step, phase.name, loss, lr, run.trainMs)
  } finally {
    tf.dispose(Object.values(grads))
    grads = {}
  }
}

/** Draws a batch when needed, runs beforeStep and records the tape: the step's batch-level work. */
async function drawAndRecord(run: Run, phase: ActivePhase) {
  if (phase.batches.needsBatch()) {
    const drawing = drawBatch(run, phase)
    if (drawing) await drawing
  }
  run.update = phase.batches.takeUpdate()
  const before = run.driver.notifyAsync('beforeStep')
  if (before) await before
  return recordTape(run, phase)
}

/** One batch's gradients and loss values; null when the step was taken with its loss read late. */
async function oneBatch(run: Run, phase: ActivePhase, lr: number, started: number): Promise<StepGradients | null> {
  const tape = await drawAndRecord(run, phase)
  /** The readout's read, when started here and not yet handed to run.pendingLoss. */
  let reading: Promise<ArrayLike<number>> | null = null
  try {
    // -- on webgpu with a guarding optimizer: the loss is read one step late (deferred-loss.ts) -----
    const guarded = deferrableOptimizer(run, phase, tape.grads)
    if (guarded) {
      try {
        reading = tape.readout.data()
        // The previous step's loss, read while the GPU works on this step's forward and backward.
        await settleLoss(run)
        guarded.guardNextStep(tape.readout)
        phase.optimizer.applyGradients(tape.grads)
      } finally {
        tf.dispose(Object.values(tape.grads))
      }
      run.step++
      phase.stepsTaken++
      run.pendingLoss = { step: run.step, phase: phase.name, learningRate: lr, names: tape.names, reported: tape.reported, readout: tape.readout, reading }
      reading = null
      run.trainMs += performance.now() - started
      return null
    }
    await settleLoss(run) // a step that reads at once follows one that read late
    let values: ArrayLike<number>
    try {
      values = run.syncReads ? tape.readout.dataSync() : await tape.readout.data()
    } finally {
      tape.readout.dispose()
    }
    return { grads: tape.grads, values, names: tape.names, reported: tape.reported, sources: run.batch.sources }
  } catch (e) {
    // A readout with a read in flight is freed when the read ends (tfjs writes the values onto it).
    if (reading) void reading.then(() => tape.readout.dispose(), () => tape.readout.dispose())
    else if (!tape.readout.isDisposed && run.pendingLoss?.readout !== tape.readout) tape.readout.dispose()
    if (!Object.values(tape.grads).some((g) => g.isDisposed)) tf.dispose(Object.values(tape.grads))
    throw e
  }
}

/**
 * Gradient accumulation: k micro-batches, each drawn and recorded as a step's batch would be
 * (sampleSource, task.batch, beforeStep and the in-tape hooks run per micro-batch), their
 * gradients and loss terms averaged, so for mean losses the step equals one on the k-times batch.
 * Learning rate, afterBackward, the optimizer step and afterStep run once: tricks see one step.
 */
async function accumulateMicroBatches(run: Run, phase: ActivePhase, k: number): Promise<StepGradients> {
  await settleLoss(run)
  let sum: tf.NamedTensorMap | null = null
  let values: number[] = []
  let names: readonly string[] = []
  let reported: ReadonlySet<string> = new Set()
  const sources: string[] = []
  try {
    for (let i = 0; i < k; i++) {
      const tape = await drawAndRecord(run, phase)
      let read: ArrayLike<number>
      try {
        read = run.syncReads ? tape.readout.dataSync() : await tape.readout.data()
      } finally {
        tape.readout.dispose()
      }
      if (run.batch.rollouts) {
        tf.dispose(Object.values(tape.grads))
        throw new ContractError(`task "${run.o.task.name}" draws RL rollouts; accumulate: ${k} supports batches without rollouts only`)
      }
      if (i === 0) [values, names, reported] = [Array.from(read), tape.names, tape.reported]
      else if (tape.names.join() !== names.join()) {
        tf.dispose(Object.values(tape.grads))
        throw new ContractError(`accumulate: micro-batch ${i + 1} of step ${run.step + 1} has loss terms [${tape.names.join(', ')}], the first had [${names.join(', ')}]; every micro-batch of a step must give the same terms`)
      } else for (let j = 0; j < values.length; j++) values[j]! += read[j] as number
      sources.push(...run.batch.sources)
      const previous: tf.NamedTensorMap | null = sum
      sum = previous ? tf.tidy(() => Object.fromEntries(Object.entries(tape.grads).map(([n, g]) => [n, tf.add(previous[n]!, g)]))) : tape.grads
      if (previous) tf.dispose([...Object.values(previous), ...Object.values(tape.grads)])
    }
    const total = sum as tf.NamedTensorMap
    const grads = tf.tidy(() => Object.fromEntries(Object.entries(total).map(([n, g]) => [n, tf.mul(g, 1 / k)])))
    tf.dispose(Object.values(total))
    sum = null
    // float32, as a single batch's read-back (and checkpoints) hold them
    return { grads, values: Float32Array.from(values, (v) => v / k), names, reported, sources }
  } catch (e) {
    if (sum) tf.dispose(Object.values(sum))
    throw e
  }
}

/**
 * Chooses sources, draws the batch from the task on the phase's stream, and (main phase, RL)
 * prepares rewards and advantages. Returns a promise only when the task's batch() does.
 */
function drawBatch(run: Run, phase: ActivePhase): Promise<void> | undefined {
  const sources = chooseSources(run, phase)
  const drawn = run.instance.batch({ step: run.step, sources, rng: phase.batches.dataRng, stream: phase.batches.name })
  if (drawn instanceof Promise) return drawn.then((batch) => useBatch(run, phase, batch))
  useBatch(run, phase, drawn)
  return undefined
}

function useBatch(run: Run, phase: ActivePhase, batch: Batch): void {
  if (!batch || typeof batch !== 'object' || !Array.isArray(batch.sources)) {
    throw new ContractError(`task "${run.o.task.name}": batch() must return an object with a "sources" array (one source per slot)`)
  }
  phase.batches.set(batch, phase.objective ? 1 : run.updatesPerBatch)
  if (batch.rollouts && !phase.objective) prepareRollouts(run, batch)
}

/** One source per batch slot: from the sampleSource trick (main phase), else the only source, else uniform draws. */
function chooseSources(run: Run, phase: ActivePhase): readonly string[] {
  const names = run.sourceNames
  const slots = run.batchSlots
  const sample = phase.objective ? undefined : run.driver.exclusive('sampleSource')
  if (sample) {
    const chosen = sample(names, slots)
    if (!Array.isArray(chosen) || chosen.length !== slots || chosen.some((s) => !names.includes(s))) {
      throw new ContractError(
        `trick "${run.driver.owner('sampleSource')?.name}" returned sources [${Array.isArray(chosen) ? chosen.join(', ') : String(chosen)}] from sampleSource; expected ${slots} names from [${names.join(', ')}]`,
      )
    }
    return chosen
  }
  if (names.length === 1) return Array.from({ length: slots }, () => names[0] as string)
  const rng = phase.batches.samplingRng
  return Array.from({ length: slots }, () => names[rng.int(names.length)] as string)
}

/** RL: `rewards` hooks rewrite the observed rewards; then advantages come from a hook or the task. */
function prepareRollouts(run: Run, batch: Batch): void {
  const rollouts = run.driver.chain('rewards', batch.rollouts!, [])
  if (!rollouts.advantages) {
    const advantages = run.instance.advantages
    if (!advantages) throw new ContractError(`task "${run.o.task.name}" produced rollouts but defines no advantages() and no trick set them`)
    rollouts.advantages = advantages.call(run.instance, rollouts)
  }
  batch.rollouts = rollouts
}
