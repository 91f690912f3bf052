import { beforeAll, describe, expect, it } from 'vitest'
import * as tf from '@tensorflow/tfjs'
import { createOptimizer, setLearningRate, useBackend } from '../src/index.js'

beforeAll(async () => {
  await useBackend('wasm')
})

type Grads = Parameters<tf.Optimizer['applyGradients']>[0]
const values = (v: tf.Tensor) => Array.from(v.dataSync())

describe('Adam with weightDecay (AdamW, decoupled)', () => {
  it('shrinks every updated variable by lr·wd before Adam’s step: equal to Adam on the pre-shrunk weights', () => {
    const init = [tf.tensor2d([1, -2, 3, -4], [2, 2]), tf.tensor1d([0.5, -0.25, 2])]
    const vars = (tag: string) => init.map((t, i) => tf.variable(t, true, `wd-${tag}-${i}`))
    const [adamw, shrunk] = [vars('adamw'), vars('shrunk')]
    const a = createOptimizer({ name: 'adam', learningRate: 0.1, weightDecay: 0.5 })
    const b = createOptimizer({ name: 'adam', learningRate: 0.1 })
    const before = tf.memory().numTensors
    for (let step = 1; step <= 3; step++) {
      const grads = init.map((t, i) => tf.mul(t, step + i))
      const named = (vs: tf.Variable[]) => Object.fromEntries(vs.map((v, i) => [v.name, grads[i]!])) as Grads
      tf.tidy(() => shrunk.forEach((v) => v.assign(tf.mul(v, 1 - 0.1 * 0.5))))
      b.applyGradients(named(shrunk))
      a.applyGradients(named(adamw))
      tf.dispose(grads)
    }
    adamw.forEach((v, i) => expect(values(v)).toEqual(values(shrunk[i]!)))
    // only the optimizers' moments were added
    expect(tf.memory().numTensors).toBe(before + 2 * 2 * 2)
    expect(values(adamw[0]!)).not.toEqual(values(init[0]!))
    a.dispose()
    b.dispose()
    tf.dispose([...init, ...adamw, ...shrunk])
  })

  it('decays at the optimizer’s current rate (a schedule scales it), by exactly 1 − lr·wd under a zero gradient', () => {
    const w = tf.variable(tf.tensor1d([2, -4]), true, 'wd-rate')
    const o = createOptimizer({ name: 'adam', learningRate: 0.1, weightDecay: 0.5 })
    const zero = tf.zerosLike(w)
    o.applyGradients({ [w.name]: zero })
    expect(values(w)).toEqual(values(tf.tidy(() => tf.mul(tf.tensor1d([2, -4]), 0.95))))
    setLearningRate(o, 0.01)
    const after = values(w)
    o.applyGradients({ [w.name]: zero })
    expect(values(w)).toEqual(values(tf.tidy(() => tf.mul(tf.tensor1d(after), 1 - 0.01 * 0.5))))
    tf.dispose([w, zero])
    o.dispose()
  })

  it('without weightDecay (or 0) is plain Adam; a negative value names the field', () => {
    const w = [tf.variable(tf.tensor1d([1, 2]), true, 'wd-plain-0'), tf.variable(tf.tensor1d([1, 2]), true, 'wd-plain-1')]
    const g = tf.tensor1d([0.3, -0.7])
    const opts = [createOptimizer({ name: 'adam', learningRate: 0.1 }), createOptimizer({ name: 'adam', learningRate: 0.1, weightDecay: 0 })]
    opts.forEach((o, i) => o.applyGradients({ [w[i]!.name]: g }))
    expect(values(w[1]!)).toEqual(values(w[0]!))
    expect(() => createOptimizer({ name: 'adam', learningRate: 0.1, weightDecay: -1 })).toThrow(/weightDecay/)
    opts.forEach((o) => o.dispose())
    tf.dispose([...w, g])
  })
})
