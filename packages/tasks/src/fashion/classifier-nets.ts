import * as tf from '@tensorflow/tfjs'
import type { Rng } from '@converge/core'

/** A classifier's trainable variables and its forward pass (logits plus named hidden states). */
export interface ClassifierNet {
  readonly variables: readonly tf.Variable[]
  /** Hidden states by layer name and their token shape (tokens × width), for the `hiddenStates` capability. */
  readonly layers: Readonly<Record<string, { tokens: number; width: number }>>
  forward(x: tf.Tensor4D): { logits: tf.Tensor2D; hidden: Record<string, tf.Tensor3D> }
}

type MakeVariable = (shape: number[], name: string, fanIn: number, fanOut: number) => tf.Variable

/** Glorot-uniform kernels and zero biases, drawn from the run's init stream. */
export function variableMaker(initRng: Rng, variableName: (local: string) => string): MakeVariable {
  return (shape, name, fanIn, fanOut) => {
    const limit = Math.sqrt(6 / (fanIn + fanOut))
    const value = name.endsWith('bias') ? tf.zeros(shape) : tf.randomUniform(shape, -limit, limit, 'float32', initRng.opSeed())
    const v = tf.variable(value, true, variableName(name))
    value.dispose()
    return v
  }
}

/** Flattened image → `hidden` ReLU units → classes. */
export function mlpNet(make: MakeVariable, height: number, width: number, hidden: number, classes: number): ClassifierNet {
  const inputs = height * width
  const variables = [
    make([inputs, hidden], 'dense1/kernel', inputs, hidden),
    make([hidden], 'dense1/bias', inputs, hidden),
    make([hidden, classes], 'dense2/kernel', hidden, classes),
    make([classes], 'dense2/bias', hidden, classes),
  ]
  const [k1, b1, k2, b2] = variables as [tf.Variable, tf.Variable, tf.Variable, tf.Variable]
  return {
    variables,
    layers: { dense1: { tokens: 1, width: hidden } },
    forward(x) {
      const flat = tf.reshape(x, [x.shape[0], inputs]) as tf.Tensor2D
      const h = tf.relu(tf.add(tf.matMul(flat, k1), b1)) as tf.Tensor2D
      const logits = tf.add(tf.matMul(h, k2), b2) as tf.Tensor2D
      return { logits, hidden: { dense1: tf.expandDims(h, 1) as tf.Tensor3D } }
    },
  }
}

/**
 * A small CNN: 3×3 conv (8 filters) → ReLU → 2×2 max-pool → 3×3 conv (16) → ReLU → 2×2 max-pool →
 * dense to the classes. 'same' padding, so 28×28 becomes 7×7×16 before the dense layer.
 */
export function cnnNet(make: MakeVariable, height: number, width: number, classes: number): ClassifierNet {
  const [f1, f2] = [8, 16]
  const h2 = Math.floor(Math.floor(height / 2) / 2)
  const w2 = Math.floor(Math.floor(width / 2) / 2)
  const flat = h2 * w2 * f2
  const variables = [
    make([3, 3, 1, f1], 'conv1/kernel', 9, 9 * f1),
    make([f1], 'conv1/bias', 9, 9 * f1),
    make([3, 3, f1, f2], 'conv2/kernel', 9 * f1, 9 * f2),
    make([f2], 'conv2/bias', 9 * f1, 9 * f2),
    make([flat, classes], 'dense/kernel', flat, classes),
    make([classes], 'dense/bias', flat, classes),
  ]
  const [c1, cb1, c2, cb2, k, b] = variables as [tf.Variable, tf.Variable, tf.Variable, tf.Variable, tf.Variable, tf.Variable]
  return {
    variables,
    layers: { conv2: { tokens: h2 * w2, width: f2 } },
    forward(x) {
      const a1 = tf.maxPool(tf.relu(tf.add(tf.conv2d(x, c1 as tf.Tensor4D, 1, 'same'), cb1)) as tf.Tensor4D, 2, 2, 'valid')
      const a2 = tf.maxPool(tf.relu(tf.add(tf.conv2d(a1, c2 as tf.Tensor4D, 1, 'same'), cb2)) as tf.Tensor4D, 2, 2, 'valid')
      const n = x.shape[0]
      const logits = tf.add(tf.matMul(tf.reshape(a2, [n, flat]) as tf.Tensor2D, k), b) as tf.Tensor2D
      return { logits, hidden: { conv2: tf.reshape(a2, [n, h2 * w2, f2]) as tf.Tensor3D } }
    },
  }
}
