import * as tf from '@tensorflow/tfjs'

/** Coefficients (a, b, c) of the odd quintic p(σ) = aσ + bσ³ + cσ⁵ one Newton–Schulz step applies to every singular value. */
export type Quintic = readonly [number, number, number]

/**
 * Muon's triple (Keller Jordan's `zeropower_via_newtonschulz5`): steep at 0 so small singular
 * values grow fast, at the price of not converging to 1 — five steps map σ ∈ [1e-3, 1] into
 * roughly [0.5, 1.2] instead of onto 1, which does not hurt training.
 */
export const MUON_QUINTIC: Quintic = [3.4445, -4.775, 2.0315]

/**
 * Approximately orthogonalizes `g` (≈ U Vᵀ of its SVD U S Vᵀ) by `steps` quintic Newton–Schulz
 * iterations in float32. The input is scaled by its Frobenius norm (an upper bound of the spectral
 * norm, so every σ starts in [0, 1]), and iterated with the smaller side first so the Gram matrix
 * X Xᵀ is the small one. A zero matrix gives zeros (the 1e-7 guard), never NaN. Steps 0 returns
 * the normalised input.
 */
export function newtonSchulz(g: tf.Tensor2D, coefficients: Quintic = MUON_QUINTIC, steps = 5): tf.Tensor2D {
  const [a, b, c] = coefficients
  return tf.tidy(() => {
    const tall = g.shape[0] > g.shape[1]
    let x = (tall ? tf.transpose(g) : g) as tf.Tensor2D
    x = tf.div(x, tf.add(tf.norm(x), 1e-7))
    for (let i = 0; i < steps; i++) {
      const gram = tf.matMul(x, tf.transpose(x)) // explicit transpose: the fast path on WASM
      const poly = tf.add(tf.mul(gram, b), tf.mul(tf.matMul(gram, gram), c))
      x = tf.add(tf.mul(x, a), tf.matMul(poly, x))
    }
    return (tall ? tf.transpose(x) : x) as tf.Tensor2D
  })
}

/** p applied `steps` times to one singular value: what `newtonSchulz` does to σ (after normalisation). */
export function quinticIterate(q: Quintic, sigma: number, steps: number): number {
  let s = sigma
  for (let i = 0; i < steps; i++) s = q[0] * s + q[1] * s ** 3 + q[2] * s ** 5
  return s
}

export interface QuinticStability {
  /** The largest σ > 0 with p(σ) = σ (repelling for these triples); NaN when there is none. */
  readonly upperFixedPoint: number
  /** max |p(σ)| over σ ∈ [0, upperFixedPoint]. */
  readonly maxOnInterval: number
  /** p maps [0, upperFixedPoint] into itself, so no singular value that starts in [0, 1] can escape. */
  readonly stable: boolean
}

/**
 * Whether iterating p keeps every normalised singular value bounded. The fixed points solve
 * a + b·s + c·s² = 1 with s = σ²; above the upper one σ grows without bound, so p must map
 * [0, σ*] into itself. ROOT's released square-matrix triple fails this by a hair (max p ≈ 1.2246 >
 * σ* ≈ 1.2236): a band of singular values escapes and grows geometrically with more steps.
 */
export function quinticStability(q: Quintic, samples = 200_000): QuinticStability {
  const [a, b, c] = q
  const disc = b * b - 4 * c * (a - 1)
  const roots = disc < 0 ? [] : [(-b + Math.sqrt(disc)) / (2 * c), (-b - Math.sqrt(disc)) / (2 * c)].filter((s) => s > 0)
  const upper = roots.length ? Math.sqrt(Math.max(...roots)) : Number.NaN
  if (!Number.isFinite(upper)) return { upperFixedPoint: upper, maxOnInterval: Number.POSITIVE_INFINITY, stable: false }
  // σ* itself maps to itself; sampling stops short of it so rounding there cannot decide.
  let max = 0
  for (let i = 0; i < samples; i++) max = Math.max(max, Math.abs(quinticIterate(q, (upper * i) / samples, 1)))
  return { upperFixedPoint: upper, maxOnInterval: max, stable: max <= upper && upper >= 1 }
}
