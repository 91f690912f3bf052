import * as tf from '@tensorflow/tfjs'

/** `x / max(‖x‖, 1e-12)` over the last axis (PyTorch's `F.normalize`). */
function unit(x: tf.Tensor): tf.Tensor {
  // sqrt(Σx²) rather than tf.norm, which squares through Pow (slow on WASM, with a costlier gradient)
  return tf.div(x, tf.maximum(tf.sqrt(tf.sum(tf.square(x), -1, true)), 1e-12))
}

/**
 * REPA's alignment loss: −cos(projected, target) per token, averaged over tokens and then over
 * samples, so every sample counts equally (the released ERW warm-up loss counted only the last
 * sample of a batch). In [−1, 1]; −1 when every projected token points along its target.
 */
export function alignmentLoss(projected: tf.Tensor3D, target: tf.Tensor3D): tf.Scalar {
  if (projected.shape.join() !== target.shape.join()) {
    throw new RangeError(`alignment needs projected and target tokens of the same shape, got [${projected.shape}] and [${target.shape}]`)
  }
  return tf.tidy(() => {
    const perToken = tf.sum(tf.mul(unit(projected), unit(target)), -1) // [batch, tokens]
    return tf.neg(tf.mean(tf.mean(perToken, 1))) as tf.Scalar
  })
}
