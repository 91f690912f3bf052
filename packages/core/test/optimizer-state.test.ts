import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { restoreOptimizer, snapshotOptimizer } from '../src/checkpoint/optimizer-state.js'
import { createOptimizer, type OptimizerSpec } from '../src/index.js'

beforeAll(async () => {
  await tf.setBackend('cpu')
})

let n = 0
/** Five steps of `spec` on a fresh variable with fixed gradients; returns the variable and optimizer. */
function trained(spec: OptimizerSpec, steps = 5) {
  const v = tf.variable(tf.tensor1d([1, -2, 3]), true, `opt-state-${++n}`)
  const optimizer = createOptimizer(spec)
  for (let i = 0; i < steps; i++) tf.tidy(() => optimizer.applyGradients({ [v.name]: tf.tensor1d([0.5, -0.25 * i, 1]) }))
  return { v, optimizer }
}

/** One more step on both; the results must be equal bit for bit. */
function nextStepEqual(a: ReturnType<typeof trained>, b: ReturnType<typeof trained>): boolean {
  tf.tidy(() => a.optimizer.applyGradients({ [a.v.name]: tf.tensor1d([0.3, 0.2, -0.1]) }))
  tf.tidy(() => b.optimizer.applyGradients({ [b.v.name]: tf.tensor1d([0.3, 0.2, -0.1]) }))
  return Array.from(a.v.dataSync()).every((x, i) => Object.is(x, b.v.dataSync()[i]))
}

describe('optimizer state in checkpoints', () => {
  it.each<OptimizerSpec>([
    { name: 'adam', learningRate: 0.01 },
    { name: 'sgd', learningRate: 0.1 },
    { name: 'momentum', learningRate: 0.1 },
    { name: 'rmsprop', learningRate: 0.01 },
  ])('$name continues exactly on a fresh optimizer, without leaking tensors', async (spec) => {
    const a = trained(spec)
    const b = trained(spec, 0)
    b.v.assign(a.v)
    const before = tf.memory().numTensors
    const snap = await snapshotOptimizer(a.optimizer)
    await restoreOptimizer(b.optimizer, snap, (name) => name.replace(a.v.name, b.v.name))
    tf.dispose([snap.weights.map((w) => w.tensor), Object.values(snap.extras)])
    const slots = spec.name === 'sgd' ? 0 : spec.name === 'rmsprop' ? 2 : spec.name === 'adam' ? 2 : 1
    expect(tf.memory().numTensors - before).toBe(slots) // b's slot variables, nothing else
    expect(nextStepEqual(a, b)).toBe(true)
  })

  it("Adam needs its β powers restored as they are: tfjs's setWeights alone recomputes them with pow() and drifts", async () => {
    const a = trained({ name: 'adam', learningRate: 0.01, beta2: 0.999 })
    const b = trained({ name: 'adam', learningRate: 0.01, beta2: 0.999 }, 0)
    b.v.assign(a.v)
    await b.optimizer.setWeights(await a.optimizer.getWeights()) // after 5 steps, pow(0.999, 6) ≠ the float32 product
    expect(nextStepEqual(a, b)).toBe(false)
  })

  it('refuses a snapshot of another optimizer class', async () => {
    const snap = await snapshotOptimizer(trained({ name: 'adam', learningRate: 0.01 }).optimizer)
    await expect(restoreOptimizer(createOptimizer({ name: 'sgd', learningRate: 0.1 }), snap, (x) => x)).rejects.toThrow(/holds the state of optimizer class Adam, but this run built SGD/)
  })
})
