import * as tf from '@tensorflow/tfjs'
import type { Trick } from '../trick.js'
import type { ForwardOutput, LossParts } from '../task.js'
import { describeValue } from '../describe-value.js'
import { ContractError } from '../errors.js'
import { checkLossParts, sumLossParts, type LossReadout } from './loss-terms.js'
import type { ActivePhase, Run } from './run.js'

/** What the tape leaves for the rest of the step: gradients and one tensor to read the loss terms from. */
export interface TapeResult {
  readonly grads: tf.NamedTensorMap
  readonly readout: tf.Tensor
  readonly names: readonly string[]
  readonly reported: ReadonlySet<string>
}

/**
 * Forward, loss and gradients for one step, inside `tf.tidy` so nothing but the gradients and the
 * readout outlives it, even when task or trick code throws.
 *
 * Main phase: beforeForward → objective trick ?? (task.forward → task.loss) → afterForward
 * (reverse) → loss hooks. Setup phase: the phase's objective alone.
 */
export function recordTape(run: Run, phase: ActivePhase): TapeResult {
  let summary: LossReadout | null = null
  try {
    const grads = tf.tidy(() => {
      return tf.variableGrads(() => {
        const parts = phase.objective ? checkLossParts(phase.objective(run.batch), null, `phase "${phase.name}" of trick "${phase.owner?.name}"`) : mainLoss(run)
        summary = sumLossParts(parts, phase.objective ? `phase "${phase.name}"` : `task "${run.o.task.name}" and its tricks`)
        tf.keep(summary.readout)
        return summary.total
      }, phase.variables as tf.Variable[]).grads
    })
    const s = summary as unknown as LossReadout
    return { grads, readout: s.readout, names: s.names, reported: s.reported }
  } catch (e) {
    ;(summary as LossReadout | null)?.readout.dispose()
    releaseAbandonedTape()
    throw e
  }
}

/**
 * tfjs keeps the tensors a gradient tape saved until the backward pass frees them; when the
 * forward throws, no backward pass runs and they would leak. Frees them and closes the tape.
 */
function releaseAbandonedTape(): void {
  const state = (tf.engine() as unknown as { state: { gradientDepth: number; activeTape: { saved?: tf.Tensor[] }[] | null } }).state
  if (state.gradientDepth !== 0 || !state.activeTape) return
  for (const node of state.activeTape) for (const t of node.saved ?? []) t.dispose()
  state.activeTape = null
}

function mainLoss(run: Run): LossParts {
  const { driver, instance } = run
  const batch = run.batch
  driver.notify('beforeForward', batch)
  let out: ForwardOutput
  let parts: LossParts
  const objective = driver.exclusive('objective')
  if (objective) {
    const who = `trick "${driver.owner('objective')?.name}"'s objective`
    const result = objective(batch)
    if (!result || typeof result !== 'object' || !('parts' in result)) {
      throw new ContractError(`${who} returned ${describeValue(result)}; expected { output, parts }`)
    }
    out = result.output
    parts = checkLossParts(result.parts, null, who)
  } else {
    out = instance.forward(batch, run.observer)
    parts = checkLossParts(instance.loss(out, batch, run.observer), null, `task "${run.o.task.name}"'s loss()`)
  }
  driver.notify('afterForward', out)
  let previous = parts
  return driver.chain('loss', parts, [out], (p: LossParts, t: Trick) => {
    previous = checkLossParts(p, previous, `trick "${t.name}"'s loss hook`)
  })
}
