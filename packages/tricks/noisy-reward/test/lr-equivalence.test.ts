import { describe, expect, it } from 'vitest'
import { train, type Trick } from '@converge/core'
import { rlArithmetic, type RlArithmeticOptions } from '@converge/tasks'
import { noisyReward } from '../src/index.js'

/**
 * With group-centred advantages at a fixed scale, backward correction multiplies every advantage
 * by 1/(1 − ρ0 − ρ1). The policy-gradient loss is linear in the advantages (and so is PPO's
 * clipped surrogate, for a positive factor), so under SGD the corrected run is the uncorrected
 * run at learning rate lr/(1 − ρ0 − ρ1), step for step. These tests show it, and where it stops.
 */
const TASK: RlArithmeticOptions = {
  sources: [
    { name: 'add3', range: 3 },
    { name: 'add4', range: 4 },
  ],
  prompts: 4,
  groupSize: 4,
  hidden: 8,
  verifier: { falseNegative: 0.3, falsePositive: 0.1 },
  targetAccuracy: 0.99,
}

/** The final weights and the evaluation history of a short SGD run. */
async function run(trick: Trick, learningRate: number, task: RlArithmeticOptions = TASK) {
  let weights: Float32Array[] = []
  const result = await train({
    task: rlArithmetic(task) as never,
    tricks: [trick],
    optimizer: { name: 'sgd', learningRate },
    maxSteps: 30,
    evalEvery: 10,
    seed: 3,
    backend: 'cpu',
    onEnd: (_r, ctx) => void (weights = ctx.variables.map((v) => v.dataSync() as Float32Array)),
  })
  return { weights, accuracy: result.history.map((h) => h.metrics.accuracy) }
}

const maxDiff = (a: Float32Array[], b: Float32Array[]) => Math.max(...a.map((w, i) => Math.max(...w.map((x, j) => Math.abs(x - b[i]![j]!)))))

describe('backward correction at a fixed advantage scale is a learning-rate rescale', () => {
  const lr = 0.5
  const factor = 1 / (1 - 0.1 - 0.3)
  it('backward at lr equals uncorrected at lr/(1 − ρ0 − ρ1), step for step', async () => {
    const corrected = await run(noisyReward({ correction: 'backward', rho0: 0.1, rho1: 0.3 }), lr)
    const rescaled = await run(noisyReward({ correction: 'none' }), lr * factor)
    const plain = await run(noisyReward({ correction: 'none' }), lr)
    expect(maxDiff(corrected.weights, rescaled.weights)).toBeLessThan(1e-4)
    expect(corrected.accuracy).toEqual(rescaled.accuracy)
    expect(maxDiff(corrected.weights, plain.weights)).toBeGreaterThan(1e-2) // the correction does change the run
  })
  it('also with PPO clipping (two updates per batch): the clipped surrogate is positively homogeneous in the advantages', async () => {
    const ppo = { ...TASK, updatesPerBatch: 2 }
    const corrected = await run(noisyReward({ correction: 'backward', rho0: 0.1, rho1: 0.3 }), lr, ppo)
    const rescaled = await run(noisyReward({ correction: 'none' }), lr * factor, ppo)
    expect(maxDiff(corrected.weights, rescaled.weights)).toBeLessThan(1e-4)
  })
  it('not with a KL penalty at a fixed coefficient: the reward scale trades against the KL term', async () => {
    const kl = { ...TASK, klCoef: 0.5 }
    const corrected = await run(noisyReward({ correction: 'backward', rho0: 0.1, rho1: 0.3 }), lr, kl)
    const rescaled = await run(noisyReward({ correction: 'none' }), lr * factor, kl)
    expect(maxDiff(corrected.weights, rescaled.weights)).toBeGreaterThan(1e-3)
    // ...but it is the uncorrected run at lr/(1 − ρ0 − ρ1) with the KL coefficient times (1 − ρ0 − ρ1).
    const both = await run(noisyReward({ correction: 'none' }), lr * factor, { ...kl, klCoef: 0.5 / factor })
    expect(maxDiff(corrected.weights, both.weights)).toBeLessThan(1e-4)
  })
  it('not with per-source rates: each source is scaled by its own factor, which no single rate reproduces', async () => {
    const perSource = { ...TASK, sources: [{ name: 'add3', range: 3, verifier: { falseNegative: 0.1 } }, { name: 'add4', range: 4, verifier: { falseNegative: 0.45 } }] }
    const corrected = await run(noisyReward({ correction: 'backward', rho1: { add3: 0.1, add4: 0.45 } }), lr, perSource)
    for (const f of [1 / 0.9, 1 / 0.55]) {
      const rescaled = await run(noisyReward({ correction: 'none' }), lr * f, perSource)
      expect(maxDiff(corrected.weights, rescaled.weights)).toBeGreaterThan(1e-3)
    }
  })
})
