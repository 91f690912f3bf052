/**
 * DUMP's UCB curriculum on the rl-arithmetic bench task: a mixture of two saturating, two
 * learnable and two out-of-reach sources. Trains once with uniform source sampling and once with
 * the curriculum (same seed), and prints steps and rollouts to the target and where the batch slots
 * went.
 *
 *   npx tsx examples/ucb-curriculum.ts [seed]
 */
import { train, type Trick } from '@converge/core'
import { rlArithmetic } from '@converge/tasks'
import { allocationRecorder, ucbCurriculum, type AllocationLog } from '@converge/ucb-curriculum'
import { HELPFUL_MIXTURE } from '@converge/ucb-curriculum/bench'

const seed = Number(process.argv[2] ?? 1)
const task = rlArithmetic({ sources: HELPFUL_MIXTURE, prompts: 16, groupSize: 8, learningRate: 1e-2, targetAccuracy: 0.9 })

for (const [label, trick] of [
  ['uniform', allocationRecorder()],
  ['ucb curriculum', ucbCurriculum()],
] as [string, Trick & { allocation: AllocationLog }][]) {
  const result = await train({ task, tricks: [trick], seed, maxSteps: 1000, evalEvery: 25, backend: 'wasm', stopAtTarget: true, log: 'warn' })
  const steps = result.stepsToTarget
  const shares = Object.entries(trick.allocation.shares())
    .map(([s, v]) => `${s} ${(100 * v).toFixed(0)}%`)
    .join(', ')
  console.log(
    `${label.padEnd(15)} steps-to-target (macro accuracy ≥ ${result.target.value}): ${steps ?? 'not reached'}` +
      (steps === null ? '' : `  (${steps * task.rolloutsPerStep} rollouts)`) +
      `  ${(result.trainMs / result.steps).toFixed(1)} ms/step\n${''.padEnd(16)}slots: ${shares}`,
  )
}
