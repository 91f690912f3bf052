import * as tf from '@tensorflow/tfjs'

/**
 * The values of the tensor `build` makes inside a tidy, the tensor then disposed. Returning
 * `dataSync()` from the tidy itself gives the same values, but tfjs then walks the returned typed
 * array key by key looking for tensors to keep, which showed in CPU profiles of the default bench
 * (rl-arithmetic's log-probability rows, every batch).
 */
export function tidyValues(build: () => tf.Tensor): tf.TypedArray {
  const t = tf.tidy(build)
  try {
    return t.dataSync() as tf.TypedArray
  } finally {
    t.dispose()
  }
}
