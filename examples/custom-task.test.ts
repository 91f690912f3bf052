import * as tf from '@tensorflow/tfjs'
import { routeParameters, SeedStreams, silentLogger, train } from '@converge/core'
import { beforeAll, describe, expect, it } from 'vitest'
import { twoSpirals } from './custom-task.js'

// The task docs/writing-a-task.md walks through must keep the promises the doc makes.
describe('examples/custom-task.ts (two spirals on a tf.sequential model)', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu')
  })

  it('same seed, same losses; another seed, another init', async () => {
    const run = (seed: number) => train({ task: twoSpirals(), seed, maxSteps: 30, evalEvery: 10, backend: 'cpu' })
    const [a, b, c] = [await run(1), await run(1), await run(2)]
    expect(a.history.map((h) => h.metrics.accuracy)).toEqual(b.history.map((h) => h.metrics.accuracy))
    expect(a.losses).toEqual(b.losses)
    expect(c.losses).not.toEqual(a.losses)
  })

  it('frees every tensor it makes: batches, intermediates, the model at dispose', async () => {
    await train({ task: twoSpirals(), seed: 1, maxSteps: 2, backend: 'cpu' }) // warm-up: kernels, tfjs-layers' globals
    const before = tf.memory().numTensors
    await train({ task: twoSpirals(), seed: 1, maxSteps: 40, evalEvery: 10, backend: 'cpu' })
    expect(tf.memory().numTensors).toBe(before)
  })

  it('two live instances get distinct variable names, and the output layer routes to Adam', async () => {
    const task = twoSpirals()
    const make = (id: number) => task.create({ seed: id, streams: new SeedStreams(id), log: silentLogger, variableName: (n) => `run${id}/${n}` })
    const [one, two] = [await make(901), await make(902)]
    const names = (i: typeof one) => i.variables.map((v) => v.name)
    expect(names(one)).toEqual(['run901/dense1/kernel', 'run901/dense1/bias', 'run901/dense2/kernel', 'run901/dense2/bias', 'run901/logits/kernel', 'run901/logits/bias'])
    expect(names(one).every((n) => n.startsWith('run901/'))).toBe(true)
    expect(names(two).every((n) => n.startsWith('run902/'))).toBe(true)
    // The routing FRUGAL (and any routed optimizer) applies by default.
    const routes = routeParameters(one.variables.map((v) => ({ name: v.name, shape: v.shape })))
    const onAdam = routes.filter((r) => r.role === 'adam').map((r) => r.name)
    expect(onAdam).toContain('run901/logits/kernel')
    expect(onAdam).not.toContain('run901/dense2/kernel')
    one.dispose()
    two.dispose()
  })
})
