import * as tf from '@tensorflow/tfjs'
import { describe, expect, it } from 'vitest'
import { useBackend } from '../../src/index.js'
import { ZERO_GRADIENT_KERNELS } from '../../src/backends/index.js'
import { expectClose, normalInput } from './kernel-check.js'

// Leaky-ReLU written with a comparison: the comparison lies on the path from x to the loss.
const leaky = (x: tf.Tensor) => tf.sum(tf.where(tf.greater(x, 0), tf.mul(x, x), tf.mul(x, 0.1)))
const leakyGrad = (xs: Float32Array) => xs.map((v) => (v > 0 ? 2 * v : 0.1))
// A band mask from two comparisons joined by logicalAnd and negated by logicalNot.
const band = (x: tf.Tensor) => tf.sum(tf.where(tf.logicalNot(tf.logicalAnd(tf.greaterEqual(x, -0.5), tf.lessEqual(x, 0.5))), tf.mul(x, 3), x))
const bandGrad = (xs: Float32Array) => xs.map((v) => (v >= -0.5 && v <= 0.5 ? 1 : 3))

describe('tf.where with a comparison condition is differentiable', () => {
  const input = normalInput('where', [40])

  it('stock tfjs cannot differentiate it (before converge registers the zero gradients)', async () => {
    await tf.setBackend('cpu')
    const x = tf.tensor(input.values)
    expect(() => tf.grad(leaky)(x)).toThrow(/gradient function not found for Greater/)
    x.dispose()
  })

  for (const backend of ['cpu', 'wasm'] as const) {
    it(`after useBackend('${backend}'): the gradient is the mask-selected one, and the comparison gets zeros`, async () => {
      await useBackend(backend)
      const x = tf.tensor(input.values)
      const g1 = tf.grad(leaky)(x)
      const g2 = tf.grad(band)(x)
      expectClose(g1.dataSync(), leakyGrad(input.values), `${backend} leaky`)
      expectClose(g2.dataSync(), bandGrad(input.values), `${backend} band`)
      // The comparison's own gradient: zero for both of its inputs.
      const [ga, gb] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.cast(tf.less(a, b), 'float32')))([x, tf.zerosLike(x)])
      expect(Array.from(ga!.dataSync()).every((v) => v === 0) && Array.from(gb!.dataSync()).every((v) => v === 0)).toBe(true)
      expect(ga!.dtype).toBe('float32')
      tf.dispose([x, g1, g2, ga!, gb!])
    })
  }

  it('every listed kernel has a gradient now', () => {
    expect(ZERO_GRADIENT_KERNELS.filter((k) => !tf.getGradient(k))).toEqual([])
  })
})
