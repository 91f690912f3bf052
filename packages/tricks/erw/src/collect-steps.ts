import { costWeightedSteps, type RunResult, type Trick } from '@converge/core'
import type { RunExtras } from '@converge/core/suite'
import type { RepresentationAlignmentTrick } from './representation-alignment.js'

/** Warm-up steps and the run's cost-weighted steps to the task's own target (when reached), for the report. */
export function collectSteps(tricks: readonly Trick[], result: RunResult): RunExtras {
  const t = tricks[0] as RepresentationAlignmentTrick | undefined
  const warm = result.phases.find((p) => p.name === 'erw-warmup')
  const last = result.history.at(-1)?.metrics ?? {}
  return {
    warmupSteps: t?.warmupSteps?.() ?? 0,
    warmupCost: warm?.cost ?? 0,
    finalFd: last.fd ?? Number.NaN,
    finalSampleAcc: last.sampleAcc ?? Number.NaN,
    finalProbeAcc: last.probeAcc ?? Number.NaN,
    finalVloss: last.vloss ?? Number.NaN,
    ...(result.stepsToTarget !== null ? { weightedStepsToTaskTarget: costWeightedSteps(result.phases, result.stepsToTarget) } : {}),
  }
}
