import * as tf from '@tensorflow/tfjs'
import { ContractError, NonFiniteLossError } from '../errors.js'
import { setLearningRate } from '../optimizer.js'
import type { StepReport } from '../step-report.js'
import type { Batch } from '../task.js'
import type { ActivePhase, Run } from './run.js'
import { deferrableOptimizer, settleLoss, splitLoss } from './deferred-loss.js'
import { gradChecker } from './grad-checks.js'
import { recordTape } from './tape.js'

/**
 * One optimizer step of `phase`, as a training script would write it: set the learning rate,
 * draw a batch when the last one is used up, forward/loss/gradients in the tape, read the loss
 * (a non-finite loss stops the run before the weights change), after-backward hooks, the
 * optimizer step, then report. On webgpu with an optimizer that can guard its step on the GPU (the
 * fused Adam, FRUGAL's fused kernels) the loss is read one step late instead (deferred-loss.ts).
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

  // -- data: a new batch once the current one has served its updates ------------------------
  if (phase.batches.needsBatch()) {
    const drawing = drawBatch(run, phase)
    if (drawing) await drawing
  }
  run.update = phase.batches.takeUpdate()
  const before = driver.notifyAsync('beforeStep')
  if (before) await before

  // -- forward, loss and gradients --------------------------------------------------------
  const tape = recordTape(run, phase)
  let grads = tape.grads
  /** The readout's read, when started here and not yet handed to run.pendingLoss. */
  let reading: Promise<ArrayLike<number>> | null = null
  try {
    // -- on webgpu with a guarding optimizer: the loss is read one step late (deferred-loss.ts) -----
    const guarded = deferrableOptimizer(run, phase, grads)
    if (guarded) {
      reading = tape.readout.data()
      // The previous step's loss, read while the GPU works on this step's forward and backward.
      await settleLoss(run)
      guarded.guardNextStep(tape.readout)
      phase.optimizer.applyGradients(grads)
      run.step++
      phase.stepsTaken++
      run.pendingLoss = { step: run.step, phase: phase.name, learningRate: lr, names: tape.names, reported: tape.reported, readout: tape.readout, reading }
      reading = null
      run.trainMs += performance.now() - started
      return
    }
    await settleLoss(run) // a step that reads at once follows one that read late

    let values: ArrayLike<number>
    try {
      values = run.syncReads ? tape.readout.dataSync() : await tape.readout.data()
    } finally {
      tape.readout.dispose()
    }
    const { loss, lossParts, reported, termValues } = splitLoss(values, tape.names, tape.reported)
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
    run.terms.record(tape.names, termValues, tape.reported)
    const batch: Batch = run.batch
    const report: StepReport = {
      step: run.step,
      phase: { name: phase.name, step: phase.stepsTaken },
      loss,
      lossParts,
      reported,
      learningRate: lr,
      sources: batch.sources,
      ...(batch.rollouts ? { rollouts: batch.rollouts } : {}),
    }
    const after = driver.notifyAsync('afterStep', report)
    if (after) await after
    run.trainMs += performance.now() - started // tricks' after-step work counts; observers do not
    run.o.onStep?.(report, run.observer)
    run.progress.step(run.step, phase.name, loss, lr, run.trainMs)
  } catch (e) {
    // A readout with a read in flight is freed when the read ends (tfjs writes the values onto it).
    if (reading) void reading.then(() => tape.readout.dispose(), () => tape.readout.dispose())
    else if (!tape.readout.isDisposed && run.pendingLoss?.readout !== tape.readout) tape.readout.dispose()
    throw e
  } finally {
    tf.dispose(Object.values(grads))
    grads = {}
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
