import * as tf from '@tensorflow/tfjs'

/**
 * Integrates the flow ODE dx/dt = v(x, t) from t = 1 (noise) to t = 0 with `steps` Euler steps
 * (the linear path's velocity is v = ε − x₀, so x ← x − Δt·v). Returns the samples (caller owns).
 */
export function eulerSample(velocity: (x: tf.Tensor, t: tf.Tensor1D) => tf.Tensor, noise: tf.Tensor, steps: number): tf.Tensor {
  const n = noise.shape[0] as number
  const dt = 1 / steps
  let x = noise.clone()
  for (let k = 0; k < steps; k++) {
    const t = 1 - k * dt
    const next = tf.tidy(() => tf.sub(x, tf.mul(dt, velocity(x, tf.fill([n], t) as tf.Tensor1D))))
    x.dispose()
    x = next
  }
  return x
}
