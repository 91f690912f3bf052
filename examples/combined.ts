/**
 * Several tricks in one run: the UCB curriculum chooses which source each batch slot comes from,
 * and the core's learning-rate warmup and gradient-norm clipping steady the start, on the
 * rl-arithmetic mixture where the curriculum helps (two saturated, two learnable and two
 * out-of-reach sources). Prints steps-to-target with and without the tricks, the order the tricks
 * applied in, and which hooks ran in the first step.
 *
 * (Noisy-reward correction is left out on purpose: verifier noise makes saturated sources' groups
 * look mixed, so the curriculum chases them, and a correction rescales rewards without removing
 * that noise. See the noisy-reward and ucb-curriculum method cards.)
 *
 *   npx tsx examples/combined.ts [seed]
 */
import { gradClip, lrWarmup, train } from '@converge/core'
import { rlArithmetic } from '@converge/tasks'
import { ucbCurriculum } from '@converge/ucb-curriculum'
import { HELPFUL_MIXTURE } from '@converge/ucb-curriculum/bench'

const seed = Number(process.argv[2] ?? 1)
const task = rlArithmetic({ sources: HELPFUL_MIXTURE, learningRate: 1e-2, targetAccuracy: 0.9 })
const settings = { task, seed, maxSteps: 1500, evalEvery: 25, stopAtTarget: true } as const

const baseline = await train({ ...settings, tricks: [] })
const combined = await train({ ...settings, tricks: [lrWarmup({ steps: 20 }), gradClip({ maxNorm: 5 }), ucbCurriculum()], trace: true })
const rollouts = (steps: number | null) => (steps === null ? 'not reached' : `${steps} steps, ${steps * task.rolloutsPerStep} rollouts`)
console.log(`uniform sources, no tricks:          ${rollouts(baseline.stepsToTarget)}`)
console.log(`warmup + clipping + UCB curriculum:  ${rollouts(combined.stepsToTarget)}`)
console.log(`tricks in applied order: ${combined.tricks.map((t) => t.name).join(' → ')}`)
// Hooks before the step are traced at step 0; afterStep reports the step just taken (1).
const firstStep = combined.trace!.filter((e) => (e.step === 0 && !['setup', 'evaluate'].includes(e.hook)) || (e.step === 1 && e.hook === 'afterStep')).map((e) => e.label)
console.log(`hooks of the first step: ${firstStep.join(', ')}`)
