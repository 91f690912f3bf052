import * as tf from '@tensorflow/tfjs'
import type { Rng } from '@converge/core'

/**
 * REPA's projector, applied per token: Linear(width, hidden) → SiLU → Linear(hidden, hidden) →
 * SiLU → Linear(hidden, out). Maps a denoiser hidden state to the teacher's feature width.
 */
export class Projector {
  readonly variables: tf.Variable[]

  constructor(
    readonly width: number,
    readonly hidden: number,
    readonly out: number,
    rng: Rng,
    name: (local: string) => string,
    initial?: readonly tf.Tensor[],
  ) {
    const shapes = [[width, hidden], [hidden], [hidden, hidden], [hidden], [hidden, out], [out]]
    const names = ['w1', 'b1', 'w2', 'b2', 'w3', 'b3']
    if (initial && initial.length !== shapes.length) throw new RangeError(`projector state needs ${shapes.length} tensors, got ${initial.length}`)
    this.variables = shapes.map((shape, i) => {
      const given = initial?.[i]
      if (given && given.shape.join() !== shape.join()) throw new RangeError(`projector state tensor ${names[i]} is [${given.shape}], expected [${shape}]`)
      const value = given ? given.clone() : shape.length === 1 ? tf.zeros(shape) : tf.randomNormal(shape, 0, Math.sqrt(2 / (shape[0]! + shape[1]!)), 'float32', rng.opSeed())
      const v = tf.variable(value, true, name(`projector/${names[i]}`))
      value.dispose()
      return v
    })
  }

  /** `[b, n, width]` → `[b, n, out]`. */
  apply(h: tf.Tensor3D): tf.Tensor3D {
    const [b, n] = h.shape
    const [w1, b1, w2, b2, w3, b3] = this.variables as [tf.Variable, tf.Variable, tf.Variable, tf.Variable, tf.Variable, tf.Variable]
    const silu = (x: tf.Tensor) => tf.mul(x, tf.sigmoid(x))
    const x1 = silu(tf.add(tf.matMul(tf.reshape(h, [b * n, this.width]), w1), b1))
    const x2 = silu(tf.add(tf.matMul(x1 as tf.Tensor2D, w2), b2))
    return tf.reshape(tf.add(tf.matMul(x2 as tf.Tensor2D, w3), b3), [b, n, this.out]) as tf.Tensor3D
  }
}
