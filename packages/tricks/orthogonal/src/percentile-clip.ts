import * as tf from '@tensorflow/tfjs'

/**
 * The q-quantile of |x| over all entries, on the device (no read-back), with the linear
 * interpolation between order statistics that torch.quantile and numpy use: position q·(n − 1)
 * in the ascending order. topk takes the largest n − ⌊q(n − 1)⌋ values, whose last two are the
 * neighbours to interpolate.
 */
export function absPercentile(x: tf.Tensor, q: number): tf.Scalar {
  return tf.tidy(() => {
    const n = x.size
    const pos = q * (n - 1)
    const lo = Math.floor(pos + 1e-9) // tolerant of 0.9·(n−1) landing a hair under an integer
    const frac = Math.max(0, pos - lo)
    const k = n - lo
    const top = tf.topk(tf.abs(tf.reshape(x, [n])), k).values
    const vLo = tf.slice(top, [k - 1], [1])
    if (k < 2 || frac === 0) return tf.reshape(vLo, []) as tf.Scalar
    const vHi = tf.slice(top, [k - 2], [1])
    return tf.reshape(tf.add(vLo, tf.mul(tf.sub(vHi, vLo), frac)), []) as tf.Scalar
  })
}

/**
 * Clips every entry of x to ±(q-quantile of |x|). This is what ROOT's released "soft-thresholding"
 * amounts to: it splits x into sign(x)·relu(|x| − ε) (the outliers, discarded) and the rest, and
 * the rest is exactly clamp(x, −ε, ε) with ε the 90th percentile. The bound stays a tensor
 * (tf.clipByValue would need a number, hence a synchronous read).
 */
export function clipAtPercentile(x: tf.Tensor, q: number): tf.Tensor {
  return tf.tidy(() => {
    const e = absPercentile(x, q)
    return tf.minimum(tf.maximum(x, tf.neg(e)), e)
  })
}
