import * as tf from '@tensorflow/tfjs'
import type { PhaseSpec } from '../context.js'
import { describeValue } from '../describe-value.js'
import { CheckpointError } from '../checkpoint/errors.js'
import { ContractError } from '../errors.js'
import { getLearningRate, optimizerSpecSchema } from '../optimizer.js'
import { parseOptions } from '../parse-options.js'
import type { PhaseRecord } from '../result.js'
import type { Trick } from '../trick.js'
import type { Run } from './run.js'
import { takeStep } from './step.js'

/**
 * Runs a setup phase for `owner`: a fresh optimizer over the phase's variables, batches from the
 * task on the phase's own stream, the phase's objective in the tape, and the hooks whose table
 * entry says `phases: true` (learning rate, beforeStep, afterBackward, afterStep). Its steps count.
 */
export async function runSetupPhase(run: Run, spec: PhaseSpec, owner: Trick): Promise<PhaseRecord> {
  checkPhase(run, spec, owner)
  if (run.resuming) {
    // Resuming: a phase that had ended before the checkpoint is not run again; any other phase
    // must be the one the checkpoint was written in.
    const done = run.resuming.completedPhase(spec.name)
    if (done) return done
    if (run.resuming.activePhase !== spec.name) {
      throw new CheckpointError(
        `trick "${owner.name}" runs phase "${spec.name}", which the checkpoint (written in phase "${run.resuming.activePhase}") never reached; the tricks' setup differs from the run that wrote it`,
      )
    }
  }
  run.markPhaseStart()
  const optimizer = run.buildOptimizer(spec.optimizer ?? run.baseOptimizer, spec.variables)
  const baseLearningRate =
    typeof spec.optimizer === 'object' ? spec.optimizer.learningRate : (getLearningRate(optimizer) ?? run.baseOptimizer.learningRate)
  run.log.info({ phase: spec.name, steps: spec.steps, trick: owner.name }, 'phase start')
  run.beginPhase({
    name: spec.name,
    optimizer,
    variables: spec.variables,
    baseLearningRate,
    currentLearningRate: Number.NaN,
    batches: run.batchStream(spec.name),
    objective: (batch) => spec.objective(run.contextOf(owner), batch),
    owner,
    startStep: run.step,
    cost: spec.cost ?? 1,
    stepsTaken: 0,
  })
  await run.resumeHere()
  run.driver.inPhase = true
  try {
    const phase = run.active!
    while (phase.stepsTaken < spec.steps && run.stopReason === null) {
      await takeStep(run, phase)
      await run.checkpointer?.afterStep()
    }
  } finally {
    run.driver.inPhase = false
  }
  const record = run.endPhase()
  run.log.info({ phase: spec.name, steps: record.endStep - record.startStep }, 'phase end')
  return record
}

function checkPhase(run: Run, spec: PhaseSpec, owner: Trick): void {
  const who = `trick "${owner.name}": phase "${spec?.name}"`
  if (!spec || typeof spec !== 'object') throw new ContractError(`trick "${owner.name}": runPhase expects a phase spec, got ${describeValue(spec)}`)
  if (typeof spec.name !== 'string' || spec.name.length === 0) throw new ContractError(`trick "${owner.name}": a phase needs a non-empty string name, got ${describeValue(spec.name)}`)
  if (!Number.isInteger(spec.steps) || spec.steps < 0) throw new ContractError(`${who}: steps must be a non-negative integer, got ${describeValue(spec.steps)}`)
  if (run.step + spec.steps > run.o.maxSteps) {
    throw new ContractError(`${who} needs ${spec.steps} steps but only ${run.o.maxSteps - run.step} of maxSteps ${run.o.maxSteps} remain`)
  }
  if (!Array.isArray(spec.variables) || spec.variables.length === 0 || spec.variables.some((v) => !(v instanceof tf.Variable))) {
    throw new ContractError(`${who}: variables must be a non-empty array of tf.Variable`)
  }
  if (typeof spec.objective !== 'function') throw new ContractError(`${who}: objective must be a function (ctx, batch) => loss parts`)
  if (spec.cost !== undefined && !(typeof spec.cost === 'number' && spec.cost > 0 && Number.isFinite(spec.cost))) {
    throw new ContractError(`${who}: cost must be a finite number > 0, got ${describeValue(spec.cost)}`)
  }
  if (spec.optimizer !== undefined && typeof spec.optimizer !== 'function') parseOptions(optimizerSpecSchema, spec.optimizer, `${who}: optimizer`)
}
