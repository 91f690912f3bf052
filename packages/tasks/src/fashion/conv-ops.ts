import * as tf from '@tensorflow/tfjs'

/**
 * Convolutions written as patch extraction + one matmul. Their gradients are slices, pads and
 * matmuls, so training never reaches tfjs-wasm's `Conv2DBackpropFilter` (a JS-CPU fallback that
 * costs seconds a step on 2 cores); the forward numbers equal `tf.conv2d`'s up to round-off.
 */

/** A 3×3 'same' convolution: `[B, H, W, C]` with weights `[9C, C']` (rows ordered dy, dx, c) → `[B, H, W, C']`. */
export function conv3x3(x: tf.Tensor4D, w: tf.Tensor2D, bias: tf.Tensor1D): tf.Tensor4D {
  const [b, h, wd, c] = x.shape
  const padded = tf.pad(x, [
    [0, 0],
    [1, 1],
    [1, 1],
    [0, 0],
  ])
  const taps: tf.Tensor4D[] = []
  for (let dy = 0; dy < 3; dy++) for (let dx = 0; dx < 3; dx++) taps.push(tf.slice(padded, [0, dy, dx, 0], [b, h, wd, c]))
  const patches = tf.reshape(tf.concat(taps, 3), [b * h * wd, 9 * c])
  return tf.reshape(tf.add(tf.matMul(patches, w), bias), [b, h, wd, w.shape[1]]) as tf.Tensor4D
}

/** A 2×2 stride-2 convolution as space-to-depth + matmul: `[B, H, W, C]` with weights `[4C, C']` → `[B, H/2, W/2, C']`. */
export function conv2x2Stride2(x: tf.Tensor4D, w: tf.Tensor2D, bias: tf.Tensor1D): tf.Tensor4D {
  const [b, h, wd, c] = x.shape
  if (h % 2 !== 0 || wd % 2 !== 0) throw new RangeError(`a stride-2 convolution needs even sides, got ${h}×${wd}`)
  const patches = tf.reshape(tf.transpose(tf.reshape(x, [b, h / 2, 2, wd / 2, 2, c]), [0, 1, 3, 2, 4, 5]), [b * (h / 2) * (wd / 2), 4 * c])
  return tf.reshape(tf.add(tf.matMul(patches, w), bias), [b, h / 2, wd / 2, w.shape[1]]) as tf.Tensor4D
}
