import * as tf from '@tensorflow/tfjs'
import { activeWebgpuBackend } from './backends/webgpu-device.js'
import { webgpuSoftmaxCrossEntropy } from './backends/webgpu-softmax-ce.js'

/**
 * Softmax cross-entropy between one-hot (or soft) `labels` and `logits`, classes on the last
 * axis, averaged over the other positions: `tf.losses.softmaxCrossEntropy(labels, logits)` with
 * its defaults. On webgpu, for float32 tensors of the same shape, it is two fused kernels (one
 * forward, one for the gradient) instead of tfjs's dozen or so; on every other backend it is
 * exactly tfjs's op, so results there are unchanged.
 */
export function softmaxCrossEntropy(labels: tf.Tensor, logits: tf.Tensor): tf.Scalar {
  if (
    activeWebgpuBackend() &&
    labels.dtype === 'float32' &&
    logits.dtype === 'float32' &&
    logits.rank >= 1 &&
    tf.util.arraysEqual(labels.shape, logits.shape)
  ) {
    return webgpuSoftmaxCrossEntropy(labels, logits)
  }
  return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar
}
