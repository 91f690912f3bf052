/**
 * Noisy-reward correction on the rl-arithmetic bench task: the verifier misses 40% of correct
 * answers. Trains with the clean verifier, the noisy one uncorrected, and the noisy one with
 * forward correction whose false-negative rate is estimated online from appeals, each with SGD at
 * its own swept learning rate (the bench suite's `MAIN_LR`: at one shared rate the correction is
 * mostly a larger step, which a tuned rate gives the uncorrected arm too — see the card), and
 * prints steps-to-target for three paired seeds (one seed can mislead: the estimate starts at 0).
 *
 *   npx tsx examples/noisy-reward.ts
 */
import { train } from '@converge/core'
import { rlArithmetic } from '@converge/tasks'
import { noisyReward } from '@converge/noisy-reward'
import { MAIN_LR } from '@converge/noisy-reward/bench'

const base = {
  sources: [
    { name: 'add4', range: 4 },
    { name: 'add6', range: 6 },
  ],
  appeal: { truePositiveRate: 1, falsePositiveRate: 0 },
  targetAccuracy: 0.8,
}
const arms = [
  { label: 'clean verifier', lr: MAIN_LR.clean!, task: () => rlArithmetic(base), trick: () => noisyReward({ correction: 'none' }) },
  { label: 'noisy, uncorrected', lr: MAIN_LR.noisy!, task: () => rlArithmetic({ ...base, verifier: { falseNegative: 0.4 } }), trick: () => noisyReward({ correction: 'none' }) },
  {
    label: 'noisy, corrected',
    lr: MAIN_LR['forward-rescaled-appeals']!,
    task: () => rlArithmetic({ ...base, verifier: { falseNegative: 0.4 } }),
    trick: () => noisyReward({ correction: 'forward', rho1: 'appeals', rescale: true, appeals: { rate: 0.25 } }),
  },
]
for (const arm of arms) {
  const steps: (number | null)[] = []
  let estimate = ''
  for (const seed of [1, 2, 3]) {
    const trick = arm.trick()
    const r = await train({ task: arm.task(), tricks: [trick], seed, maxSteps: 1000, evalEvery: 25, optimizer: { name: 'sgd', learningRate: arm.lr }, stopAtTarget: true })
    steps.push(r.stepsToTarget)
    if (trick.stats.appealCalls) estimate = `  estimated ρ1 ${trick.stats.rho1Trace.at(-1)!.toFixed(3)} (seed 3, ${trick.stats.appealCalls} appeals)`
  }
  console.log(`${arm.label.padEnd(20)} lr ${arm.lr}: steps to accuracy ≥ 0.8, seeds 1-3: ${steps.map((s) => s ?? 'not reached').join(', ')}${estimate}`)
}
