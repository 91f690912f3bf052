import type * as tf from '@tensorflow/tfjs'
import { isLossGuarded, type LossGuardedOptimizer } from '../backends/loss-guard.js'
import { NonFiniteLossError } from '../errors.js'
import type { ActivePhase, Run } from './run.js'

/**
 * The loss read one step late. Reading a GPU value back costs a full round trip (copy, submit,
 * map: ~0.6 ms on Dawn even with no GPU work, more behind a busy queue), and awaiting it before
 * every optimizer step keeps the CPU idle while the GPU drains. Instead, step t starts reading its
 * loss and goes on; step t+1 awaits that read after recording its own forward and backward, so the
 * read overlaps real work.
 *
 * A non-finite loss must still stop the run at the step it happened, before the weights it
 * produced are used. Step t's update is therefore guarded on the GPU: the optimizer's fused kernels
 * skip it when step t's loss is not finite (LossGuardedOptimizer.guardNextStep: core's fused Adam,
 * FRUGAL's fused updates), so step t+1's forward
 * runs on the weights from before step t, and the NonFiniteLossError names step t when step t+1
 * reads it, before step t+1's own update.
 *
 * Used only where nothing can tell the difference: the main phase on webgpu with an optimizer that can guard the step,
 * no `afterStep` or `afterBackward` hooks (they see the step's loss or reshape its update), no
 * `onStep` observer and no checkpoints (they look at the state right after each step). The report
 * (losses, loss terms, progress log) then lags one step, and is complete before every evaluation
 * and at the end of the run.
 */

export interface PendingLoss {
  /** The step (1-based) whose loss this is. */
  readonly step: number
  readonly phase: string
  readonly learningRate: number
  readonly names: readonly string[]
  readonly reported: ReadonlySet<string>
  /** The readout tensor, kept until its read resolves (tfjs caches the values on it). */
  readonly readout: tf.Tensor
  readonly reading: Promise<ArrayLike<number>>
}

/** The optimizer that can guard this step on the GPU, when the step may read its loss late; else null. */
export function deferrableOptimizer(run: Run, phase: ActivePhase, grads: tf.NamedTensorMap): LossGuardedOptimizer | null {
  if (run.syncReads || phase.objective || phase.name !== 'main') return null
  if (run.o.onStep || run.metricsFile || run.checkpointer || run.driver.has('afterStep') || run.driver.has('afterBackward')) return null
  const optimizer = phase.optimizer
  return isLossGuarded(optimizer) && optimizer.canGuardStep(grads) ? optimizer : null
}

/**
 * Awaits the pending loss, if any: records it (losses, terms, progress), or throws
 * NonFiniteLossError for its step. Outside a step (`countTime`), the wait counts as training time.
 */
export async function settleLoss(run: Run, countTime = false): Promise<void> {
  const pending = run.pendingLoss
  if (!pending) return
  run.pendingLoss = null
  const started = performance.now()
  let values: ArrayLike<number>
  try {
    values = await pending.reading
  } finally {
    pending.readout.dispose()
  }
  if (countTime) run.trainMs += performance.now() - started
  const { loss, lossParts, reported, termValues } = splitLoss(values, pending.names, pending.reported)
  if (!Number.isFinite(loss)) throw new NonFiniteLossError(pending.step, { ...lossParts, ...reported }, run.driver.tricks.map((t) => t.name))
  run.losses.push(loss)
  run.terms.record(pending.names, termValues, pending.reported)
  run.progress.step(pending.step, pending.phase, loss, pending.learningRate, run.trainMs)
}

/** A readout's values as the step report holds them: the loss, the summed terms, the reported-only terms. */
export function splitLoss(values: ArrayLike<number>, names: readonly string[], reportedNames: ReadonlySet<string>) {
  const loss = values[0] as number
  const lossParts: Record<string, number> = {}
  const reported: Record<string, number> = {}
  const termValues = names.length === 1 ? [loss] : Array.from(values).slice(1)
  names.forEach((name, i) => ((reportedNames.has(name) ? reported : lossParts)[name] = termValues[i] as number))
  return { loss, lossParts, reported, termValues }
}

/** Frees a pending read's readout once the read has finished (a run that failed elsewhere). */
export function abandonPendingLoss(run: Run): void {
  const pending = run.pendingLoss
  if (!pending) return
  run.pendingLoss = null
  void pending.reading.then(
    () => pending.readout.dispose(),
    () => pending.readout.dispose(),
  )
}
