import { describe, expect, it } from 'vitest'
import * as tf from '@tensorflow/tfjs'
import { clipByGlobalNorm, globalNorm, gradClip, lrWarmup, train, warmupFactor } from '../src/index.js'
import { trickContractSuite } from '../src/testing/index.js'
import { smallTask } from './helpers.js'

describe('lrWarmup', () => {
  it('rises linearly to the base rate over `steps` steps, then stays', () => {
    expect([0, 1, 2, 3, 4, 10].map((s) => warmupFactor(s, 4))).toEqual([0.25, 0.5, 0.75, 1, 1, 1])
    expect(warmupFactor(0, 2, 0.5)).toBeCloseTo(0.75)
  })
  it('sets the optimizer learning rate each step', async () => {
    const lrs: number[] = []
    await train({ task: smallTask(), tricks: [lrWarmup({ steps: 4 })], maxSteps: 6, backend: 'cpu', optimizer: { name: 'adam', learningRate: 0.01 }, onStep: (r) => lrs.push(r.learningRate) })
    expect(lrs.map((l) => +l.toFixed(6))).toEqual([0.0025, 0.005, 0.0075, 0.01, 0.01, 0.01])
  })
  it('changes the update: the first step moves the weights less than without warmup', async () => {
    const first = async (tricks: never[] | ReturnType<typeof lrWarmup>[]) =>
      (await train({ task: smallTask(), tricks, maxSteps: 2, evalEvery: 1, backend: 'cpu', seed: 4 })).history[1]!.metrics.loss!
    const base = await first([])
    const warm = await first([lrWarmup({ steps: 100 })])
    const start = (await train({ task: smallTask(), maxSteps: 1, evalEvery: 1, backend: 'cpu', seed: 4 })).history[0]!.metrics.loss!
    expect(Math.abs(warm - start)).toBeLessThan(Math.abs(base - start))
  })
})

describe('gradClip', () => {
  it('clipByGlobalNorm caps the global norm and keeps the direction', () => {
    const grads = { a: tf.tensor1d([3, 0]), b: tf.tensor1d([0, 4]) } // norm 5
    const clipped = clipByGlobalNorm(grads, 1)
    expect(globalNorm(clipped).dataSync()[0]).toBeCloseTo(1, 5)
    expect(Array.from(clipped.a!.dataSync())).toEqual([expect.closeTo(0.6, 5), 0])
    const untouched = clipByGlobalNorm(grads, 10)
    expect(Array.from(untouched.b!.dataSync())).toEqual([0, expect.closeTo(4, 5)])
  })
  it('clips inside the loop and counts what it did', async () => {
    const t = gradClip({ maxNorm: 1e-4 })
    await train({ task: smallTask(), tricks: [t], maxSteps: 5, backend: 'cpu' })
    expect(t.stats.steps).toBe(5)
    expect(t.stats.clipped).toBe(5)
    expect(t.stats.maxNorm).toBeGreaterThan(1e-4)
    const loose = gradClip({ maxNorm: 1e6 })
    await train({ task: smallTask(), tricks: [loose], maxSteps: 5, backend: 'cpu' })
    expect(loose.stats.clipped).toBe(0)
  })
  it('SGD with tight clipping moves the weights by exactly lr * maxNorm per step', async () => {
    const norms: number[] = []
    const probe = { name: 'probe', afterBackward: (_c: unknown, g: tf.NamedTensorMap) => void norms.push(globalNorm(g).dataSync()[0]!) }
    await train({ task: smallTask(), tricks: [probe, gradClip({ maxNorm: 0.01 })], maxSteps: 3, backend: 'cpu', optimizer: { name: 'sgd', learningRate: 1 } })
    // afterBackward runs in reverse order: clip first, then the probe sees the clipped gradients.
    for (const n of norms) expect(n).toBeCloseTo(0.01, 5)
  })
})

trickContractSuite('lr-warmup', { makeTrick: () => lrWarmup({ steps: 5 }), task: smallTask, backend: 'wasm' })
trickContractSuite('grad-clip', { makeTrick: () => gradClip({ maxNorm: 0.5 }), task: smallTask, backend: 'wasm' })
