import * as tf from '@tensorflow/tfjs'
import { describe, expect, it } from 'vitest'
import { createOptimizer, type OptimizerSpec } from '../src/index.js'

describe('built-in optimizers free every tensor they made when disposed', () => {
  it.each<OptimizerSpec>([
    { name: 'sgd', learningRate: 0.1 },
    { name: 'momentum', learningRate: 0.1 },
    { name: 'momentum', learningRate: 0.1, nesterov: true },
    { name: 'adam', learningRate: 0.1 },
    { name: 'rmsprop', learningRate: 0.1 },
  ])('%o: numTensors flat over 5 optimizers built, stepped and disposed', async (spec) => {
    await tf.setBackend('cpu')
    const v = tf.variable(tf.ones([3]))
    const step = (o: tf.Optimizer) => {
      const g = tf.onesLike(v)
      o.applyGradients({ [v.name]: g })
      g.dispose()
    }
    const warm = createOptimizer(spec)
    step(warm)
    warm.dispose()
    const before = tf.memory().numTensors
    for (let i = 0; i < 5; i++) {
      const o = createOptimizer(spec)
      step(o)
      o.dispose()
    }
    expect(tf.memory().numTensors).toBe(before)
    v.dispose()
  })
})
